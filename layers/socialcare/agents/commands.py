"""What the agent services are asked to do: typed commands and list queries, and their bounds.

The agent API (``chalice_config/chalicelib/requests.py``) builds these from JSON bodies and query
parameters and refuses anything out of these bounds; the services take them as given.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from socialcare.model.case import CaseStatus, Priority
from socialcare.model.events import Channel
from socialcare.model.outbound import ReplyMode
from socialcare.rules import views

DEFAULT_PAGE_SIZE = 25
# The lists of cases read their views' 16 shards (rules/views.py): a page of 50 reads about what it
# returns (items read / returned ≈ 1.04; at 25, ≈ 1.15: aws/paging.merged_page).
QUEUE_PAGE_SIZE = 50
MAX_PAGE_SIZE = 100
THREAD_PAGE_SIZE = 50  # a case's thread: its newest 50 entries unless ``limit`` asks otherwise
MAX_NOTE = 5_000
MAX_QUESTION = 2_000  # an agent's question to a department
MAX_ANSWER = 5_000  # a department's answer
MAX_ANSWERER_NAME = 120
MAX_REASON = 500
MAX_URL = 2_048
MAX_TAGS = 20
ENTRY_ID_PATTERN = re.compile(r"^[0-9]{13}#[^\s]{1,200}$")

UNASSIGNED = views.UNASSIGNED  # the assignee filter value for unowned cases
ME = "me"  # the assignee filter value for the caller's own cases


@dataclass(frozen=True, slots=True)
class ReplyCommand:
    text: str | None = None
    canned_response_id: str | None = None
    mode: ReplyMode | None = None  # default: public on a public channel, private otherwise
    channel: Channel | None = None  # default: the channel of the message answered / the latest one
    reply_to: str | None = None  # entry id of the customer message answered
    attachments: tuple[tuple[str, str], ...] = ()
    template: dict[str, Any] | None = None  # WhatsApp only


@dataclass(frozen=True, slots=True)
class MoveToPrivateCommand:
    text: str | None = None  # default: the brand profile's invitation
    canned_response_id: str | None = None


@dataclass(frozen=True, slots=True)
class NoteCommand:
    text: str


@dataclass(frozen=True, slots=True)
class EscalateCommand:
    department: str  # a department's id
    question: str


@dataclass(frozen=True, slots=True)
class AnswerCommand:
    text: str
    name: str | None = None  # who answers through a link (the link itself names no person)


@dataclass(frozen=True, slots=True)
class StatusCommand:
    status: CaseStatus
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class AssignCommand:
    agent_id: str


@dataclass(frozen=True, slots=True)
class RouteCommand:
    """Re-route a case by hand: its team and priority, its tags (None: keep them), and why."""

    team: str
    priority: Priority
    reason: str
    tags: tuple[str, ...] | None = None


class MarkKind(StrEnum):
    SPAM = "spam"
    TROLL = "troll"


@dataclass(frozen=True, slots=True)
class MarkCommand:
    kind: MarkKind
    reason: str


@dataclass(frozen=True, slots=True)
class ReasonCommand:
    """A restore or a comment hide: an optional reason, kept in the audit trail."""

    reason: str | None = None


@dataclass(frozen=True, slots=True)
class PageQuery:
    limit: int = DEFAULT_PAGE_SIZE
    cursor: str | None = None


@dataclass(frozen=True, slots=True)
class QueueQuery:
    """A team queue request's filters as given (None: not given); ``rules.views.team_view`` says which
    list serves them, or refuses them. ``finished_from_ms``/``finished_until_ms``: the history's range
    (resolved or closed at or after / before)."""

    statuses: frozenset[CaseStatus] | None = None
    channel: Channel | None = None
    priority: Priority | None = None
    assignee: str | None = None  # an agent id, ME or UNASSIGNED
    finished_from_ms: int | None = None
    finished_until_ms: int | None = None
    limit: int = QUEUE_PAGE_SIZE
    cursor: str | None = None
