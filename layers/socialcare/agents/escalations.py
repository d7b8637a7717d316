"""Department escalation through the agent API: an agent hands a case to a department, and the
department answers — a member with an agent account through the API, anyone else through the signed
one-time link of its notification.

- **Escalate** (whoever may work the case): the department must exist and the case be active with no
  other escalation open. One transaction stores the escalation (``CASE#<id>`` / ``ESC#<escalation id>``),
  moves the case to ``pending_internal`` (an unowned case is claimed by the one escalating: its owner is
  reminded), adds the question to the thread and audits it; then the state machine starts, named
  ``dept-<escalation id>``. A retried request (same Idempotency-Key) answers the first result and starts
  the same execution again, which Step Functions keeps single.
- **Answer**: the department's people (their team is the department's id) or admins, or the link's
  holder. The answer goes on the thread, the escalation is answered (a conditional write: once), the
  case is opened for the agent to update the customer (``escalation_base``), and the machine's wait
  is completed.
"""

from __future__ import annotations

import logging
import math
from dataclasses import replace

from socialcare.agents import access
from socialcare.agents.base import bump
from socialcare.agents.bookkeeping import DECIDE_ATTEMPTS
from socialcare.agents.commands import AnswerCommand, EscalateCommand
from socialcare.agents.department_deps import DepartmentDeps
from socialcare.agents.escalation_base import (
    answer_entry,
    answered_case,
    department_entry,
    end_wait,
    open_escalation,
)
from socialcare.agents.idempotency import Decision, Keyed, KeyedActions
from socialcare.agents.identity import Caller
from socialcare.agents.results import AnswerLinkView, EscalationAnswered, EscalationList, EscalationResult
from socialcare.errors import (
    AnswerLinkInvalid,
    CaseNotActive,
    CaseVersionConflict,
    DepartmentNotFound,
    EscalationClosed,
    EscalationNotFound,
    EscalationNotStarted,
    EscalationOpen,
    NotDepartmentMember,
)
from socialcare.ids import new_ulid
from socialcare.model.audit import AuditAction, AuditRecord
from socialcare.model.case import Case, CaseStatus
from socialcare.model.config import ConfigKind
from socialcare.model.department import Department
from socialcare.model.department_escalation import (
    AnswerVia,
    DepartmentAnswer,
    DepartmentEscalation,
    EscalationStatus,
    case_of,
    new_escalation_id,
)
from socialcare.model.escalation import instant_text
from socialcare.ports import AgentChange, EscalationWrite
from socialcare.rules.answer_links import AnswerLinks
from socialcare.rules.case_sla import case_facts
from socialcare.rules.policies import SlaClock

logger = logging.getLogger(__name__)


