"""The follow-up's ``auto_resolve`` task: resolve a case the customer left unanswered.

The follow-up machine sends the task when the case was still waiting for the customer at its
auto-resolve time; between that read and this one the customer may have written, or an agent acted.
So the case is read again and resolved only if it is still ``pending_customer`` since the task's
``pending_since``; otherwise the task is skipped, saying why. The resolution is written as an agent's
status change is (``ports.CaseStatusWriter``: the case conditioned on the version read, a
``status_change`` thread entry and an audit record, together or not at all), authored by the
automation. A task delivered again finds the case resolved and skips it; a write that loses a race
is decided again on the case as it now is.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from socialcare.clock import Clock
from socialcare.errors import CaseNotFound, CaseVersionConflict
from socialcare.model.audit import AuditAction, AuditRecord
from socialcare.model.case import Case, CaseStatus
from socialcare.model.tasks import CaseTask
from socialcare.ports import AgentChange, CaseStatusWriter
from socialcare.rules.escalation import with_escalation
from socialcare.rules.follow_up import not_pending_since
from socialcare.rules.status_changes import status_change_details, status_change_entry

logger = logging.getLogger(__name__)

AUTOMATION_ID = "automation:follow-up"  # the thread entry's author and the audit record's actor
AUTOMATION_NAME = "Follow-up"
AUTOMATION_ROLE = "system"
REASON = "no answer from the customer"
ATTEMPTS = 3  # decisions on a case that moves on under the write, before the task is left to SQS's retry


class AutoResolver:
    def __init__(self, cases: CaseStatusWriter, *, clock: Clock) -> None:
        self._cases = cases
        self._clock = clock

    def run(self, task: CaseTask) -> str:
        """Resolve the task's case if it still waits for the customer since ``pending_since``; a word for
        the log: ``resolved`` or ``skipped: <why>``."""
        pending_since = task.arg("pending_since")
        for attempt in range(1, ATTEMPTS + 1):
            try:
                case = self._cases.get_case(task.case_id)
            except CaseNotFound:
                return "skipped: no such case"
            why_not = not_pending_since(case, pending_since)
            if why_not is not None:
                return f"skipped: {why_not}"
            try:
                self._resolve(case)
            except CaseVersionConflict:
                if attempt == ATTEMPTS:
                    raise
                logger.info("case moved on under the auto-resolve; deciding again", extra={"attempt": attempt})
                continue
            return "resolved"
        raise AssertionError("unreachable")  # pragma: no cover

    def _resolve(self, case: Case) -> None:
        now = self._clock()
        target = CaseStatus.RESOLVED
        after = with_escalation(replace(case.with_status(target, now), version=case.version + 1), None)
        entry = status_change_entry(
            case, target, author=AUTOMATION_ID, author_name=AUTOMATION_NAME, now_ms=now, reason=REASON
        )
        details = status_change_details(case, target, REASON)
        by = (AUTOMATION_ID, AUTOMATION_ROLE)
        audit = AuditRecord.of_case(
            after.version, case.case_id, AuditAction.STATUS_CHANGED, by=by, at_ms=now, details=details
        )
        self._cases.commit(AgentChange(case, after, audit, (entry,)), now_ms=now)
