"""Request validation (the agent API's chalicelib): bodies, query parameters and headers become typed
commands or clear errors."""

from __future__ import annotations

import pytest
from socialcare.agents.commands import QUEUE_PAGE_SIZE
from socialcare.errors import InvalidRequest, RequestTooLarge
from socialcare.model.case import CaseStatus
from socialcare.model.events import Channel
from socialcare.model.outbound import ReplyMode

from tests.agent_api_support import app_module

app_module()  # chalice_config/ on sys.path, as the Lambda bundle's root: chalicelib resolves
from chalicelib.api_request import parse_body, parse_expected_version, parse_idempotency_key  # noqa: E402
from chalicelib.commands import parse_reply, parse_status  # noqa: E402
from chalicelib.queries import parse_queue_query  # noqa: E402

pytestmark = pytest.mark.unit


def test_a_full_reply_command() -> None:
    command = parse_reply(
        {
            "text": "Hi",
            "mode": "private_reply_to_comment",
            "channel": "facebook_comment",
            "reply_to": "1767258000000#m1",
            "attachments": [{"kind": "image", "url": "https://cdn.example.com/a.png"}],
        }
    )
    assert command.mode is ReplyMode.PRIVATE_REPLY_TO_COMMENT
    assert command.channel is Channel.FACEBOOK_COMMENT
    assert command.attachments == (("image", "https://cdn.example.com/a.png"),)


@pytest.mark.parametrize(
    ("body", "names"),
    [
        ({"txt": "hi"}, "txt"),
        ({"text": "hi", "attachments": [{"kind": "image", "url": "https://a/b", "alt": "x"}]}, "alt"),
        ({"text": "hi", "attachments": [{"kind": "gif", "url": "https://a/b"}]}, "kind"),
        ({"text": "hi", "attachments": [{"kind": "image", "url": "https://a/ b"}]}, "url"),
        (
            {
                "text": "hi",
                "attachments": [{"kind": "image", "url": "https://a/1"}, {"kind": "image", "url": "https://a/2"}],
            },
            "at most 1",
        ),
        ({"template": {"name": "Bad Name", "language": "en"}}, "name"),
        ({"template": {"name": "ok", "language": "english"}}, "language"),
        ({"template": {"name": "ok", "language": "en", "components": "x"}}, "components"),
    ],
)
def test_bad_replies_name_what_is_wrong(body: dict[str, object], names: str) -> None:
    with pytest.raises(InvalidRequest, match=names):
        parse_reply(body)


def test_status_needs_a_known_status() -> None:
    assert parse_status({"status": "resolved", "reason": "spam"}).status is CaseStatus.RESOLVED
    with pytest.raises(InvalidRequest, match="status must be one of"):
        parse_status({"status": "done"})
    with pytest.raises(InvalidRequest, match="status is required"):
        parse_status({"reason": "x"})


def test_queue_queries() -> None:
    given = parse_queue_query({})
    assert (given.statuses, given.channel, given.assignee, given.limit) == (None, None, None, QUEUE_PAGE_SIZE)
    query = parse_queue_query({"status": ["closed"], "assignee": ["me"], "limit": ["5"]})
    assert (query.statuses, query.assignee, query.limit) == (frozenset({CaseStatus.CLOSED}), "me", 5)
    dated = parse_queue_query({"status": ["resolved"], "resolved_from": ["2026-01-01"], "resolved_to": ["2026-01-01"]})
    assert (dated.finished_from_ms, dated.finished_until_ms) == (1_767_225_600_000, 1_767_225_600_000 + 86_400_000)
    with pytest.raises(InvalidRequest, match="assignee"):
        parse_queue_query({"assignee": ["not valid!"]})
    with pytest.raises(InvalidRequest, match="resolved_from must be a date"):
        parse_queue_query({"status": ["resolved"], "resolved_from": ["2026-01-01T00:00:00Z"]})
    with pytest.raises(InvalidRequest, match="resolved_to is before resolved_from"):
        parse_queue_query({"status": ["resolved"], "resolved_from": ["2026-01-02"], "resolved_to": ["2026-01-01"]})


def test_bodies() -> None:
    assert parse_body(b"", allow_empty=True) == {}
    assert parse_body('{"a": "ü"}') == {"a": "ü"}
    with pytest.raises(InvalidRequest, match="required"):
        parse_body(b"  ")
    with pytest.raises(InvalidRequest, match="not valid JSON"):
        parse_body(b"\xff\xfe")
    with pytest.raises(RequestTooLarge):
        parse_body(b" " * (64 * 1024 + 1))


@pytest.mark.parametrize(("header", "version"), [(None, None), ("*", None), ('"7"', 7), ("7", 7), ('W/"12"', 12)])
def test_if_match(header: str | None, version: int | None) -> None:
    assert parse_expected_version(header) == version


def test_bad_if_match_and_idempotency_keys() -> None:
    with pytest.raises(InvalidRequest):
        parse_expected_version('"seven"')
    assert parse_idempotency_key("reply-2026-01-01:7") == "reply-2026-01-01:7"
    with pytest.raises(InvalidRequest):
        parse_idempotency_key("has spaces")
    with pytest.raises(InvalidRequest):
        parse_idempotency_key("x" * 129)
