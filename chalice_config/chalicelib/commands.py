"""The agent API's JSON bodies, validated into the core's typed commands.

Every check raises ``InvalidRequest`` (400) naming the field; unknown fields are refused rather
than ignored, so a typo never silently changes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import unquote

from socialcare.agents.commands import (
    ENTRY_ID_PATTERN,
    MAX_ANSWER,
    MAX_ANSWERER_NAME,
    MAX_NOTE,
    MAX_QUESTION,
    MAX_REASON,
    MAX_TAGS,
    MAX_URL,
    AnswerCommand,
    AssignCommand,
    EscalateCommand,
    MarkCommand,
    MarkKind,
    MoveToPrivateCommand,
    NoteCommand,
    ReasonCommand,
    ReplyCommand,
    RouteCommand,
    StatusCommand,
)
from socialcare.agents.identity import AGENT_ID_PATTERN, TEAM_PATTERN
from socialcare.agents.sla_admin import NAME_PATTERN
from socialcare.errors import InvalidRequest
from socialcare.model.case import CaseStatus, Priority
from socialcare.model.channels import ALL_ATTACHMENT_KINDS, MAX_ATTACHMENTS, MAX_TEXT
from socialcare.model.events import Channel
from socialcare.model.outbound import (
    MAX_TEMPLATE_COMPONENTS,
    TEMPLATE_LANGUAGE_PATTERN,
    TEMPLATE_NAME_PATTERN,
    ReplyMode,
)
from socialcare.model.profile import CANNED_ID_PATTERN

REPLY_FIELDS = ("text", "canned_response_id", "mode", "channel", "reply_to", "attachments", "template")


def fields(doc: Mapping[str, Any], allowed: Sequence[str], what: str) -> None:
    unknown = set(doc) - set(allowed)
    if unknown:
        raise InvalidRequest(f"unknown field(s) {sorted(unknown)} in {what}; allowed: {', '.join(allowed)}")


def _text(doc: Mapping[str, Any], name: str, *, max_len: int, required: bool = False) -> str | None:
    value = doc.get(name)
    if value is None:
        if required:
            raise InvalidRequest(f"{name} is required")
        return None
    if not isinstance(value, str) or not value.strip():
        raise InvalidRequest(f"{name} must be a non-empty string")
    if len(value) > max_len:
        raise InvalidRequest(f"{name} is {len(value)} characters; at most {max_len} are allowed")
    return value


def _pattern(doc: Mapping[str, Any], name: str, pattern: re.Pattern[str], *, required: bool = False) -> str | None:
    value = doc.get(name)
    if value is None:
        if required:
            raise InvalidRequest(f"{name} is required")
        return None
    if not isinstance(value, str) or not pattern.match(value):
        raise InvalidRequest(f"{name} must match {pattern.pattern}")
    return value


def choice(value: Any, name: str, choices: type[Any]) -> Any:
    try:
        return choices(value)
    except (ValueError, TypeError) as exc:
        allowed = ", ".join(str(v.value) for v in choices)
        raise InvalidRequest(f"{name} must be one of {allowed}") from exc


def parse_reply(doc: Mapping[str, Any]) -> ReplyCommand:
    fields(doc, REPLY_FIELDS, "a reply")
    text = _text(doc, "text", max_len=MAX_TEXT)
    canned = _pattern(doc, "canned_response_id", CANNED_ID_PATTERN)
    template = _template(doc.get("template"))
    given = [name for name, v in (("text", text), ("canned_response_id", canned), ("template", template)) if v]
    if len(given) != 1:
        raise InvalidRequest("a reply needs exactly one of text, canned_response_id or template")
    mode = choice(doc["mode"], "mode", ReplyMode) if doc.get("mode") is not None else None
    channel = choice(doc["channel"], "channel", Channel) if doc.get("channel") is not None else None
    return ReplyCommand(
        text=text,
        canned_response_id=canned,
        mode=mode,
        channel=channel,
        reply_to=_pattern(doc, "reply_to", ENTRY_ID_PATTERN),
        attachments=_attachments(doc.get("attachments")),
        template=template,
    )


def _attachments(value: Any) -> tuple[tuple[str, str], ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise InvalidRequest("attachments must be a list of {kind, url} objects")
    if len(value) > MAX_ATTACHMENTS:
        raise InvalidRequest(f"at most {MAX_ATTACHMENTS} attachment per reply")
    result = []
    for index, item in enumerate(value):
        where = f"attachments[{index}]"
        if not isinstance(item, dict):
            raise InvalidRequest(f"{where} must be an object with kind and url")
        fields(item, ("kind", "url"), where)
        kind = item.get("kind")
        if kind not in ALL_ATTACHMENT_KINDS:
            raise InvalidRequest(f"{where}.kind must be one of {', '.join(sorted(ALL_ATTACHMENT_KINDS))}")
        url = item.get("url")
        if (
            not isinstance(url, str)
            or not url.startswith("https://")
            or len(url) > MAX_URL
            or any(ch.isspace() for ch in url)
        ):
            raise InvalidRequest(f"{where}.url must be an https:// URL of at most {MAX_URL} characters")
        result.append((str(kind), url))
    return tuple(result)


def _template(value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise InvalidRequest("template must be an object with name, language and optional components")
    fields(value, ("name", "language", "components"), "template")
    name = _pattern(value, "name", TEMPLATE_NAME_PATTERN, required=True)
    language = _pattern(value, "language", TEMPLATE_LANGUAGE_PATTERN, required=True)
    components = value.get("components", [])
    if not isinstance(components, list) or len(components) > MAX_TEMPLATE_COMPONENTS:
        raise InvalidRequest(f"template.components must be a list of at most {MAX_TEMPLATE_COMPONENTS} objects")
    if not all(isinstance(x, dict) for x in components):
        raise InvalidRequest("template.components must hold objects (WhatsApp's component format)")
    return {"name": name, "language": language, "components": components}


def parse_move_to_private(doc: Mapping[str, Any]) -> MoveToPrivateCommand:
    fields(doc, ("text", "canned_response_id"), "a move to private")
    text = _text(doc, "text", max_len=MAX_TEXT)
    canned = _pattern(doc, "canned_response_id", CANNED_ID_PATTERN)
    if text and canned:
        raise InvalidRequest("give text or canned_response_id, not both")
    return MoveToPrivateCommand(text=text, canned_response_id=canned)


def parse_note(doc: Mapping[str, Any]) -> NoteCommand:
    fields(doc, ("text",), "a note")
    text = _text(doc, "text", max_len=MAX_NOTE, required=True)
    assert text is not None
    return NoteCommand(text=text)


def parse_escalate(doc: Mapping[str, Any]) -> EscalateCommand:
    fields(doc, ("department", "question"), "an escalation")
    department = _pattern(doc, "department", NAME_PATTERN, required=True)
    question = _text(doc, "question", max_len=MAX_QUESTION, required=True)
    assert department is not None
    assert question is not None
    return EscalateCommand(department=department, question=question)


def parse_answer(doc: Mapping[str, Any], *, named: bool) -> AnswerCommand:
    """A department's answer; ``named``: who answers may say their name (an answer link names nobody)."""
    allowed = ("text", "name") if named else ("text",)
    fields(doc, allowed, "an answer")
    text = _text(doc, "text", max_len=MAX_ANSWER, required=True)
    assert text is not None
    return AnswerCommand(text=text, name=_text(doc, "name", max_len=MAX_ANSWERER_NAME) if named else None)


