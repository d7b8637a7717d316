"""The follow-up on the local stack, over HTTP: an agent answers and sets the case to wait for the
customer; the clock function starts the follow-up from the table's stream, moto's Step Functions
engine runs the real ASL file, its ``auto_resolve`` task goes through the outbound queue to the
outbound function, and the resolved case shows through the agent API. A customer who answers in
time keeps their case open. Follow-up times of seconds come from the config's ``[sla]`` table
(``follow_up_seconds``; the nudge left off here)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
import requests
from socialcare.rules.policies import FollowUpPolicy
from socialcare.rules.sla import ResponseTargets
from socialcare_local.config import load_config
from socialcare_local.sandbox import payloads as p
from socialcare_local.stack import LocalStack

from tests.e2e.test_case_clock_e2e import case_of, messenger, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

AUTO_RESOLVE_S = 4


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    config = replace(load_config(None), sla=ResponseTargets(follow_up=FollowUpPolicy(None, AUTO_RESOLVE_S * 1000)))
    with LocalStack(config) as running:
        yield running


def answer_and_wait_for_the_customer(stack: LocalStack, token: str, psid: str) -> dict[str, Any]:
    messenger(stack, psid, "Has my parcel left?")
    case = case_of(stack, token, psid)
    api, headers = f"{stack.api_base_url}/cases/{case['case_id']}", {"Authorization": token}
    reply = requests.post(f"{api}/replies", json={"text": "It has! Did it arrive?"}, headers=headers, timeout=10)
    assert reply.status_code == 202, reply.text
    stack.wait_until_idle()
    pending = requests.post(f"{api}/status", json={"status": "pending_customer"}, headers=headers, timeout=10)
    assert pending.status_code == 200, pending.text
    return dict(pending.json()["case"])


def customer_answers(stack: LocalStack, psid: str, text: str) -> None:
    sandbox = stack.sandbox()
    page = stack.config.accounts.facebook_page_id
    assert page is not None
    at = time.time_ns() // 1_000_000
    message = p.messenger_message(page, psid, f"m_{psid}_answer", text, at)
    assert sandbox.send(sandbox.meta(p.meta_delivery("page", [p.meta_entry(page, [message], time=at)]))).ok
    stack.wait_until_idle()


def test_a_customer_who_stays_silent_has_their_case_resolved_by_the_automation(stack: LocalStack) -> None:
    token = stack.agent_token("alice", name="Alice Smith")
    case = answer_and_wait_for_the_customer(stack, token, "psid-silent")
    follow_up = case["follow_up"]
    assert (follow_up["cycle"], follow_up["nudge_at"]) == (1, None)
    assert follow_up["auto_resolve_at"] is not None

    def detail() -> dict[str, Any]:
        url = f"{stack.api_base_url}/cases/{case['case_id']}"
        return dict(requests.get(url, headers={"Authorization": token}, timeout=10).json())

    assert wait_for(lambda: detail()["case"]["status"] == "resolved", AUTO_RESOLVE_S + 15)
    resolved = detail()
    changes = [e for e in resolved["thread"] if e["kind"] == "status_change"]
    assert (changes[0]["author"], changes[0]["text"]) == ("automation:follow-up", "no answer from the customer")
    assert resolved["case"]["follow_up"]["auto_resolve_at"] is None


def test_a_customer_who_answers_in_time_keeps_their_case_open(stack: LocalStack) -> None:
    token = stack.agent_token("bob", name="Bob Jones")
    case = answer_and_wait_for_the_customer(stack, token, "psid-answers")
    customer_answers(stack, "psid-answers", "Yes, thanks, but one item is missing")
    assert case_of(stack, token, "psid-answers")["status"] == "open"
    time.sleep(AUTO_RESOLVE_S + 2)
    stack.wait_until_idle()
    assert case_of(stack, token, "psid-answers")["status"] == "open"
    assert case["follow_up"]["cycle"] == 1