class Escalations(KeyedActions):
    # --- the agent's side ---------------------------------------------------------------------
    def escalate(
        self,
        caller: Caller,
        case_id: str,
        command: EscalateCommand,
        *,
        expected_version: int | None = None,
        idempotency_key: str | None = None,
    ) -> EscalationResult:
        made: list[DepartmentEscalation] = []

        def decide(case: Case, now: int) -> Decision:  # once the caller may work the case
            deps = self._departments()
            department = self._department(deps, command.department)
            decision = self._escalation(deps, caller, case, department, command.question, now)
            assert decision.escalation is not None
            made.append(decision.escalation.escalation)
            return decision

        request = Keyed("escalation", command, idempotency_key)
        result = self._once(caller, case_id, request, access.require_work, expected_version, decide)
        assert result.entry is not None
        escalation = made[-1] if made and not result.replayed else None
        escalation = escalation or self._store.escalation(case_id, result.entry.extra["escalation_id"])
        assert escalation is not None
        self._departments().workflows.start(escalation.execution_name, escalation.execution_input())
        logger.info(
            "case escalated to a department",
            extra={
                "case_id": case_id,
                "escalation_id": escalation.escalation_id,
                "department": escalation.department_id,
                "replayed": result.replayed,
            },
        )
        return EscalationResult(result.case, escalation, result.entry, result.now_ms, replayed=result.replayed)

    def list_escalations(self, caller: Caller, case_id: str) -> EscalationList:
        case = self._load(caller, case_id, access.require_view, None)
        return EscalationList(case.case_id, self._store.escalations(case.case_id))

    # --- the department's side ----------------------------------------------------------------
    def answer_escalation(self, caller: Caller, escalation_id: str, command: AnswerCommand) -> EscalationAnswered:
        """A department member (or an admin) answers through the API."""
        escalation = self._escalation_named(escalation_id, EscalationNotFound(f"no escalation {escalation_id}"))
        if not caller.in_team(escalation.department_id):
            raise NotDepartmentMember(
                f"{caller.agent_id} is not in team {escalation.department_id}: only the department answers it"
            )
        answer = DepartmentAnswer(command.text, caller.agent_id, caller.display_name, AnswerVia.API, self._clock())
        return self._answer(escalation, answer, actor_role=caller.role.value)

    def answer_link(self, token: str) -> AnswerLinkView:
        """What a link shows before it is used: the question, never the customer's messages."""
        claims = self._links().verify(token, now_ms=self._clock())
        escalation = self._escalation_named(claims.escalation_id, AnswerLinkInvalid("this answer link is not valid"))
        _require_open(escalation)
        return AnswerLinkView(escalation, claims.expires_at_ms)

    def answer_by_link(self, token: str, command: AnswerCommand) -> EscalationAnswered:
        claims = self._links().verify(token, now_ms=self._clock())
        escalation = self._escalation_named(claims.escalation_id, AnswerLinkInvalid("this answer link is not valid"))
        by_name = command.name or f"{escalation.department_name} (answer link)"
        answer = DepartmentAnswer(
            command.text, f"link:{escalation.department_id}", by_name, AnswerVia.LINK, self._clock()
        )
        return self._answer(escalation, answer, actor_role="department")

    # --- steps ----------------------------------------------------------------------------------
    def _departments(self) -> DepartmentDeps:
        if self._deps.departments is None:
            raise EscalationNotStarted("department escalation is not deployed with this API")
        return self._deps.departments

    def _links(self) -> AnswerLinks:
        return self._departments().links

    def _department(self, deps: DepartmentDeps, department_id: str) -> Department:
        stored = deps.config.get_config(ConfigKind.DEPARTMENT, department_id)
        if stored is None:
            raise DepartmentNotFound(f"no department {department_id!r}; an admin adds it under /admin/departments")
        return Department.from_config(stored.document)

    def _escalation_named(self, escalation_id: str, missing: Exception) -> DepartmentEscalation:
        case_id = case_of(escalation_id)
        found = self._store.escalation(case_id, escalation_id) if case_id else None
        if found is None:
            raise missing
        return found

    def _escalation(
        self, deps: DepartmentDeps, caller: Caller, case: Case, department: Department, question: str, now: int
    ) -> Decision:
        if not case.status.is_active:
            raise CaseNotActive(f"case {case.case_id} is {case.status.value}; reopen it first", current=case)
        waiting = open_escalation(self._store, case.case_id)
        if waiting is not None:
            raise EscalationOpen(
                f"case {case.case_id} already waits for {waiting.department_name} ({waiting.escalation_id})",
                current=case,
            )
        after = replace(case, owner=case.owner or caller.agent_id, waiting_on=department.department_id)
        if case.status is not CaseStatus.PENDING_INTERNAL:
            after = after.with_status(CaseStatus.PENDING_INTERNAL, now)
        after = self._moved(case, bump(after, now), now)  # the clocks the wait pauses stop
        escalation = DepartmentEscalation(
            escalation_id=new_escalation_id(case.case_id, now),
            case_id=case.case_id,
            department_id=department.department_id,
            department_name=department.name,
            question=question,
            asked_by=caller.agent_id,
            asked_by_name=caller.display_name,
            asked_at_ms=now,
            agent=after.owner or caller.agent_id,
            team=case.team,
            update_after_s=self._update_after_s(deps, case, now),
            manager_after_rounds=deps.settings.manager_after_rounds,
            manager=department.manager.to_config(),
        )
        moved = {"from": case.status.value, "to": after.status.value}
        entry = department_entry(
            case.case_id,
            escalation,
            at_ms=now,
            author=caller.agent_id,
            text=question,
            event="asked",
            agent_name=caller.display_name,
            **moved,
        )
        return Decision(
            after=after,
            action=AuditAction.ESCALATED,
            entry=entry,
            details={"escalation_id": escalation.escalation_id, "department": department.department_id, **moved},
            entries=(entry,),
            escalation=EscalationWrite(escalation, new=True),
        )

    def _update_after_s(self, deps: DepartmentDeps, case: Case, now: int) -> int:
        """The periodic-update target of the case's SLA policy, from now on its calendar, in seconds of
        wall time: how long each round waits for the department before the agent is reminded."""
        if deps.settings.update_after_s is not None:
            return deps.settings.update_after_s
        waiting = replace(case_facts(case), status=CaseStatus.PENDING_INTERNAL, status_since_ms=now)
        periodic = self._sla().due_times(waiting, now).due(SlaClock.PERIODIC_UPDATE)
        due_at = periodic.breach_at_ms if periodic else now + deps.settings.default_update_minutes * 60_000
        return max(1, math.ceil((due_at - now) / 1000))

    def _answer(
        self, escalation: DepartmentEscalation, answer: DepartmentAnswer, *, actor_role: str
    ) -> EscalationAnswered:
        """Store the answer with the case it opens, once; then end the machine's wait."""
        _require_open(escalation)
        answered = replace(escalation, status=EscalationStatus.ANSWERED, answer=answer)
        for attempt in range(1, DECIDE_ATTEMPTS + 1):
            case = self._store.get_case(escalation.case_id)
            after = answered_case(case, answer, self._sla())
            audit = AuditRecord(
                record_id=new_ulid(answer.at_ms),
                at_ms=answer.at_ms,
                actor=answer.by,
                actor_role=actor_role,
                action=AuditAction.ESCALATION_ANSWERED,
                case_id=case.case_id,
                case_version=after.version,
                details={
                    "escalation_id": escalation.escalation_id,
                    "department": escalation.department_id,
                    "via": answer.via.value,
                },
            )
            entry = answer_entry(case, after, escalation, answer)
            change = AgentChange(case, after, audit, (entry,), escalation=EscalationWrite(answered))
            try:
                self._store.commit(change, now_ms=answer.at_ms)
                break
            except CaseVersionConflict:  # the customer wrote, a colleague acted: the answer still belongs there
                if attempt == DECIDE_ATTEMPTS:
                    raise
        completed = end_wait(self._deps.departments, answered)
        logger.info(
            "department answered",
            extra={"case_id": escalation.case_id, "escalation_id": escalation.escalation_id, "via": answer.via.value},
        )
        return EscalationAnswered(answered, callback_completed=completed)


def _require_open(escalation: DepartmentEscalation) -> None:
    if escalation.answer is not None:
        raise EscalationClosed(
            f"{escalation.department_name} answered this already ({escalation.answer.by_name}, "
            f"{instant_text(escalation.answer.at_ms)}); an answer link is good once"
        )
    if not escalation.is_open:
        raise EscalationClosed("the case was resolved or closed; this question no longer needs an answer")
