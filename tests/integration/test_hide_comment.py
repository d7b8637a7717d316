"""Hiding a customer's comment on the platform (task ``hide_comment``) through the real outbound Lambda
handler on moto, against the platform sandbox's Graph API: Facebook's ``is_hidden`` and Instagram's
``hide``, the outcome recorded on the entry, a retry after throttling, a refusal recorded for the agent,
and a comment already hidden never asked again."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from socialcare.aws.case_store import MessageRef
from socialcare.model.case import Case, ThreadEntry
from socialcare.model.tasks import CaseTask, TaskKind

from tests.conftest import AwsResources
from tests.integration.outbound_rig import OutboundFunction, customer_comments, customer_writes, outbound_function

pytestmark = pytest.mark.integration


@dataclass
class Rig(OutboundFunction):
    def comment(self, comment_id: str, *, instagram: bool = False, user: str = "10160000000000042") -> Case:
        return customer_comments(
            self.store, self.reply_api, instagram=instagram, user=user, comment_id=comment_id, text="Scam! Avoid!!"
        )

    def hide(self, case: Case) -> ThreadEntry:
        """What the agent API queues when an agent asks for the case's first entry to be hidden."""
        [entry] = self.store.thread(case.case_id)
        task = CaseTask(TaskKind.HIDE_COMMENT, case.case_id, {"entry_id": entry.entry_id})
        self.aws.sqs.send_message(QueueUrl=self.queue_url, MessageBody=task.to_json())
        return entry

    def entry(self, case: Case, entry: ThreadEntry) -> ThreadEntry:
        found = self.store.get_entry(MessageRef(case.case_id, entry.entry_id))
        assert found is not None
        return found

    def hide_calls(self) -> list[tuple[str, str, Any, int]]:
        return [
            (call.endpoint, call.path.rsplit("/", 1)[-1], call.body, call.status)
            for call in self.reply_api.calls(platform="meta")
            if call.endpoint.endswith("_comment_hide")
        ]


@pytest.fixture
def rig(aws: AwsResources, monkeypatch: pytest.MonkeyPatch) -> Iterator[Rig]:
    with outbound_function(aws, monkeypatch) as function:
        yield Rig(**vars(function))


def test_a_facebook_comment_is_hidden_with_is_hidden_and_the_entry_records_when(rig: Rig) -> None:
    case = rig.comment("2001_9001")
    entry = rig.hide(case)
    rig.run_batch()
    assert rig.hide_calls() == [("facebook_comment_hide", "2001_9001", {"is_hidden": True}, 200)]
    hidden = rig.entry(case, entry)
    assert hidden.hidden_at_ms is not None
    assert hidden.hide_error is None
    on_platform = rig.reply_api.state.comment("2001_9001")
    assert on_platform is not None
    assert on_platform.hidden  # the platform hid it
    rig.hide(case)  # asked again (a retried request): nothing is called
    rig.run_batch()
    assert len(rig.hide_calls()) == 1
    assert rig.entry(case, entry).hidden_at_ms == hidden.hidden_at_ms


def test_an_instagram_comment_is_hidden_with_hide(rig: Rig) -> None:
    case = rig.comment("17900000000000555", instagram=True, user="17841499990000042")
    entry = rig.hide(case)
    rig.run_batch()
    assert rig.hide_calls() == [("instagram_comment_hide", "17900000000000555", {"hide": True}, 200)]
    assert rig.entry(case, entry).hidden_at_ms is not None


def test_throttled_the_task_is_delivered_again_and_then_hides(rig: Rig) -> None:
    case = rig.comment("2001_9002")
    entry = rig.hide(case)
    rig.reply_api.throttle(1, platform="meta")
    first = rig.run_batch()
    assert rig.entry(case, entry).hidden_at_ms is None
    rig.time_passes(first)  # the queue delivers it again after its visibility timeout
    rig.run_batch()
    assert [status for *_, status in rig.hide_calls()] == [400, 200]
    assert rig.entry(case, entry).hidden_at_ms is not None


def test_a_refusal_is_recorded_for_the_agent_and_not_retried(rig: Rig) -> None:
    case = rig.comment("2001_9003")
    entry = rig.hide(case)
    rig.reply_api.fail(1, platform="meta", status=400)
    rig.run_batch()
    refused = rig.entry(case, entry)
    assert refused.hidden_at_ms is None
    assert refused.hide_error is not None
    assert "Meta refused it" in refused.hide_error
    assert rig.run_batch() == []  # done with: not delivered again


def test_a_task_naming_something_that_is_not_a_comment_calls_nothing(rig: Rig) -> None:
    case = customer_writes(rig.store, rig.reply_api, "psid-dm-1", "hello")
    entry = rig.hide(case)
    rig.run_batch()
    assert rig.hide_calls() == []
    assert rig.entry(case, entry).hidden_at_ms is None
