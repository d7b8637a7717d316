"""A case's status, as agents change it.

Rules on top of ``model.case.ALLOWED_TRANSITIONS`` (what a care team expects):
- a case cannot wait for the customer (pending_customer) while the customer waits for the brand:
  the latest customer message must have been answered (a reply sent or queued, not failed);
- resolving or closing a case whose customer is still waiting needs a ``reason`` (spam, answered
  by phone, duplicate...); the reason is kept in the thread and the audit trail, and the wait ends;
- a closed case takes no replies or claims (the customer's next message opens a follow-up case);
  a resolved case can still be answered ("did that help?") and reopened;
- setting the status a case already has changes nothing (a retried request is harmless);
- resolving or closing a case that waits for a department cancels that escalation (in the same
  transaction, with a line in the thread) and ends the department machine's wait.
"""

from __future__ import annotations

from dataclasses import replace

from socialcare.agents import access
from socialcare.agents.base import CaseActions, bump
from socialcare.agents.bookkeeping import decided_again_after_bookkeeping
from socialcare.agents.commands import StatusCommand
from socialcare.agents.escalation_base import cancellation, end_wait
from socialcare.agents.identity import Caller
from socialcare.agents.results import ActionResult
from socialcare.errors import ReasonRequired, StateConflict, UnansweredCustomerMessage
from socialcare.model.audit import AuditAction
from socialcare.model.case import Case, CaseStatus, EntryKind, ThreadEntry, check_transition
from socialcare.model.events import DeliveryState
from socialcare.ports import EscalationWrite
from socialcare.rules.case_sla import answered
from socialcare.rules.status_changes import status_change_details, status_change_entry

_NEEDS_ANSWER = frozenset({CaseStatus.PENDING_CUSTOMER, CaseStatus.RESOLVED, CaseStatus.CLOSED})
_ENDS_ESCALATION = frozenset({CaseStatus.RESOLVED, CaseStatus.CLOSED})
Cancellation = tuple[EscalationWrite, ThreadEntry]


class Lifecycle(CaseActions):
    @decided_again_after_bookkeeping
    def change_status(
        self, caller: Caller, case_id: str, command: StatusCommand, *, expected_version: int | None = None
    ) -> ActionResult:
        case = self._load(caller, case_id, access.require_work, expected_version)
        now = self._clock()
        target = command.status
        if target is case.status:
            return ActionResult(case=case, now_ms=now, changed=False)
        try:
            check_transition(case.status, target)
        except StateConflict as exc:
            exc.current = case
            raise
        waiting = self._unanswered_since(case) if target in _NEEDS_ANSWER else None
        if waiting is not None and target is CaseStatus.PENDING_CUSTOMER:
            raise UnansweredCustomerMessage(
                "the customer is waiting for an answer; reply before setting the case to wait for them"
            )
        if waiting is not None and not command.reason:
            raise ReasonRequired(
                f"the customer's latest message is unanswered; give a reason to {_verb(target)} the case without replying"
            )
        # A new version, like every action: a writer that read the case before (the outbound sender
        # recording a reply) must not put the old status back.
        after = bump(with_status(case, target, now), now)
        if waiting is not None:  # decided not to answer: the customer is no longer waiting on the brand
            after = answered(after)
        # Resolved or closed: no schedule (a running clock ends when it wakes); reopened with an
        # answer still awaited: the clock runs again; a pausing status stops the clocks it pauses.
        after = self._moved(case, after, now)
        entry = status_entry(case, target, caller, now, command.reason)
        details = status_change_details(case, target, command.reason)
        cancelled = self._cancelled_escalation(case, target, caller, now)
        if cancelled is not None:
            details["escalation_cancelled"] = cancelled[0].escalation.escalation_id
        self._commit(
            caller,
            case,
            after,
            AuditAction.STATUS_CHANGED,
            now,
            details=details,
            entries=(entry, *([cancelled[1]] if cancelled else [])),
            escalation=cancelled[0] if cancelled else None,
        )
        if cancelled is not None:
            end_wait(self._deps.departments, cancelled[0].escalation)
        return ActionResult(case=after, now_ms=now, entry=entry)

    def _cancelled_escalation(self, case: Case, target: CaseStatus, caller: Caller, now: int) -> Cancellation | None:
        """The department escalation a resolution or closure cancels (none while escalation is not deployed)."""
        if target not in _ENDS_ESCALATION or self._deps.departments is None:
            return None
        return cancellation(self._store, case, agent_id=caller.agent_id, now_ms=now)

    def _unanswered_since(self, case: Case) -> int | None:
        """When the customer started waiting, unless a reply (queued or sent, not failed) followed:
        only the entries since the wait began are read, newest first, up to the newest reply."""
        since = case.awaiting_reply_since_ms
        if since is None:
            return None
        for entry in self._store.newest_entries(case.case_id, since_ms=since):
            if (
                entry.kind is EntryKind.OUTBOUND
                and entry.delivery_state is not DeliveryState.FAILED
                and entry.timestamp_ms >= since
            ):
                return None
        return since


def _verb(status: CaseStatus) -> str:
    return "close" if status is CaseStatus.CLOSED else "resolve"


def with_status(case: Case, target: CaseStatus, now: int) -> Case:
    """The case in ``target`` status; reopening a resolved case counts the reopen."""
    after = case.with_status(target, now)
    if target is CaseStatus.OPEN and case.status is CaseStatus.RESOLVED:
        after = replace(after, resolved_at_ms=None, reopen_count=case.reopen_count + 1)
    return after


def status_entry(case: Case, target: CaseStatus, caller: Caller, now: int, reason: str | None) -> ThreadEntry:
    """The thread's line recording a status change (and its reason), by ``caller``."""
    return status_change_entry(
        case, target, author=caller.agent_id, author_name=caller.display_name, now_ms=now, reason=reason
    )
