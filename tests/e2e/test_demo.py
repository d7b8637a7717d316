"""``socialcare demo`` end to end: a fresh stack, the whole scenario over HTTP, the summary, the exit status."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from rich.console import Console
from socialcare_local import demo_scenario as scenario
from socialcare_local.config import load_config
from socialcare_local.demo import Check, Customer, DemoContext, Step, run_demo

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

ULID = re.compile(r"\b[0-9A-HJKMNP-TV-Z]{26}\b")


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
    summary = text[text.index("Cases created") : text.index("Checks")]
    # 8 first-contact customers, Joe, Sheena, the 5 batch customers, Omar; nobody else.
    assert len(set(ULID.findall(summary))) == 16
    joe_row = next(line for line in summary.splitlines() if "Joe Average" in line)
    assert "x_dm + x_post" in joe_row
    assert " high " in joe_row
    for name in (
        "Priya Shah",
        "@tom.k",
        "Lucía Fernández",
        "Ana Ruiz",
        "Dmitri Kowalski",
        "Lena Vogel",
        "Sheena Nelson",
    ):
        assert name in summary
    assert scenario.MALLORY_PSID not in summary

    # The terminal got progress and the summary; the stack's and the functions' output went to the file.
    assert '"level"' not in text
    assert '"_aws"' not in text
    lines = log_file.read_text(encoding="utf-8").splitlines()
    docs = [json.loads(line) for line in lines]
    messages = {doc.get("message") for doc in docs}
    assert {"local stack started", "http request", "batch processed", "local stack stopped"} <= messages
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
