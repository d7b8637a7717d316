"""Surges on the local stack, over HTTP: the stack runs the surge check itself (moto never fires the
5-minute schedule) every ``[surges] check_every_seconds``; a burst of Messenger messages about an
outage shows as ``Surge detected`` lines in the stack's notifications log, once per topic and account."""

from __future__ import annotations

import io
import json
import time
from collections.abc import Iterator
from dataclasses import replace

import pytest
from socialcare.rules.surges import SurgeSettings
from socialcare_local.config import load_config
from socialcare_local.sandbox import payloads as p
from socialcare_local.stack import SURGE_SCHEDULE, LocalStack

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

CHECK_EVERY_S = 0.5


@pytest.fixture(scope="module")
def stack(log_lines: io.StringIO) -> Iterator[LocalStack]:
    config = replace(
        load_config(None),
        surges=SurgeSettings.from_config({"keywords": {"outage": ["down", "outage"]}, "min_count": 8}),
        surge_check_every_s=CHECK_EVERY_S,
    )
    with LocalStack(config) as running:
        yield running


def test_a_burst_is_logged_as_a_surge_once_per_topic_and_account(stack: LocalStack, log_lines: io.StringIO) -> None:
    page = stack.config.accounts.facebook_page_id
    assert page is not None
    sandbox = stack.sandbox()
    now = time.time_ns() // 1_000_000
    messages = [p.messenger_message(page, f"psid-{i}", f"m_surge_{i}", "is the app down?", now + i) for i in range(10)]
    assert sandbox.send(sandbox.meta(p.meta_delivery("page", [p.meta_entry(page, messages, time=now)]))).ok
    stack.wait_until_idle()

    def surges() -> list[dict[str, str]]:
        return [n for n in stack.notifications() if n["detail_type"] == "Surge detected"]

    deadline = time.monotonic() + 15
    while len(surges()) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert stack.schedules is not None
    runs = stack.schedules.schedule(SURGE_SCHEDULE).runs
    time.sleep(3 * CHECK_EVERY_S)  # more checks run: nothing is raised twice
    assert stack.schedules.schedule(SURGE_SCHEDULE).runs > runs
    found = {(n["scope"], n["surged"]): n for n in surges()}
    assert set(found) == {("topic", "outage"), ("account", page)}
    assert found[("topic", "outage")]["count"] == "10"
    assert 1 <= len(found[("topic", "outage")]["case_ids"].split(",")) <= 5
    lines = [json.loads(line) for line in log_lines.getvalue().splitlines() if '"Surge detected"' in line]
    assert lines
    assert all("app down" not in json.dumps(line) for line in lines)
