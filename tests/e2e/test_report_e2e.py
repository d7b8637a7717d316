"""The reports on the local stack: a customer writes in through the platform sandbox, an agent answers
and resolves through the agent API, the stack's stream poller feeds the clock function (which records
the day facts), then ``socialcare report`` runs the report function against the stack and prints the
day's tables; the API serves the stored report to a lead and refuses an agent."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from contextlib import redirect_stdout
from datetime import UTC, datetime

import pytest
import requests
from socialcare_local.cli import main
from socialcare_local.sandbox import payloads as p
from socialcare_local.stack import LocalStack

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    with LocalStack() as running:
        yield running


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def test_socialcare_report_prints_the_day_and_the_api_serves_it_to_leads(stack: LocalStack) -> None:
    page = stack.config.accounts.facebook_page_id
    assert page is not None
    sandbox = stack.sandbox()
    message = p.messenger_message(page, "psid-report-1", "m_report_1", "My parcel never came, awful", now_ms())
    sandbox.send(sandbox.meta(p.meta_delivery("page", [p.meta_entry(page, [message], time=now_ms())])))
    stack.wait_until_idle()
    api = stack.api_base_url
    alice = {"Authorization": stack.agent_token("alice", name="Alice Smith")}
    [case] = requests.get(f"{api}/queues/care/cases", headers=alice, timeout=10).json()["cases"]
    case_url = f"{api}/cases/{case['case_id']}"
    assert requests.post(f"{case_url}/claim", headers=alice, json={}, timeout=10).status_code == 200
    assert requests.post(f"{case_url}/replies", headers=alice, json={"text": "On it!"}, timeout=10).status_code == 202
    stack.wait_until_idle()
    resolved = requests.post(f"{case_url}/status", headers=alice, json={"status": "resolved"}, timeout=10)
    assert resolved.status_code == 200, resolved.text
    stack.wait_until_idle()

    today = datetime.now(UTC).date().isoformat()
    port = stack.aws_endpoint_url.rsplit(":", 1)[1]
    printed = io.StringIO()
    with redirect_stdout(printed):
        assert main(["report", "--aws-port", port, "--date", today]) == 0
    text = printed.getvalue()
    assert f"Accountability report {today} (UTC)" in text
    assert "agent alice" in text
    assert "Leaderboard: a balanced score" in text
    assert "Marketing summary" in text
    assert "psid-report-1" not in text.split("Marketing summary")[1]
    assert f"reports/accountability/dt={today}/accountability.json" in text

    lead = {"Authorization": stack.agent_token("carmen", role="lead")}
    served = requests.get(f"{api}/reports/accountability?date={today}", headers=lead, timeout=10)
    assert (served.status_code, served.headers["Report-Source"]) == (200, "stored")
    totals = served.json()["totals"]
    assert (totals["cases_handled"], totals["resolved"], totals["sla"]["first_response"]["met"]) == (1, 1, 1)
    refused = requests.get(f"{api}/reports/marketing?date={today}", headers=alice, timeout=10)
    assert (refused.status_code, refused.json()["code"]) == (403, "forbidden_role")


def test_a_bad_date_is_refused_naming_it(stack: LocalStack, capsys: pytest.CaptureFixture[str]) -> None:
    port = stack.aws_endpoint_url.rsplit(":", 1)[1]
    assert main(["report", "--aws-port", port, "--date", "30.03.2026"]) == 2
    assert "date must be a date like 2026-03-29" in capsys.readouterr().err