def parse_status(doc: Mapping[str, Any]) -> StatusCommand:
    fields(doc, ("status", "reason"), "a status change")
    if doc.get("status") is None:
        raise InvalidRequest("status is required")
    return StatusCommand(
        status=choice(doc["status"], "status", CaseStatus), reason=_text(doc, "reason", max_len=MAX_REASON)
    )


def parse_assign(doc: Mapping[str, Any]) -> AssignCommand:
    fields(doc, ("agent_id",), "an assignment")
    agent_id = _pattern(doc, "agent_id", AGENT_ID_PATTERN, required=True)
    assert agent_id is not None
    return AssignCommand(agent_id=agent_id)


TAG_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_:.-]{0,63}$")  # as routing rules' tags


def parse_route(doc: Mapping[str, Any]) -> RouteCommand:
    fields(doc, ("team", "priority", "tags", "reason"), "a re-route")
    team = _pattern(doc, "team", TEAM_PATTERN, required=True)
    if doc.get("priority") is None:
        raise InvalidRequest("priority is required")
    reason = _text(doc, "reason", max_len=MAX_REASON, required=True)
    assert team is not None
    assert reason is not None
    return RouteCommand(
        team=team, priority=choice(doc["priority"], "priority", Priority), reason=reason, tags=_tags(doc.get("tags"))
    )


def _tags(value: Any) -> tuple[str, ...] | None:
    if value is None:
        return None
    if not isinstance(value, list) or len(value) > MAX_TAGS:
        raise InvalidRequest(f"tags must be a list of at most {MAX_TAGS} tags")
    for index, tag in enumerate(value):
        if not isinstance(tag, str) or not TAG_PATTERN.match(tag):
            raise InvalidRequest(f"tags[{index}] must match {TAG_PATTERN.pattern}")
    return tuple(dict.fromkeys(value))


def parse_mark(doc: Mapping[str, Any]) -> MarkCommand:
    fields(doc, ("kind", "reason"), "a mark")
    if doc.get("kind") is None:
        raise InvalidRequest("kind is required (spam or troll)")
    reason = _text(doc, "reason", max_len=MAX_REASON, required=True)
    assert reason is not None
    return MarkCommand(kind=choice(doc["kind"], "kind", MarkKind), reason=reason)


def parse_reason(doc: Mapping[str, Any], what: str) -> ReasonCommand:
    """A restore or a comment hide: an empty body, or an optional reason."""
    fields(doc, ("reason",), what)
    return ReasonCommand(reason=_text(doc, "reason", max_len=MAX_REASON))


def parse_entry_id(raw: str) -> str:
    """A thread entry's id from the path (``1767258000000#m5``): REST APIs may pass it still
    percent-encoded (``%23`` for ``#``), so it is decoded here, once."""
    return unquote(raw)


def parse_empty(doc: Mapping[str, Any], what: str) -> None:
    """Routes without a body accept an empty object and nothing else."""
    fields(doc, (), what)


def parse_held_message(doc: Mapping[str, Any]) -> tuple[str, str]:
    """Which held message a release or discard is about: ``(case_id, entry_id)``."""
    fields(doc, ("case_id", "entry_id"), "a decision on a held message")
    case_id = _text(doc, "case_id", max_len=64, required=True)
    entry_id = _pattern(doc, "entry_id", ENTRY_ID_PATTERN, required=True)
    assert case_id is not None
    assert entry_id is not None
    return case_id, entry_id
