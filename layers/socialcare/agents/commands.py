"""The agent API's inputs, validated: JSON bodies and query parameters become typed commands.

Every check raises ``InvalidRequest`` (400) naming the field, or ``RequestTooLarge`` (413); unknown
fields and parameters are refused rather than ignored, so a typo never silently changes nothing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from socialcare import constants as c
from socialcare.agents.channels import ALL_ATTACHMENT_KINDS, MAX_ATTACHMENTS, MAX_TEXT
from socialcare.agents.identity import AGENT_ID_PATTERN
from socialcare.agents.profile import CANNED_ID_PATTERN
from socialcare.errors import InvalidRequest, RequestTooLarge
from socialcare.model.case import CaseStatus, Priority
from socialcare.model.events import Channel
from socialcare.model.outbound import ReplyMode

DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 100
MAX_NOTE = 5_000
MAX_REASON = 500
MAX_URL = 2_048
MAX_TEMPLATE_COMPONENTS = 10
IDEMPOTENCY_KEY_PATTERN = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")
ENTRY_ID_PATTERN = re.compile(r"^[0-9]{13}#[^\s]{1,200}$")
_TEMPLATE_NAME = re.compile(r"^[a-z0-9_]{1,512}$")
_TEMPLATE_LANGUAGE = re.compile(r"^[a-z]{2,3}(_[A-Z]{2})?$")
_VERSION = re.compile(r'^(?:W/)?"?([0-9]{1,12})"?$')

UNASSIGNED = "none"  # the assignee filter value for unowned cases
ME = "me"  # the assignee filter value for the caller's own cases


# --- bodies ----------------------------------------------------------------------------------------
def parse_body(raw: bytes | str | None, *, allow_empty: bool = False) -> dict[str, Any]:
    """The request body as a JSON object."""
    data = raw.encode("utf-8") if isinstance(raw, str) else (raw or b"")
    if len(data) > c.MAX_API_BODY_BYTES:
        raise RequestTooLarge(f"the body is {len(data)} bytes; the API accepts at most {c.MAX_API_BODY_BYTES}")
    if not data.strip():
        if allow_empty:
            return {}
        raise InvalidRequest("a JSON object body is required")
    try:
        doc = json.loads(data)
    except (UnicodeDecodeError, ValueError) as exc:
        raise InvalidRequest(f"the body is not valid JSON: {exc}") from exc
    if not isinstance(doc, dict):
        raise InvalidRequest("the body must be a JSON object")
    return doc


def _fields(doc: Mapping[str, Any], allowed: Sequence[str], what: str) -> None:
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


def _choice(value: Any, name: str, choices: type[Any]) -> Any:
    try:
        return choices(value)
    except (ValueError, TypeError) as exc:
        allowed = ", ".join(str(v.value) for v in choices)
        raise InvalidRequest(f"{name} must be one of {allowed}") from exc


@dataclass(frozen=True, slots=True)
class ReplyCommand:
    text: str | None = None
    canned_response_id: str | None = None
    mode: ReplyMode | None = None  # default: public on a public channel, private otherwise
    channel: Channel | None = None  # default: the channel of the message answered / the latest one
    reply_to: str | None = None  # entry id of the customer message answered
    attachments: tuple[tuple[str, str], ...] = ()
    template: dict[str, Any] | None = None  # WhatsApp only

    FIELDS = ("text", "canned_response_id", "mode", "channel", "reply_to", "attachments", "template")

    @classmethod
    def parse(cls, doc: Mapping[str, Any]) -> ReplyCommand:
        _fields(doc, cls.FIELDS, "a reply")
        text = _text(doc, "text", max_len=MAX_TEXT)
        canned = _pattern(doc, "canned_response_id", CANNED_ID_PATTERN)
        template = _template(doc.get("template"))
        given = [name for name, v in (("text", text), ("canned_response_id", canned), ("template", template)) if v]
        if len(given) != 1:
            raise InvalidRequest("a reply needs exactly one of text, canned_response_id or template")
        mode = _choice(doc["mode"], "mode", ReplyMode) if doc.get("mode") is not None else None
        channel = _choice(doc["channel"], "channel", Channel) if doc.get("channel") is not None else None
        return cls(
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
        _fields(item, ("kind", "url"), where)
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
    _fields(value, ("name", "language", "components"), "template")
    name = _pattern(value, "name", _TEMPLATE_NAME, required=True)
    language = _pattern(value, "language", _TEMPLATE_LANGUAGE, required=True)
    components = value.get("components", [])
    if not isinstance(components, list) or len(components) > MAX_TEMPLATE_COMPONENTS:
        raise InvalidRequest(f"template.components must be a list of at most {MAX_TEMPLATE_COMPONENTS} objects")
    if not all(isinstance(x, dict) for x in components):
        raise InvalidRequest("template.components must hold objects (WhatsApp's component format)")
    return {"name": name, "language": language, "components": components}


@dataclass(frozen=True, slots=True)
class MoveToPrivateCommand:
    text: str | None = None  # default: the brand profile's invitation
    canned_response_id: str | None = None

    @classmethod
    def parse(cls, doc: Mapping[str, Any]) -> MoveToPrivateCommand:
        _fields(doc, ("text", "canned_response_id"), "a move to private")
        text = _text(doc, "text", max_len=MAX_TEXT)
        canned = _pattern(doc, "canned_response_id", CANNED_ID_PATTERN)
        if text and canned:
            raise InvalidRequest("give text or canned_response_id, not both")
        return cls(text=text, canned_response_id=canned)


@dataclass(frozen=True, slots=True)
class NoteCommand:
    text: str

    @classmethod
    def parse(cls, doc: Mapping[str, Any]) -> NoteCommand:
        _fields(doc, ("text",), "a note")
        text = _text(doc, "text", max_len=MAX_NOTE, required=True)
        assert text is not None
        return cls(text=text)


@dataclass(frozen=True, slots=True)
class StatusCommand:
    status: CaseStatus
    reason: str | None = None

    @classmethod
    def parse(cls, doc: Mapping[str, Any]) -> StatusCommand:
        _fields(doc, ("status", "reason"), "a status change")
        if doc.get("status") is None:
            raise InvalidRequest("status is required")
        return cls(status=_choice(doc["status"], "status", CaseStatus), reason=_text(doc, "reason", max_len=MAX_REASON))


@dataclass(frozen=True, slots=True)
class AssignCommand:
    agent_id: str

    @classmethod
    def parse(cls, doc: Mapping[str, Any]) -> AssignCommand:
        _fields(doc, ("agent_id",), "an assignment")
        agent_id = _pattern(doc, "agent_id", AGENT_ID_PATTERN, required=True)
        assert agent_id is not None
        return cls(agent_id=agent_id)


def parse_empty(doc: Mapping[str, Any], what: str) -> None:
    """Routes without a body accept an empty object and nothing else."""
    _fields(doc, (), what)


# --- query parameters ------------------------------------------------------------------------------
def _single(params: Mapping[str, Sequence[str]], allowed: Sequence[str]) -> dict[str, str]:
    unknown = set(params) - set(allowed)
    if unknown:
        raise InvalidRequest(f"unknown query parameter(s) {sorted(unknown)}; allowed: {', '.join(allowed)}")
    single: dict[str, str] = {}
    for name, values in params.items():
        if len(values) != 1:
            raise InvalidRequest(f"give the query parameter {name} once")
        single[name] = values[0]
    return single


def _limit(value: str | None) -> int:
    if value is None:
        return DEFAULT_PAGE_SIZE
    if not value.isdigit() or not 1 <= int(value) <= MAX_PAGE_SIZE:
        raise InvalidRequest(f"limit must be a whole number from 1 to {MAX_PAGE_SIZE}")
    return int(value)


@dataclass(frozen=True, slots=True)
class PageQuery:
    limit: int = DEFAULT_PAGE_SIZE
    cursor: str | None = None

    @classmethod
    def parse(cls, params: Mapping[str, Sequence[str]]) -> PageQuery:
        single = _single(params, ("limit", "cursor"))
        return cls(limit=_limit(single.get("limit")), cursor=single.get("cursor") or None)


ACTIVE_STATUSES = frozenset(s for s in CaseStatus if s.is_active)


@dataclass(frozen=True, slots=True)
class QueueQuery:
    statuses: frozenset[CaseStatus] = ACTIVE_STATUSES
    channel: Channel | None = None
    priority: Priority | None = None
    assignee: str | None = None  # an agent id, ME or UNASSIGNED
    limit: int = DEFAULT_PAGE_SIZE
    cursor: str | None = None

    @classmethod
    def parse(cls, params: Mapping[str, Sequence[str]]) -> QueueQuery:
        single = _single(params, ("status", "channel", "priority", "assignee", "limit", "cursor"))
        statuses = ACTIVE_STATUSES
        if "status" in single:
            statuses = frozenset(_choice(v.strip(), "status", CaseStatus) for v in single["status"].split(","))
            finished = statuses - ACTIVE_STATUSES
            if finished and len(statuses) > 1:
                raise InvalidRequest(
                    "list resolved or closed cases one status at a time (status=resolved or status=closed)"
                )
        assignee = single.get("assignee")
        if assignee is not None and assignee not in (ME, UNASSIGNED) and not AGENT_ID_PATTERN.match(assignee):
            raise InvalidRequest("assignee must be an agent id, 'me' or 'none'")
        return cls(
            statuses=statuses,
            channel=_choice(single["channel"], "channel", Channel) if "channel" in single else None,
            priority=_choice(single["priority"], "priority", Priority) if "priority" in single else None,
            assignee=assignee,
            limit=_limit(single.get("limit")),
            cursor=single.get("cursor") or None,
        )

    @property
    def finished_status(self) -> CaseStatus | None:
        """RESOLVED or CLOSED when the query lists those (from their own index), else None."""
        finished = self.statuses - ACTIVE_STATUSES
        return next(iter(finished)) if finished else None


# --- headers ---------------------------------------------------------------------------------------
def parse_expected_version(if_match: str | None) -> int | None:
    """``If-Match: "7"`` (the case's ETag) pins the version an action expects; ``*`` or none: any."""
    if if_match is None or not if_match.strip() or if_match.strip() == "*":
        return None
    found = _VERSION.match(if_match.strip())
    if not found:
        raise InvalidRequest('If-Match must be the case\'s ETag, e.g. "7"')
    return int(found.group(1))


def parse_idempotency_key(value: str | None) -> str | None:
    if value is None:
        return None
    if not IDEMPOTENCY_KEY_PATTERN.match(value):
        raise InvalidRequest(f"Idempotency-Key must match {IDEMPOTENCY_KEY_PATTERN.pattern}")
    return value
