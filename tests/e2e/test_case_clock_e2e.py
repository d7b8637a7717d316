"""The case clock on the local stack, over HTTP: a Telegram message with a target of seconds (the
config file's ``[sla]`` table) is left unanswered; the clock function starts the clock from the
table's stream, moto's Step Functions engine runs the real ASL file, and the escalation shows
through the agent API and as notifications in the stack's log. A message answered in time starts a
clock that escalates nothing."""

from __future__ import annotations

import io
import json
import time
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
import requests
from socialcare.model.events import Channel
from socialcare.rules.sla import ResponseTargets
from socialcare_local.config import load_config
from socialcare_local.sandbox import payloads as p
from socialcare_local.stack import CLOCK_SWEEP_SCHEDULE, LocalStack

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

TARGET_S = 6  # Telegram: warn after 4.5 s, breach after 6 s, second tier after 9 s
ANSWERED_TARGET_S = 8  # Messenger: time enough to answer first on a busy machine (warn after 6 s)


@pytest.fixture(scope="module")
def stack(log_lines: io.StringIO) -> Iterator[LocalStack]:
    config = replace(
        load_config(None),
        sla=ResponseTargets(seconds={Channel.TELEGRAM: TARGET_S, Channel.MESSENGER: ANSWERED_TARGET_S}),
    )
    with LocalStack(config) as running:
        yield running


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def telegram(stack: LocalStack, user: int, text: str) -> None:
    sandbox = stack.sandbox()
    bot = stack.config.accounts.telegram_bot_id
    update = p.telegram_message(user, 1, p.telegram_user(user, "Sam"), text, now_ms() // 1000)
    assert sandbox.send(sandbox.telegram(update, bot_id=bot)).status_code == 200
    stack.wait_until_idle()


def messenger(stack: LocalStack, psid: str, text: str) -> None:
    sandbox = stack.sandbox()
    page = stack.config.accounts.facebook_page_id
    assert page is not None
    message = p.messenger_message(page, psid, f"m_{psid}", text, now_ms())
    assert sandbox.send(sandbox.meta(p.meta_delivery("page", [p.meta_entry(page, [message], time=now_ms())]))).ok
    stack.wait_until_idle()


def case_of(stack: LocalStack, token: str, user: int | str) -> dict[str, Any]:
    response = requests.get(f"{stack.api_base_url}/queues/care/cases", headers={"Authorization": token}, timeout=10)
    assert response.status_code == 200, response.text
    [case] = [c for c in response.json()["cases"] if c["customer"]["user_id"] == str(user)]
    detail = requests.get(
        f"{stack.api_base_url}/cases/{case['case_id']}", headers={"Authorization": token}, timeout=10
    ).json()
    return dict(detail["case"])


def wait_for(predicate: Any, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def test_an_unanswered_case_breaches_and_escalates_visibly(stack: LocalStack, log_lines: io.StringIO) -> None:
    token = stack.agent_token("alice", name="Alice Smith")
    sent = time.monotonic()
    telegram(stack, 4242001, "Where is my refund?")
    case = case_of(stack, token, 4242001)
    clock = case["case_clock"]
    assert (clock["generation"], clock["clock"]) == (1, "first_response")
    if time.monotonic() - sent < TARGET_S * 0.75:  # read before the warning was due (a busy machine may be slower)
        assert clock["sla_tier"] is None
    assert clock["breach_at"] == case["response_due_at"]

    def tiers() -> list[str]:
        return [n["tier"] for n in stack.notifications() if n["case_id"] == case["case_id"]]

    assert wait_for(lambda: tiers() == ["warn", "breach", "second_tier"], timeout_s=TARGET_S * 1.5 + 8), tiers()
    after = case_of(stack, token, 4242001)
    assert after["case_clock"]["sla_tier"] == "second_tier"
    assert after["overdue"] is True

    lines = [json.loads(line) for line in log_lines.getvalue().splitlines() if line.strip()]
    logged = [
        line
        for line in lines
        if line["logger"] == "socialcare_local.notifications" and line.get("case_id") == case["case_id"]
    ]
    assert [(n["tier"], n["for"]) for n in logged] == [
        ("warn", "assignee"),
        ("breach", "team_lead"),
        ("second_tier", "manager"),
    ]
    assert all(n["team"] == "care" and n["owner"] == "" for n in logged), "unassigned: owner is empty"
    assert not any("refund" in json.dumps(n) for n in logged), "no message text in notifications"


def test_a_case_answered_in_time_is_not_escalated(stack: LocalStack) -> None:
    token = stack.agent_token("bob", name="Bob Jones")
    started = time.monotonic()
    messenger(stack, "psid-clock-2", "Quick question")
    case = case_of(stack, token, "psid-clock-2")
    reply = requests.post(
        f"{stack.api_base_url}/cases/{case['case_id']}/replies",
        json={"text": "Happy to help!"},
        headers={"Authorization": token},
        timeout=10,
    )
    assert reply.status_code in (200, 201, 202), reply.text
    stack.wait_until_idle()
    answered = case_of(stack, token, "psid-clock-2")
    assert answered["case_clock"]["breach_at"] is None
    assert answered["case_clock"]["generation"] == 1, "the clock that started ends when it wakes"
    time.sleep(max(0.0, started + ANSWERED_TARGET_S + 1 - time.monotonic()))  # past the breach
    assert [n for n in stack.notifications() if n["case_id"] == case["case_id"]] == []


def test_the_clock_sweep_runs_on_its_schedule(stack: LocalStack) -> None:
    """The stack runs the clock sweep as EventBridge Scheduler does in AWS (at start, then every minute):
    the cases here are due in seconds, so their clocks started from the stream and it finds none to start."""
    assert stack.schedules is not None
    assert wait_for(lambda: stack.schedules is not None and stack.schedules.schedule(CLOCK_SWEEP_SCHEDULE).runs > 0, 10)
    summary = stack.schedules.run_now(CLOCK_SWEEP_SCHEDULE)
    assert summary == {"started": 0, "shards_read": 16, "behind": []}
    assert stack.schedules.schedule(CLOCK_SWEEP_SCHEDULE).failures == 0
