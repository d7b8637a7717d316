"""What the department escalation actions share: the case as an answer leaves it, the answer's and the
cancellation's thread entries, and ending the state machine's wait.

**The case after the department answers.** The case leaves ``pending_internal`` (or ``pending_customer``)
for ``open``, and the customer is owed an update: ``awaiting_reply_since`` becomes the answer's time
(unless a customer message already waits, which keeps the earlier time) and the response is due by the
channel's target from then. So the periodic-update clock stops (it runs only in ``pending_internal``),
the next-response clock runs from the answer — the case clock warns and breaches if the agent does not
pass the news on — and the case rises in the team's queue. The agent's reply answers it, as any reply.

**Ending the wait.** The answer completes the callback with the round's stored token (SendTaskSuccess);
a case resolved or closed first cancels its open escalation and fails the wait (``Escalation.Closed``,
which the machine ends on quietly). A token that is no longer waited on (its round timed out just
then) is left: the machine's next round asks again, and the outbound function's department request
finds the escalation answered or cancelled and ends the wait with that round's token.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from socialcare.agents.base import bump
from socialcare.agents.department_deps import DepartmentDeps
from socialcare.ids import new_ulid
from socialcare.model.case import Case, CaseStatus, EntryKind, ThreadEntry
from socialcare.model.department_escalation import (
    CLOSED_ERROR,
    DepartmentAnswer,
    DepartmentEscalation,
    EscalationStatus,
    callback_output,
)
from socialcare.ports import AgentRepository, EscalationWrite
from socialcare.rules.case_sla import SlaInForce, awaited_channel, awaiting_message, status_changed, with_sla

logger = logging.getLogger(__name__)

_BACK_TO_OPEN = frozenset({CaseStatus.PENDING_INTERNAL, CaseStatus.PENDING_CUSTOMER})


def department_entry(
    case_id: str,
    escalation: DepartmentEscalation,
    *,
    at_ms: int,
    author: str,
    text: str | None,
    event: str,
    **extra: str,
) -> ThreadEntry:
    """A line of the case's thread about the escalation (internal, never sent to the customer)."""
    return ThreadEntry(
        case_id=case_id,
        entry_id=f"{at_ms:013d}#dept-{new_ulid(at_ms)}",
        kind=EntryKind.DEPARTMENT,
        timestamp_ms=at_ms,
        author=author,
        text=text,
        extra={
            "event": event,
            "escalation_id": escalation.escalation_id,
            "department": escalation.department_id,
            "department_name": escalation.department_name,
            **extra,
        },
    )


def answered_case(case: Case, answer: DepartmentAnswer, sla: SlaInForce) -> Case:
    """The case as the department's answer leaves it: open, the customer owed an update (module doc),
    due under the SLA in force from the answer, on the channel the customer last wrote on."""
    now = answer.at_ms
    after = replace(case.with_status(CaseStatus.OPEN, now) if case.status in _BACK_TO_OPEN else case, waiting_on=None)
    if not after.status.is_active:  # resolved or closed by something else first: the answer is only kept
        return bump(after, now)
    after = awaiting_message(status_changed(case, after, sla, now), sla, awaited_channel(case), now, now)
    return with_sla(bump(after, now), sla, now)


def answer_entry(case: Case, after: Case, escalation: DepartmentEscalation, answer: DepartmentAnswer) -> ThreadEntry:
    return department_entry(
        case.case_id,
        escalation,
        at_ms=answer.at_ms,
        author=answer.by,
        text=answer.text,
        event="answered",
        answered_by=answer.by_name,
        via=answer.via.value,
        **{"from": case.status.value, "to": after.status.value},
    )


def open_escalation(store: AgentRepository, case_id: str) -> DepartmentEscalation | None:
    """The case's escalation still waiting for its department (there is one at a time)."""
    return next((e for e in store.escalations(case_id) if e.is_open), None)


def cancellation(
    store: AgentRepository, case: Case, *, agent_id: str, now_ms: int
) -> tuple[EscalationWrite, ThreadEntry] | None:
    """The open escalation a resolved or closed case cancels, and the thread's line saying so."""
    waiting = open_escalation(store, case.case_id)
    if waiting is None:
        return None
    cancelled = replace(waiting, status=EscalationStatus.CANCELLED, closed_at_ms=now_ms)
    entry = department_entry(case.case_id, waiting, at_ms=now_ms, author=agent_id, text=None, event="cancelled")
    return EscalationWrite(cancelled), entry


def end_wait(deps: DepartmentDeps | None, escalation: DepartmentEscalation) -> bool:
    """Complete (answered) or fail (cancelled) the machine's wait with the token stored for the round.
    False when there is none yet or its wait is over: the next round's request ends it (module doc)."""
    token = escalation.task_token
    if deps is None or token is None:
        logger.info("no department request waits yet", extra={"escalation_id": escalation.escalation_id})
        return False
    if escalation.answer is not None:
        ended = deps.workflows.succeed(token, callback_output(escalation.answer))
    else:
        ended = deps.workflows.fail(token, error=CLOSED_ERROR, cause="the case was resolved or closed")
    logger.info(
        "department wait ended" if ended else "department wait already over; its next round ends it",
        extra={"escalation_id": escalation.escalation_id, "status": escalation.status.value},
    )
    return ended
