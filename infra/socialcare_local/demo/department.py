"""Sheena's double charge handed to billing: Bob escalates her case through the agent API, the department
escalation machine asks billing (its notification, with the signed answer link, appears in the stack's
log), someone at billing opens the link and answers over plain HTTP — no agent account, no token — and
the answer shows on the case's thread for Bob, who owes Sheena an update.

The built-in demo configuration has no departments; ``with_demo_department`` gives the demo's stack a
billing department when its config has none (``[[departments]]`` of the config file otherwise).
"""

from __future__ import annotations

import json
import time
from dataclasses import replace
from typing import Any

import requests
from socialcare.model.config import ConfigKind
from socialcare.model.department import Department
from socialcare.model.department_escalation import DEPARTMENT_ANSWERED, DEPARTMENT_REQUEST

from socialcare_local.config import LocalConfig
from socialcare_local.demo.context import DemoContext
from socialcare_local.demo.errors import DemoStepFailed
from socialcare_local.demo.notifications import NOTIFICATIONS_LOGGER
from socialcare_local.demo.people import BOB

DEPARTMENT = "billing"
BILLING = {
    "id": DEPARTMENT,
    "name": "Billing",
    "contacts": [{"name": "Billing desk", "email": "billing@acme.example"}],
    "manager": {"name": "Mia Becker", "email": "mia.becker@acme.example"},
}
QUESTION = (
    "Has the second charge for order 5521 (49.90 EUR) been refunded to Sheena's card? She asks when she will see it."
)
ANSWER = "Refunded today, reference RF-5521-2; her bank shows it within 3 to 5 business days."
ANSWERED_BY = "Ines (billing desk)"
NOTICE_WAIT_S = 20  # how long a busy machine may take to ask billing (engine, queue poller, bus, log)


def with_demo_department(config: LocalConfig) -> LocalConfig:
    """``config`` with a billing department when it configures none of that id."""
    if any(kind is ConfigKind.DEPARTMENT and name == DEPARTMENT for kind, name, _ in config.sla_documents):
        return config
    billing = (ConfigKind.DEPARTMENT, DEPARTMENT, Department.from_config(BILLING).to_config())
    return replace(config, sla_documents=(*config.sla_documents, billing))


# --- the steps ------------------------------------------------------------------------------------------
def bob_escalates_sheena_to_billing(ctx: DemoContext) -> str:
    bob = ctx.agents[BOB.agent_id]
    case_id = ctx.facts["sheena_case"]
    doc = bob.call("POST", f"/cases/{case_id}/escalations", {"department": DEPARTMENT, "question": QUESTION},
                   expect=(202,), idempotent=True).doc  # fmt: skip
    escalation = doc["escalation"]
    ctx.facts["billing_escalation"] = escalation["escalation_id"]
    request = _wait_for_line(ctx, DEPARTMENT_REQUEST, escalation["escalation_id"])
    ctx.facts["billing_request"] = request
    return (
        f"case {doc['case']['status']}; the machine asked {escalation['department_name']} "
        f"({request.get('contacts')}) with a signed link, logged by the stack"
    )


def billing_answers_through_the_link(ctx: DemoContext) -> str:
    """Billing has no agent account: the link in its notification is all it needs."""
    link = ctx.facts["billing_request"]["link"]
    shown = requests.get(link, timeout=10)
    if shown.status_code != 200:
        raise DemoStepFailed(f"opening the answer link: HTTP {shown.status_code} {shown.text[:200]}")
    answered = requests.post(link, json={"text": ANSWER, "name": ANSWERED_BY}, timeout=10)
    again = requests.post(link, json={"text": "Second thoughts"}, timeout=10)
    ctx.facts["billing_link"] = {
        "question_shown": shown.json().get("question"),
        "answered": answered.status_code,
        "again": (again.status_code, _code(again)),
    }
    if answered.status_code != 200:
        raise DemoStepFailed(f"answering through the link: HTTP {answered.status_code} {answered.text[:200]}")
    _wait_for_line(ctx, DEPARTMENT_ANSWERED, ctx.facts["billing_escalation"])
    bob = ctx.agents[BOB.agent_id]
    detail = bob.case(ctx.facts["sheena_case"])
    # The case view gives the thread newest first; the checks read it in time order.
    ctx.facts["billing_thread"] = [e for e in reversed(detail["thread"]) if e["kind"] == "department"]
    ctx.facts["billing_case"] = detail["case"]
    return (
        f"GET showed the question, POST answered (HTTP {answered.status_code}), the link used again: "
        f"HTTP {again.status_code} {_code(again)}; Bob's view of the case: {detail['case']['status']}, "
        f"the answer in its thread"
    )


# --- the checks -----------------------------------------------------------------------------------------
def billing_notified_with_a_link(ctx: DemoContext) -> tuple[bool, str]:
    request = ctx.facts["billing_request"]
    link = request.get("link", "")
    held = (
        request.get("question") == QUESTION
        and "billing@acme.example" in request.get("contacts", "")
        and link.startswith(f"{ctx.stack.api_base_url}/answers/")
    )
    where = link.split("/answers/")[0] + "/answers/<token>"  # a credential: the terminal never shows its token
    return (
        held,
        f"Department request for {request.get('contacts')}: link {where}, expires {request.get('link_expires_at')}",
    )


def link_answered_once(ctx: DemoContext) -> tuple[bool, str]:
    facts = ctx.facts["billing_link"]
    held = (
        facts["question_shown"] == QUESTION
        and facts["answered"] == 200
        and facts["again"] == (410, "escalation_closed")
    )
    return held, f"answered with HTTP {facts['answered']}; used again: HTTP {facts['again'][0]} {facts['again'][1]}"


def answer_on_the_thread(ctx: DemoContext) -> tuple[bool, str]:
    events = [
        (e["details"].get("event"), e.get("text"), e["details"].get("answered_by")) for e in ctx.facts["billing_thread"]
    ]
    case = ctx.facts["billing_case"]
    held = (
        events == [("asked", QUESTION, None), ("answered", ANSWER, ANSWERED_BY)]
        and case["status"] == "open"
        and case["owner"] == BOB.agent_id
        and case["awaiting_reply_since"] is not None
    )
    return held, (
        f"thread: {', '.join(str(e[0]) for e in events)}; case {case['status']}, owner {case['owner']}, "
        f"an update to Sheena due {case['response_due_at']}"
    )


# --- helpers ----------------------------------------------------------------------------------------------
def _wait_for_line(ctx: DemoContext, detail_type: str, escalation_id: str) -> dict[str, Any]:
    """The notification as the stack logged it (read back from the demo's log file, as an operator would)."""
    deadline = time.monotonic() + NOTICE_WAIT_S
    while time.monotonic() < deadline:
        for line in ctx.read_log().splitlines():
            if NOTIFICATIONS_LOGGER not in line or escalation_id not in line:
                continue
            try:
                doc = json.loads(line)
            except ValueError:
                continue  # a line cut short while being written
            if doc.get("detail_type") == detail_type and doc.get("escalation_id") == escalation_id:
                return dict(doc)
        time.sleep(0.25)
    raise DemoStepFailed(
        f"no {detail_type} notification for {escalation_id} in the stack's log after {NOTICE_WAIT_S} s"
    )


def _code(response: requests.Response) -> str:
    try:
        return str(response.json().get("code", ""))
    except ValueError:
        return ""
