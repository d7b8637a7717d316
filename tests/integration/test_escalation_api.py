"""Department escalation through the agent API (Chalice's test client, on moto; every answer checked
against chalice_config/openapi.yaml): escalating, who may, the department's answer through the API and
through its signed one-time link (expired, altered, reused), a case resolved while it waits.

The machine is created in moto without its engine: a start is recorded, nothing runs (its ASL file runs
in tests/integration/test_department_escalation.py). Answer links are made as the outbound function
makes them: ``AnswerLinks`` under the key derived from the API's secret.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from socialcare import constants as c
from socialcare.model.case import Case
from socialcare.model.events import Channel
from socialcare.rules.answer_links import AnswerLinks, link_key

from tests.agent_api_support import (
    CURSOR_KEY,
    HOUR,
    ApiClient,
    World,
    app_module,
    configured_wiring,
    world_clients,
)
from tests.sla_config_support import BILLING

pytestmark = [
    pytest.mark.integration,
    pytest.mark.filterwarnings("ignore:CognitoUserPoolAuthorizer is not a supported in local mode"),
]

ADMIN: dict[str, Any] = {"agent": "root", "role": "admin"}
FELIX: dict[str, Any] = {"agent": "felix", "teams": ("billing",), "name": "Felix Wagner"}
QUESTION = {"department": "billing", "question": "Was order 4471 charged twice?"}
LINKS = AnswerLinks(link_key(CURSOR_KEY.encode()))


@dataclass
class Setup:
    api: ApiClient
    world: World
    sfn: Any
    machine_arn: str

    def case(self, user: str = "joe") -> Case:
        return self.world.writes(Channel.MESSENGER, user)

    def executions(self) -> list[str]:
        return [e["name"] for e in self.sfn.list_executions(stateMachineArn=self.machine_arn)["executions"]]

    def snapshot(self, case_id: str) -> tuple[Any, ...]:
        """What a refused request must leave as it was: the case, its thread, its escalations."""
        detail = self.api.get(f"/cases/{case_id}").json
        escalations = self.api.get(f"/cases/{case_id}/escalations").json["escalations"]
        return detail["case"]["version"], len(detail["thread"]), escalations, self.executions()

    def escalate(self, case_id: str, **kw: Any) -> Any:
        return self.api.post(f"/cases/{case_id}/escalations", QUESTION, **kw)

    def link(self, escalation_id: str, *, expires_in_ms: int = HOUR) -> str:
        return LINKS.issue(escalation_id, 0, self.world.clock.now_ms + expires_in_ms)


@pytest.fixture
def setup(world: World, monkeypatch: pytest.MonkeyPatch) -> Iterator[Setup]:
    import boto3

    sfn = boto3.client("stepfunctions", region_name="us-east-1")
    machine_arn = sfn.create_state_machine(
        name=f"dept-{world.table}", definition='{"StartAt": "S", "States": {"S": {"Type": "Succeed"}}}',
        roleArn="arn:aws:iam::123456789012:role/d",
    )["stateMachineArn"]  # fmt: skip
    wiring = configured_wiring(world, monkeypatch)
    monkeypatch.setenv(c.ENV_DEPARTMENT_ESCALATION_ARN, machine_arn)
    wiring.wire(clients=world_clients(world, stepfunctions=sfn), clock=world.clock)
    api = ApiClient(app_module().app)
    assert api.put("/admin/departments/billing", BILLING, **ADMIN).status == 200
    yield Setup(api, world, sfn, machine_arn)
    wiring.wire()


# --- escalating -----------------------------------------------------------------------------------
def test_an_agent_escalates_a_case_it_waits_in_pending_internal_and_the_machine_starts(setup: Setup) -> None:
    case = setup.case()
    answer = setup.escalate(case.case_id)
    assert answer.status == 202, answer.json
    doc = answer.json
    escalation = doc["escalation"]
    assert doc["case"]["status"] == "pending_internal"
    assert doc["case"]["owner"] == "alice", "an unowned case is claimed by the one escalating"
    assert answer.headers["ETag"] == f'"{doc["case"]["version"]}"'
    assert (escalation["department"], escalation["department_name"], escalation["status"]) == (
        "billing",
        "Billing",
        "open",
    )
    assert (escalation["agent"], escalation["round"], escalation["answer"]) == ("alice", None, None)
    assert escalation["escalation_id"].startswith(case.case_id + "-")
    assert escalation["update_after_s"] == 1440 * 60, "no policy names a periodic-update target: the default"
    assert doc["entry"]["kind"] == "department"
    assert doc["entry"]["details"]["event"] == "asked"
    assert (doc["entry"]["details"]["from"], doc["entry"]["details"]["to"]) == ("open", "pending_internal")
    assert setup.executions() == [f"dept-{escalation['escalation_id']}"]
    listed = setup.api.get(f"/cases/{case.case_id}/escalations").json["escalations"]
    assert listed == [escalation]
    audit = setup.api.get(f"/cases/{case.case_id}/audit").json["records"]
    assert [r["action"] for r in audit][-1] == "escalated"
    assert "task_token" not in answer.body.decode()


def test_a_retried_escalation_with_the_same_key_makes_no_second_one(setup: Setup) -> None:
    case = setup.case()
    key = {"Idempotency-Key": "esc-4471"}
    first = setup.escalate(case.case_id, headers=key)
    again = setup.escalate(case.case_id, headers=key)
    assert (first.status, again.status) == (202, 202)
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.json["escalation"]["escalation_id"] == first.json["escalation"]["escalation_id"]
    assert len(setup.api.get(f"/cases/{case.case_id}/escalations").json["escalations"]) == 1
    assert len(setup.executions()) == 1


def test_escalating_while_a_department_is_asked_already_is_a_conflict(setup: Setup) -> None:
    case = setup.case()
    assert setup.escalate(case.case_id).status == 202
    before = setup.snapshot(case.case_id)
    again = setup.api.post(f"/cases/{case.case_id}/escalations", {**QUESTION, "question": "And?"})
    assert (again.status, again.code) == (409, "escalation_open")
    assert setup.snapshot(case.case_id) == before


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"department": "legal", "question": "?"}, 404, "department_not_found"),
        ({"department": "Bad Id!", "question": "?"}, 400, "invalid_request"),
        ({"department": "billing"}, 400, "invalid_request"),
        ({"department": "billing", "question": "x" * 2001}, 400, "invalid_request"),
        ({**QUESTION, "priority": "high"}, 400, "invalid_request"),
    ],
)
def test_a_bad_escalation_is_refused_and_changes_nothing(setup: Setup, body: Any, status: int, code: str) -> None:
    case = setup.case()
    before = setup.snapshot(case.case_id)
    answer = setup.api.post(f"/cases/{case.case_id}/escalations", body)
    assert (answer.status, answer.code) == (status, code), answer.json
    assert setup.snapshot(case.case_id) == before


@pytest.mark.parametrize(
    ("caller", "code"),
    [
        ({"agent": "felix", "teams": ("billing",)}, "forbidden_team"),  # another team's case
        ({"agent": "bob"}, "not_case_owner"),  # a colleague's case
    ],
)
def test_agents_without_rights_cannot_escalate(setup: Setup, caller: dict[str, Any], code: str) -> None:
    case = setup.case()
    assert setup.api.post(f"/cases/{case.case_id}/claim").status == 200
    before = setup.snapshot(case.case_id)
    answer = setup.api.post(f"/cases/{case.case_id}/escalations", QUESTION, **caller)
    assert (answer.status, answer.code) == (403, code)
    assert setup.snapshot(case.case_id) == before


def test_escalation_without_the_machine_deployed_is_503(setup: Setup, monkeypatch: pytest.MonkeyPatch) -> None:
    from chalicelib import wiring

    monkeypatch.delenv(c.ENV_DEPARTMENT_ESCALATION_ARN)
    wiring.wire(clients=world_clients(setup.world, stepfunctions=setup.sfn), clock=setup.world.clock)
    case = setup.case()
    answer = setup.escalate(case.case_id)
    assert (answer.status, answer.code) == (503, "escalation_not_started")


# --- the department answers through the API -----------------------------------------------------------
def test_a_department_member_answers_the_case_opens_for_its_agent_to_update_the_customer(setup: Setup) -> None:
    case = setup.case()
    escalation = setup.escalate(case.case_id).json["escalation"]
    assert setup.world.store.get_case(case.case_id).waiting_on == "billing"  # the publisher counts it so
    setup.world.clock.advance(minutes=30)
    answer = setup.api.post(f"/escalations/{escalation['escalation_id']}/answer", {"text": "Refunded once."}, **FELIX)
    assert answer.status == 200, answer.json
    answered = answer.json["escalation"]
    assert answered["status"] == "answered"
    assert {k: answered["answer"][k] for k in ("text", "answered_by", "answered_by_name", "via")} == {
        "text": "Refunded once.", "answered_by": "felix", "answered_by_name": "Felix Wagner", "via": "api",
    }  # fmt: skip
    assert answer.json["callback_completed"] is False, "no round's token stored yet: the machine's request ends it"
    assert "case" not in answer.json, "the department does not see the case"
    detail = setup.api.get(f"/cases/{case.case_id}").json
    assert detail["case"]["status"] == "open"
    assert setup.world.store.get_case(case.case_id).waiting_on is None
    assert detail["case"]["case_clock"]["clock"] == "first_response", "the update is due: the case clock runs"
    [entry] = [e for e in detail["thread"] if e["kind"] == "department" and e["details"]["event"] == "answered"]
    assert (entry["text"], entry["author"], entry["details"]["answered_by"]) == (
        "Refunded once.",
        "felix",
        "Felix Wagner",
    )
    audit = setup.api.get(f"/cases/{case.case_id}/audit").json["records"]
    assert (audit[-1]["action"], audit[-1]["actor"]) == ("escalation_answered", "felix")
    again = setup.api.post(f"/escalations/{escalation['escalation_id']}/answer", {"text": "Again"}, **FELIX)
    assert (again.status, again.code) == (410, "escalation_closed")


def test_only_the_department_answers_through_the_api(setup: Setup) -> None:
    case = setup.case()
    escalation_id = setup.escalate(case.case_id).json["escalation"]["escalation_id"]
    before = setup.snapshot(case.case_id)
    refused = setup.api.post(f"/escalations/{escalation_id}/answer", {"text": "I'll answer myself"})
    assert (refused.status, refused.code) == (403, "not_department_member")
    unknown = setup.api.post(f"/escalations/{case.case_id}-01KAAAAAAAAAAAAAAAAAAAAAAA/answer", {"text": "?"}, **FELIX)
    assert (unknown.status, unknown.code) == (404, "escalation_not_found")
    assert setup.snapshot(case.case_id) == before


# --- the answer link --------------------------------------------------------------------------------
def test_the_link_shows_the_question_and_takes_the_answer_once(setup: Setup) -> None:
    case = setup.case()
    escalation_id = setup.escalate(case.case_id).json["escalation"]["escalation_id"]
    token = setup.link(escalation_id)
    shown = setup.api.get(f"/answers/{token}", agent=None)
    assert shown.status == 200, shown.json
    assert (shown.json["question"], shown.json["department_name"], shown.json["asked_by_name"]) == (
        QUESTION["question"], "Billing", "alice",
    )  # fmt: skip
    assert "Where is my order?" not in shown.body.decode(), "never the customer's messages"
    answered = setup.api.post(
        f"/answers/{token}", {"text": "Charged once, refund pending.", "name": "Ines"}, agent=None
    )
    assert answered.status == 200, answered.json
    assert answered.json["escalation"]["answer"]["via"] == "link"
    assert answered.json["escalation"]["answer"]["answered_by"] == "link:billing"
    after = setup.snapshot(case.case_id)
    reused = setup.api.post(f"/answers/{token}", {"text": "Changed my mind"}, agent=None)
    assert (reused.status, reused.code) == (410, "escalation_closed")
    assert (setup.api.get(f"/answers/{token}", agent=None).status) == 410
    assert setup.snapshot(case.case_id) == after


def test_an_expired_altered_or_foreign_link_is_refused_and_changes_nothing(setup: Setup) -> None:
    case = setup.case()
    escalation_id = setup.escalate(case.case_id).json["escalation"]["escalation_id"]
    before = setup.snapshot(case.case_id)
    expired = setup.link(escalation_id, expires_in_ms=60_000)
    setup.world.clock.advance(minutes=2)
    body, mac = setup.link(escalation_id).split(".")
    altered = body[:-2] + ("AA" if body[-2:] != "AA" else "BB") + "." + mac
    foreign = AnswerLinks(link_key(b"another-deployment-key-000000")).issue(
        escalation_id, 0, setup.world.clock.now_ms + HOUR
    )
    unknown = setup.link(f"{case.case_id}-01KAAAAAAAAAAAAAAAAAAAAAAA")
    for token, status, code in (
        (expired, 410, "answer_link_expired"),
        (altered, 403, "answer_link_invalid"),
        (foreign, 403, "answer_link_invalid"),
        (unknown, 403, "answer_link_invalid"),
        ("not-a-link", 403, "answer_link_invalid"),
    ):
        for method in ("GET", "POST"):
            answer = setup.api.call(
                method, f"/answers/{token}", body={"text": "Refunded"} if method == "POST" else None, agent=None
            )
            assert (answer.status, answer.code) == (status, code), (token, method)
    assert setup.snapshot(case.case_id) == before


# --- the case resolved while the department is asked ----------------------------------------------------
def test_resolving_the_case_cancels_its_escalation_and_its_link(setup: Setup) -> None:
    case = setup.case()
    escalation_id = setup.escalate(case.case_id).json["escalation"]["escalation_id"]
    token = setup.link(escalation_id)
    setup.world.clock.advance(minutes=5)
    resolved = setup.api.post(f"/cases/{case.case_id}/status", {"status": "resolved", "reason": "refunded by phone"})
    assert resolved.status == 200, resolved.json
    [escalation] = setup.api.get(f"/cases/{case.case_id}/escalations").json["escalations"]
    assert escalation["status"] == "cancelled"
    assert escalation["closed_at"] is not None
    thread = setup.api.get(f"/cases/{case.case_id}").json["thread"]
    assert [e["details"]["event"] for e in thread if e["kind"] == "department"] == [
        "cancelled",
        "asked",
    ]  # newest first
    late = setup.api.post(f"/answers/{token}", {"text": "Refunded"}, agent=None)
    assert (late.status, late.code) == (410, "escalation_closed")
    assert "resolved or closed" in late.json["message"]
