"""``socialcare demo`` end to end: a fresh stack, the whole scenario over HTTP, the summary, the exit status."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from rich.console import Console
from socialcare_local.config import load_config
from socialcare_local.demo import care_team as team
from socialcare_local.demo import scenario
from socialcare_local.demo.context import Check, Customer, DemoContext, Step
from socialcare_local.demo.run import run_demo

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

ULID = re.compile(r"\b[0-9A-HJKMNP-TV-Z]{26}\b")
CALL_ROW = re.compile(r"^\s*\d+\s+(?P<endpoint>[a-z_]+)\s.*?\s(?P<status>\d{3}(?: rate limited| refused)?)\s*$")


def _console() -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, width=200, color_system=None, force_terminal=False), out


def test_the_demo_runs_every_step_and_summarises_the_cases_it_created(tmp_path: Path) -> None:
    console, out = _console()
    log_file = tmp_path / "logs" / "demo.log"

    status = run_demo(load_config(None), log_file=log_file, keep_running=False, console=console)

    text = out.getvalue()
    assert status == 0, text
    for step in scenario.SCENARIO:
        assert f"✓ {step.title}" in text
    for check in (c for step in scenario.SCENARIO for c in step.checks):
        assert f"✓ {check.name}" in text
    assert "✗" not in text
    board = log_file.parent / "dashboard"
    assert f"Care-floor dashboard (socialcare dashboard): {board / 'care-floor.png'}" in text, "the demo ends with it"
    assert f"its page with the latest values: {board / 'care-floor.html'}" in text
    assert (board / "care-floor.png").stat().st_size > 20_000
    assert 'data-widget="Backlog by team" data-line="care"' in (board / "care-floor.html").read_text(encoding="utf-8")
    summary = text[text.index("Cases created") : text.index("Calls the platform sandbox received")]
    # 8 first-contact customers, Joe, Sheena, the 5 batch customers, Omar, Kofi, triage's journalist,
    # bereaved customer and troll, and the automated messages' three new DMs; nobody else.
    assert len(set(ULID.findall(summary))) == 23
    joe_row = next(line for line in summary.splitlines() if "Joe Average" in line)
    assert re.search(r"x_dm \+ x_post\s+resolved\s+alice\s+high\s+care\s+4\s+2\s+1 h \d\d min\s+answered", joe_row)
    for name in (
        "Priya Shah",
        "@tom.k",
        "Lucía Fernández",
        "Ana Ruiz",
        "Dmitri Kowalski",
        "Lena Vogel",
        "Sheena Nelson",
        "Kofi Mensah",
    ):
        assert name in summary
    assert scenario.MALLORY_PSID not in summary
    # Due times carry their date and zone; the summary says which timestamps are back-dated.
    batch_row = next(line for line in summary.splitlines() if "6014459240000000" in line)
    assert re.search(r"\b\d{4}-\d\d-\d\dT\d\d:\d\dZ\s*$", batch_row), batch_row
    flat = " ".join(summary.split())
    assert "Back-dated:" in flat
    assert "26 hours before it was delivered" in flat

    # Joe's DM, left unanswered on the demo's X DM target of seconds: the case clock warned Alice, his
    # assignee, then notified the team lead at the breach; the Notifications table lists both, read from
    # the stack's log, and counts the back-dated cases' notifications instead of listing them.
    assert "✓ the assignee was warned before the breach" in text
    assert "✓ the lead was notified at the breach" in text
    joe_case = ULID.search(joe_row)
    assert joe_case is not None
    notifications = text[text.index("Notifications (") : text.index("Calls the platform sandbox received")]
    rows = [line for line in notifications.splitlines() if joe_case[0] in line]
    assert len(rows) == 2, rows  # answered after the breach, before the manager's tier
    iso = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"
    assert re.search(rf"^\s*warn\s+assignee\s+{joe_case[0]}\s+Joe Average\s+alice\s+care\s+{iso}\s+{iso}", rows[0]), (
        rows
    )
    assert re.search(
        rf"^\s*breach\s+team lead\s+{joe_case[0]}\s+Joe Average\s+alice\s+care\s+{iso}\s+{iso}", rows[1]
    ), rows
    counted = re.search(
        r"Not listed: (\d+) notifications \(.*?\) for (\d+) back-dated cases", " ".join(notifications.split())
    )
    assert counted is not None, notifications
    assert int(counted[1]) >= int(counted[2]) >= 5  # the backlog's public posts, Dmitri's X DM, Kofi
    assert "Kofi Mensah" in notifications
    assert "26 h" in notifications

    # Every channel the customers used got a reply the platform accepted; Meta's throttled call was
    # answered once more, accepted; the WhatsApp template went out after the free text was refused.
    calls = text[text.index("Calls the platform sandbox received") : text.index("Checks")]
    rows = [CALL_ROW.match(line) for line in calls.splitlines()]
    statuses = [(row["endpoint"], row["status"]) for row in rows if row]
    accepted = {endpoint for endpoint, status in statuses if status in ("200", "201")}
    assert accepted == set(team.EVERY_ENDPOINT)
    assert [s for s in statuses if s[1] not in ("200", "201")] == [("instagram_dm", "400 rate limited")]
    # and the automated messages: one acknowledgement, and the held one a person released.
    assert len(statuses) == 17
    assert "[template order_issue_follow_up (en_US)]" in calls
    # No platform token, agent token or secret reaches the terminal or the log file.
    config = load_config(None)
    logged = log_file.read_text(encoding="utf-8")
    secrets = [
        *config.credentials.meta.page_tokens.values(),  # type: ignore[union-attr]
        *config.credentials.x.user_tokens.values(),  # type: ignore[union-attr]
        *(bot.bot_token for bot in config.credentials.telegram_bots),
        config.api.token_secret,
    ]
    for secret in secrets:
        assert secret not in text
        assert secret not in logged
    assert "eyJ" not in text  # no JWT

    # The terminal got progress and the summary; the stack's and the functions' output went to the file.
    assert '"level"' not in text
    assert '"_aws"' not in text
    docs = [json.loads(line) for line in logged.splitlines()]
    messages = {doc.get("message") for doc in docs}
    assert {"local stack started", "http request", "batch processed", "local stack stopped"} <= messages
    assert {"api request", "platform call", "reply sent"} <= messages
    logged_tiers = [
        (doc["tier"], doc["for"], doc["owner"])
        for doc in docs
        if doc.get("logger") == "socialcare_local.notifications" and doc.get("case_id") == joe_case[0]
    ]
    assert ("warn", "assignee", "alice") in logged_tiers
    assert ("breach", "team_lead", "alice") in logged_tiers
    assert any("_aws" in doc for doc in docs)  # the functions' EMF metric lines


def test_a_step_or_check_that_fails_makes_the_demo_exit_non_zero(tmp_path: Path) -> None:
    """A forged delivery the scenario wrongly expects to be accepted: the step and its check fail."""
    psid, mid = "6014459248888888", "m_demo_expect_wrong"

    def forged_but_expected_accepted(ctx: DemoContext) -> str:
        ctx.customer(ctx.stack.config.accounts.facebook_page_id, psid)
        ctx.send(ctx.brand.messenger(psid, mid, "let me in", ctx.at(0)).tampered(), expect=200)
        return "unreachable"

    def message_was_stored(ctx: DemoContext) -> tuple[bool, str]:
        cases = ctx.cases(Customer(ctx.stack.config.accounts.facebook_page_id or "", psid))
        return len(cases) == 1, f"{len(cases)} case(s)"

    steps = [
        Step("A forged delivery", forged_but_expected_accepted, (Check("the message was stored", message_was_stored),))
    ]
    console, out = _console()

    status = run_demo(
        load_config(None), log_file=tmp_path / "demo.log", keep_running=False, console=console, scenario=steps
    )

    text = out.getvalue()
    assert status == 1
    assert "✗ A forged delivery: messenger (bad signature): HTTP 403, expected 200" in text
    assert "✗ the message was stored (0 case(s))" in text
    assert "demo failed" in text
