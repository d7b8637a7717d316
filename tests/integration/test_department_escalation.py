"""The department escalation with its real ASL file in moto's Step Functions engine
(``tests/department_escalation_support.py``): the agent service escalates, the machine puts its
request (with the round's task token) on the outbound queue, the real outbound function stores the
token and notifies the department on the bus, and the department's answer completes the callback.

Rounds wait one or two seconds (moto really sleeps): the reminders, the manager's escalation and a
case resolved mid-wait each take a few seconds.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from socialcare.agents.commands import AnswerCommand, EscalateCommand, StatusCommand
from socialcare.model.case import CaseStatus
from socialcare.model.department_escalation import (
    DEPARTMENT_ANSWERED,
    DEPARTMENT_REQUEST,
    MANAGER_ESCALATION,
    UPDATE_REMINDER,
    EscalationStatus,
)

from tests.department_escalation_support import ALICE, FELIX, LINK_BASE, EscalationWorld, escalation_world

pytestmark = pytest.mark.integration

CASE = "01KDEPT00000000000000000C1"
QUESTION = "Was order 4471 refunded twice? The customer sees two charges."


@pytest.fixture
def world(aws_env: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[EscalationWorld]:
    with escalation_world(monkeypatch, update_after_s=1) as opened:
        yield opened


def escalate(world: EscalationWorld, case_id: str = CASE, **kw: Any) -> Any:
    world.new_case(case_id)
    return world.service.escalate(ALICE, case_id, EscalateCommand("billing", QUESTION), **kw)


def types(events: list[dict[str, Any]]) -> list[str]:
    return [e["detail-type"] for e in events]


def test_escalate_ask_answer_completes_the_callback_and_announces_the_answer(world: EscalationWorld) -> None:
    result = escalate(world)
    escalation = result.escalation
    assert result.case.status is CaseStatus.PENDING_INTERNAL
    assert [e["name"] for e in world.executions()] == [f"dept-{escalation.escalation_id}"]

    [task] = world.run_requests()
    assert (task.case_id, task.arg("escalation_id"), task.arg("round")) == (CASE, escalation.escalation_id, "0")
    stored = world.escalation(CASE, escalation.escalation_id)
    assert stored.task_token == task.arg("task_token")
    assert stored.token_round == 0
    [request] = world.events_until(1)
    detail = request["detail"]
    assert request["detail-type"] == DEPARTMENT_REQUEST
    assert set(detail) == {
        "case_id", "escalation_id", "department", "department_name", "contacts", "question", "asked_by", "round",
        "link", "link_expires_at",
    }  # fmt: skip
    assert detail["question"] == QUESTION
    assert detail["contacts"] == [
        {"name": "Billing desk", "email": "billing@acme.example", "chat_webhook_url": "https://chat.acme.example/b"}
    ]
    assert detail["link"].startswith(f"{LINK_BASE}/answers/")
    assert task.arg("task_token") not in json_text(request), "the callback token never leaves the function"

    answered = world.service.answer_escalation(FELIX, escalation.escalation_id, AnswerCommand("Refunded once."))
    assert answered.callback_completed
    assert world.finish_named(escalation.execution_name)["status"] == "SUCCEEDED"
    [announced] = world.events_until(1)
    assert announced["detail-type"] == DEPARTMENT_ANSWERED
    assert {k: announced["detail"][k] for k in ("case_id", "escalation_id", "department", "agent", "answered_by", "via")} == {
        "case_id": CASE, "escalation_id": escalation.escalation_id, "department": "billing", "agent": "alice",
        "answered_by": "felix", "via": "api",
    }  # fmt: skip
    assert "Refunded once." not in json_text(announced), "the event names who answered, never what"
    assert world.states_entered_named(escalation.execution_name) == ["AskDepartment", "AnnounceAnswer"]


def test_an_unanswered_department_reminds_the_agent_then_escalates_to_its_manager(world: EscalationWorld) -> None:
    escalation = escalate(world).escalation  # manager after 2 rounds (the default)
    world.run_requests(3, timeout_s=6)  # round 0, then 1 and 2 after each second without an answer
    assert [t.arg("round") for t in world.tasks] == ["0", "1", "2"]
    assert len({t.arg("task_token") for t in world.tasks}) == 3, "each round asks with a new token"
    assert world.escalation(CASE, escalation.escalation_id).token_round == 2
    events = world.events_until(6)
    assert types(events) == [
        DEPARTMENT_REQUEST, UPDATE_REMINDER, DEPARTMENT_REQUEST, UPDATE_REMINDER, MANAGER_ESCALATION, DEPARTMENT_REQUEST,
    ]  # fmt: skip
    reminders = [e["detail"] for e in events if e["detail-type"] == UPDATE_REMINDER]
    assert [(r["agent"], r["team"], r["round"]) for r in reminders] == [("alice", "care", 1), ("alice", "care", 2)]
    [manager] = [e["detail"] for e in events if e["detail-type"] == MANAGER_ESCALATION]
    assert manager["manager"] == {"name": "Mia Manager", "phone": "+493012345678"}
    # Answered in round 2, with the token that round stored.
    world.service.answer_escalation(FELIX, escalation.escalation_id, AnswerCommand("Refunded."))
    assert world.finish_named(escalation.execution_name)["status"] == "SUCCEEDED"


def test_a_case_resolved_mid_wait_ends_the_machine_without_reminders(world: EscalationWorld) -> None:
    escalation = escalate(world).escalation
    world.run_requests()
    world.events_until(1)
    resolved = world.service.change_status(ALICE, CASE, StatusCommand(CaseStatus.RESOLVED, reason="refunded by phone"))
    assert resolved.case.status is CaseStatus.RESOLVED
    assert world.finish_named(escalation.execution_name)["status"] == "SUCCEEDED"
    assert world.states_entered_named(escalation.execution_name) == ["AskDepartment", "EscalationClosed"]
    assert world.escalation(CASE, escalation.escalation_id).status is EscalationStatus.CANCELLED
    assert world.events_until(1, timeout_s=1.5) == [], "no reminder, no answer announced"


def test_a_request_for_an_escalation_answered_before_it_ran_completes_the_wait(world: EscalationWorld) -> None:
    """The answer came first (the stored token's round had timed out): the next round's request ends it."""
    escalation = escalate(world).escalation
    world.service.answer_escalation(FELIX, escalation.escalation_id, AnswerCommand("Done already."))
    [task] = world.run_requests()
    assert task.arg("round") == "0"
    assert world.finish_named(escalation.execution_name)["status"] == "SUCCEEDED"
    assert types(world.events_until(1)) == [DEPARTMENT_ANSWERED], "the department is not asked: it answered"


def test_a_retried_escalation_and_a_duplicate_start_make_no_second_execution(world: EscalationWorld) -> None:
    first = escalate(world, idempotency_key="esc-1")
    again = world.service.escalate(ALICE, CASE, EscalateCommand("billing", QUESTION), idempotency_key="esc-1")
    assert again.replayed
    assert again.escalation.escalation_id == first.escalation.escalation_id
    escalation = first.escalation
    world.service._deps.departments.workflows.start(escalation.execution_name, {"other": "input"})
    assert [e["name"] for e in world.executions()] == [escalation.execution_name]
    assert len(world.service.list_escalations(ALICE, CASE).escalations) == 1


def json_text(doc: Any) -> str:
    import json

    return json.dumps(doc)
