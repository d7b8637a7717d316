"""A case handed to a department (billing, engineering...): the question, the wait, the answer.

An agent escalates a case to a department with a question; the case waits in ``pending_internal``
while the department escalation state machine (``infra/state_machines/department_escalation.asl.json``,
one execution per escalation, named ``dept-<escalation id>``) asks the department and waits for its
answer with the callback pattern. Each round of asking has its own task token, which the outbound
function stores here (``task_token``, ``token_round``) so that whoever records the answer can complete
the callback. The escalation is answered once (``status`` open → answered, a conditional write), or
cancelled when the case is resolved or closed first.

The escalation id is ``<case id>-<ULID>``: it names the case it belongs to, so an answer that arrives
with only the escalation id (the answer route, the signed link) finds the item by key.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from socialcare.ids import new_ulid
from socialcare.model.escalation import instant_text

_ULID = r"[0-9A-HJKMNP-TV-Z]{26}"
ESCALATION_ID_PATTERN = re.compile(rf"^({_ULID})-({_ULID})$")

# The events the machine and the outbound function put on the project's bus (source ``socialcare``);
# a test holds the ASL file to these names.
DEPARTMENT_REQUEST = "Department request"  # the department is asked (with the answer link)
UPDATE_REMINDER = "Department update reminder"  # the agent: update the customer, the department is silent
MANAGER_ESCALATION = "Department escalated to manager"  # the department's manager: the answer is late
DEPARTMENT_ANSWERED = "Department answered"  # the agent: the answer is on the case's thread
DEPARTMENT_EVENTS = (DEPARTMENT_REQUEST, UPDATE_REMINDER, MANAGER_ESCALATION, DEPARTMENT_ANSWERED)
# The error the machine catches when an escalation ends unanswered (the case was resolved or closed).
CLOSED_ERROR = "Escalation.Closed"


class EscalationStatus(StrEnum):
    OPEN = "open"  # waiting for the department
    ANSWERED = "answered"
    CANCELLED = "cancelled"  # the case was resolved or closed before the department answered


class AnswerVia(StrEnum):
    API = "api"  # a department member with an agent account, through the agent API
    LINK = "link"  # the signed one-time link of the department's notification


@dataclass(frozen=True, slots=True)
class DepartmentAnswer:
    text: str
    by: str  # the agent id, or "link:<department id>" for an answer through the link
    by_name: str  # as the thread shows it
    via: AnswerVia
    at_ms: int


@dataclass(frozen=True, slots=True)
class DepartmentEscalation:
    escalation_id: str
    case_id: str
    department_id: str
    department_name: str
    question: str
    asked_by: str  # the agent (or lead) who escalated
    asked_by_name: str
    asked_at_ms: int
    agent: str  # the case's owner then: reminded to update the customer while the department is silent
    team: str  # the case's team then
    update_after_s: int  # the periodic-update target: how long each round waits for the answer
    manager_after_rounds: int  # from this round on, a reminder also goes to the department's manager
    manager: Mapping[str, str] = field(default_factory=dict)  # the department's manager (contact)
    status: EscalationStatus = EscalationStatus.OPEN
    task_token: str | None = None  # the current round's callback token (never shown, never logged)
    token_round: int | None = None
    answer: DepartmentAnswer | None = None
    closed_at_ms: int | None = None  # cancelled at

    @property
    def execution_name(self) -> str:
        return execution_name(self.escalation_id)

    @property
    def is_open(self) -> bool:
        return self.status is EscalationStatus.OPEN

    def execution_input(self) -> dict[str, object]:
        """What the machine starts with: everything its states say, so it never reads the table."""
        return {
            "escalation": {
                "escalation_id": self.escalation_id,
                "case_id": self.case_id,
                "department": self.department_id,
                "department_name": self.department_name,
                "agent": self.agent,
                "team": self.team,
                "manager": dict(self.manager),
                "update_after_s": self.update_after_s,
                "manager_after_rounds": self.manager_after_rounds,
            },
            "round": 0,
        }


def new_escalation_id(case_id: str, now_ms: int) -> str:
    return f"{case_id}-{new_ulid(now_ms)}"


def case_of(escalation_id: str) -> str | None:
    """The case an escalation id belongs to; ``None`` when it is not an escalation id."""
    found = ESCALATION_ID_PATTERN.match(escalation_id)
    return found.group(1) if found else None


def execution_name(escalation_id: str) -> str:
    """The machine's execution for the escalation: deterministic, so a duplicate start finds the first."""
    return f"dept-{escalation_id}"


def callback_output(answer: DepartmentAnswer) -> dict[str, str]:
    """What the answer completes the callback with: who and how, never the text (it is on the thread)."""
    return {"answered_by": answer.by, "answered_at": instant_text(answer.at_ms), "via": answer.via.value}
