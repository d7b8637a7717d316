"""What the agent services return: domain objects, rendered as JSON by the agent API."""

from __future__ import annotations

from dataclasses import dataclass

from socialcare.model.audit import AuditRecord
from socialcare.model.case import Case, ThreadEntry
from socialcare.model.crisis import Crisis, HeldMessage
from socialcare.model.department_escalation import DepartmentEscalation
from socialcare.model.profile import BrandProfile
from socialcare.model.summary import CaseSummary


@dataclass(frozen=True, slots=True)
class CaseList:
    cases: list[CaseSummary]
    next_cursor: str | None
    now_ms: int
    crises: tuple[Crisis, ...] = ()  # active now: each case shows those whose scope covers it


@dataclass(frozen=True, slots=True)
class ThreadPage:
    """A page of a case's thread, the newest entries first; ``next_cursor`` reads on into older ones."""

    case_id: str
    entries: list[ThreadEntry]
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class CaseDetail:
    case: Case
    thread: ThreadPage  # its newest entries
    now_ms: int
    crises: tuple[Crisis, ...] = ()  # active now: the case shows those whose scope covers it


@dataclass(frozen=True, slots=True)
class AuditList:
    records: list[AuditRecord]
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class ActionResult:
    case: Case
    now_ms: int
    entry: ThreadEntry | None = None
    changed: bool = True
    replayed: bool = False  # an idempotent retry: the first request's result
    accepted_for_delivery: bool = False  # a reply: stored and queued, sent later


@dataclass(frozen=True, slots=True)
class RenderedCanned:
    response_id: str
    title: str
    text: str | None  # None when this case lacks a value the template needs
    unavailable: str | None = None


@dataclass(frozen=True, slots=True)
class CannedList:
    case_id: str
    responses: list[RenderedCanned]


@dataclass(frozen=True, slots=True)
class ProfileResult:
    profile: BrandProfile


@dataclass(frozen=True, slots=True)
class EscalationResult:
    """A case handed to a department (or the first result again, for a retried request)."""

    case: Case
    escalation: DepartmentEscalation
    entry: ThreadEntry
    now_ms: int
    replayed: bool = False


@dataclass(frozen=True, slots=True)
class EscalationList:
    case_id: str
    escalations: list[DepartmentEscalation]


@dataclass(frozen=True, slots=True)
class EscalationAnswered:
    """A department's answer, recorded: the escalation only (the one answering may not see the case)."""

    escalation: DepartmentEscalation
    callback_completed: bool  # False: the machine's wait is completed by its next round's request


@dataclass(frozen=True, slots=True)
class AnswerLinkView:
    """What an answer link shows: the question and who asks it, never the customer's messages."""

    escalation: DepartmentEscalation
    expires_at_ms: int


@dataclass(frozen=True, slots=True)
class CrisisResult:
    crisis: Crisis
    now_ms: int
    created: bool = False


@dataclass(frozen=True, slots=True)
class CrisisList:
    crises: list[Crisis]
    now_ms: int


@dataclass(frozen=True, slots=True)
class HeldList:
    crisis: Crisis
    messages: list[HeldMessage]
    next_cursor: str | None
    now_ms: int


@dataclass(frozen=True, slots=True)
class HeldResult:
    """A person's decision on a held message; ``queued``: a released one is on its way."""

    held: HeldMessage
    queued: bool = False
