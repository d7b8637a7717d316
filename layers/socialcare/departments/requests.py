"""The ``department_request`` task: the department escalation machine asks a department.

The machine (``infra/state_machines/department_escalation.asl.json``) puts the task on the outbound
queue with the round's task token and waits for its callback. Here, for the escalation the task names:

- still open: the token is stored on the escalation (conditional on the round: a redelivered request
  stores the same token again, an older round's never replaces a newer one's), a signed answer link is
  made for the round, and the department is notified on the project's bus — its name and contacts as
  configured now, the agent's question, the link. Stored before the notice goes out, so whoever answers
  finds the token to complete the wait with;
- answered already (an answer recorded while no token of a waiting round was stored): the wait is
  completed now, with this round's token;
- cancelled (the case was resolved or closed), or unknown: the wait ends (``Escalation.Closed``).

Logs name the case, the escalation, the round and the outcome — never the question, the link or a token.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from socialcare.clock import Clock
from socialcare.model.config import ConfigKind
from socialcare.model.department import Department
from socialcare.model.department_escalation import CLOSED_ERROR, DepartmentEscalation, callback_output
from socialcare.model.tasks import CaseTask
from socialcare.ports import (
    ConfigRepository,
    DepartmentCallbacks,
    DepartmentNotifier,
    DepartmentRequestNotice,
    EscalationTokens,
)
from socialcare.rules.answer_links import AnswerLinks, answer_url

logger = logging.getLogger(__name__)

DEFAULT_LINK_TTL_HOURS = 72


@dataclass(frozen=True, slots=True)
class LinkSettings:
    base_url: str  # the agent API's address: links point at its public /answers/{token} route
    ttl_ms: int = DEFAULT_LINK_TTL_HOURS * 3_600_000


class DepartmentRequests:
    def __init__(
        self,
        escalations: EscalationTokens,
        config: ConfigRepository,
        callbacks: DepartmentCallbacks,
        notifier: DepartmentNotifier,
        links: AnswerLinks,
        link_settings: LinkSettings,
        *,
        clock: Clock,
    ) -> None:
        self._escalations = escalations
        self._config = config
        self._callbacks = callbacks
        self._notifier = notifier
        self._links = links
        self._link_settings = link_settings
        self._clock = clock

    def run(self, task: CaseTask) -> str:
        """Ask the department for the task's round; a word for the log."""
        escalation_id, token = task.arg("escalation_id"), task.arg("task_token")
        round_ = int(task.arg("round"))
        found = self._escalations.escalation(task.case_id, escalation_id)
        outcome = self._settled(found, token)
        if outcome is None:
            assert found is not None
            if self._escalations.store_task_token(
                task.case_id, escalation_id, token=token, round=round_, at_ms=self._clock()
            ):
                self._notify(found, round_)
                outcome = "asked"
            else:  # answered or cancelled meanwhile, or a later round asked already
                outcome = self._settled(self._escalations.escalation(task.case_id, escalation_id), token)
                outcome = outcome or f"skipped: a round after {round_} asked already"
        logger.info(
            "department request",
            extra={"case_id": task.case_id, "escalation_id": escalation_id, "round": round_, "outcome": outcome},
        )
        return outcome

    def _settled(self, escalation: DepartmentEscalation | None, token: str) -> str | None:
        """End the wait of an escalation that needs no asking; None when it is open."""
        if escalation is None:
            self._callbacks.fail(token, error=CLOSED_ERROR, cause="no such escalation")
            return "ended: no such escalation"
        if escalation.answer is not None:
            self._callbacks.succeed(token, callback_output(escalation.answer))
            return "completed: answered before this round"
        if not escalation.is_open:
            self._callbacks.fail(token, error=CLOSED_ERROR, cause="the case was resolved or closed")
            return "ended: cancelled"
        return None

    def _notify(self, escalation: DepartmentEscalation, round_: int) -> None:
        now = self._clock()
        expires = now + self._link_settings.ttl_ms
        stored = self._config.get_config(ConfigKind.DEPARTMENT, escalation.department_id)
        department = Department.from_config(stored.document) if stored is not None else None
        contacts = tuple(c.to_config() for c in department.contacts) if department else ()
        self._notifier.department_request(
            DepartmentRequestNotice(
                escalation_id=escalation.escalation_id,
                case_id=escalation.case_id,
                department_id=escalation.department_id,
                department_name=department.name if department else escalation.department_name,
                contacts=contacts,
                question=escalation.question,
                asked_by_name=escalation.asked_by_name,
                round=round_,
                link=answer_url(
                    self._link_settings.base_url, self._links.issue(escalation.escalation_id, round_, expires)
                ),
                link_expires_at_ms=expires,
            )
        )
