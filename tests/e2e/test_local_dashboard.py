"""Issue 10, item 5, on the local stack: customers write, an agent answers, the metrics function runs as
its schedule would, the functions' EMF lines reach the stack's CloudWatch, and the care-floor dashboard
is drawn from the widgets the CDK app deploys — a PNG, and a page whose table holds the figures the
scenario made."""

from __future__ import annotations

import time
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
import requests
from socialcare.aws.case_store import CaseStore
from socialcare_infra import dashboards
from socialcare_local.cli import main
from socialcare_local.dashboard import draw_dashboard
from socialcare_local.sandbox import payloads as p
from socialcare_local.stack import LocalStack

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

WAITING_S = 600  # the WhatsApp customer wrote ten minutes before the test


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    with LocalStack(metrics_every_s=3600) as running:  # one scheduled run at the start; the test runs the next
        yield running


class LatestValues(HTMLParser):
    """(widget, line) -> value, from the page's table of latest values."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[tuple[str, str], float] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "tr" and "data-widget" in found:
            key = (str(found["data-widget"]), str(found["data-line"]))
            self.rows[key] = float(str(found["data-value"]).replace(",", ""))


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def customers_write_and_alice_answers_one(stack: LocalStack) -> tuple[str, int]:
    """The answered case's id, and when its customer wrote (ms)."""
    accounts = stack.config.accounts
    page, phone, waba = (
        accounts.facebook_page_id,
        accounts.whatsapp_phone_number_id,
        accounts.whatsapp_business_account_id,
    )
    assert page is not None
    assert phone is not None
    assert waba is not None
    sandbox = stack.sandbox()
    written_ms = now_ms()
    messenger = p.messenger_message(page, "psid-dash-1", "m_dash_1", "Where is my refund?", written_ms)
    assert sandbox.send(sandbox.meta(p.meta_delivery("page", [p.meta_entry(page, [messenger])]))).ok
    written_s = now_ms() // 1000 - WAITING_S
    whatsapp = p.whatsapp_message(phone, "447700900555", "wamid.DASH_1", "Is the blue one back?", written_s)
    assert sandbox.send(sandbox.meta(p.meta_delivery("whatsapp_business_account", [p.meta_entry(waba, [whatsapp])]))).ok
    stack.wait_until_idle()
    token = stack.agent_token("alice", name="Alice Smith")
    headers = {"Authorization": token}
    queue = requests.get(f"{stack.api_base_url}/queues/care/cases?channel=messenger", headers=headers, timeout=10)
    [case] = [c for c in queue.json()["cases"] if c["customer"]["user_id"] == "psid-dash-1"]
    reply = requests.post(
        f"{stack.api_base_url}/cases/{case['case_id']}/replies",
        json={"text": "Refunded today."},
        headers=headers,
        timeout=10,
    )
    assert reply.status_code == 202, reply.text
    stack.wait_until_idle()
    return str(case["case_id"]), written_ms


def test_the_care_floor_is_drawn_with_the_figures_the_scenario_made(stack: LocalStack, tmp_path: Path) -> None:
    answered, written_ms = customers_write_and_alice_answers_one(stack)
    summary = stack.publish_metrics()
    assert (summary["open_cases"], summary["requests"]) == (2, 1)
    drawn = draw_dashboard(stack.client("cloudwatch"), tmp_path)

    assert drawn.png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert drawn.png.stat().st_size > 20_000, "a picture of ten graphs, not an empty canvas"
    page = drawn.html.read_text(encoding="utf-8")
    assert f'src="{drawn.png.name}"' in page
    latest = LatestValues()
    latest.feed(page)
    values = latest.rows
    titles = {widget.title for widget in dashboards.CARE_FLOOR.widgets}
    assert {widget for widget, _ in values} <= titles, "only the deployed widgets"

    assert values[("Backlog by team", "care")] == 2
    assert values[("Backlog by channel", "messenger")] == 1
    assert values[("Backlog by channel", "whatsapp")] == 1
    assert values[("Backlog by channel", "x_post")] == 0, "every channel's line, zeros included"
    assert values[("Waiting for an answer by team", "care")] == 1
    assert values[("In breach by team", "care")] == 0
    assert WAITING_S <= values[("Oldest unanswered by team", "care")] < WAITING_S + 120
    assert values[("Messages in by channel", "messenger")] == 1
    assert values[("Messages in by channel", "whatsapp")] == 1

    case = CaseStore(stack.resources.table_name, client=stack.client("dynamodb")).get_case(answered)
    assert case.first_response_at_ms is not None
    waited_s = (case.first_response_at_ms - written_ms) / 1000  # from the customer's message to the answer
    assert values[("First response time by team", "wall Average care")] == pytest.approx(waited_s, abs=0.1)
    assert ("First response time by team", "business Average care") in values  # 24/7 by default: the same


def test_socialcare_dashboard_writes_the_folder_and_prints_where(
    stack: LocalStack, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert stack.aws.port is not None
    folder = tmp_path / "board"
    assert main(["dashboard", "--aws-port", str(stack.aws.port), "--out", str(folder), "--minutes", "5"]) == 0
    out = capsys.readouterr().out
    assert f"dashboard written to {folder}/" in out
    assert (folder / "care-floor.png").is_file()
    assert (folder / "care-floor.html").is_file()


def test_socialcare_dashboard_without_a_stack_says_where_it_looked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import socket

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    assert main(["dashboard", "--aws-port", str(port), "--out", str(tmp_path / "none")]) == 2
    err = capsys.readouterr().err
    assert f"cannot read the stack's CloudWatch at http://127.0.0.1:{port}" in err
    assert not (tmp_path / "none").exists()
