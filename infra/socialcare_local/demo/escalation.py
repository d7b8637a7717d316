"""Joe's DM left unanswered: the demo's short response target for X DMs, the wait for the case
clock's warning and breach (watched through the agent API's case view, as an agent's screen would),
and what must hold of the notifications the stack logged for them.

The target is the demo's own: ``with_demo_targets`` sets the X DM target to ``DM_TARGET_S`` seconds
in the config the demo's stack runs (the ``[sla]`` table's ``seconds``), every other target as
configured — so only X DMs are due within seconds, and the backlog's X DM (Dmitri's, dated an hour
back) breaches at once.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

from socialcare.model.events import Channel
from socialcare.rules.sla import ResponseTargets

from socialcare_local.config import LocalConfig
from socialcare_local.demo.context import DemoContext
from socialcare_local.demo.errors import DemoStepFailed
from socialcare_local.demo.notifications import Notification, epoch_ms
from socialcare_local.demo.people import ALICE, CARMEN

DM_TARGET_S = 8  # the case clock warns at 6 s (75 %), breaches at 8 s, would call the manager at 12 s
POLL_S = 0.25  # how often the case view is read while waiting
SLOW_MACHINE_S = 15  # beyond the breach, how long a busy machine may take before the step gives up
AT_BREACH_S = 10  # a breach notification logged later than this after the due time is not "at" it
TEAM = "care"


def with_demo_targets(config: LocalConfig) -> LocalConfig:
    """``config`` with the demo's X DM target of seconds; every other target as configured."""
    targets = config.sla or ResponseTargets()
    seconds = {**targets.seconds, Channel.X_DM: DM_TARGET_S}
    return replace(config, sla=replace(targets, seconds=seconds))


# --- the wait -----------------------------------------------------------------------------------------
def joes_dm_goes_unanswered(ctx: DemoContext) -> str:
    """Nobody answers Joe's DM; Alice (who claimed his case) watches its case clock until the breach."""
    alice = ctx.agents[ALICE.agent_id]
    case_id = ctx.facts["joe_case"]
    case = alice.case(case_id)["case"]
    clock = case["case_clock"]
    waiting_since, breach = epoch_ms(case["awaiting_reply_since"]), epoch_ms(clock["breach_at"])
    if waiting_since is None or breach is None or breach - waiting_since > DM_TARGET_S * 1000:
        raise DemoStepFailed(
            f"Joe's DM is due at {clock['breach_at']}, not {DM_TARGET_S} s after it arrived "
            "(SLA policies in the config file override the demo's response targets)"
        )
    deadline = time.monotonic() + max(0.0, (breach - ctx.now_ms()) / 1000) + SLOW_MACHINE_S
    seen: dict[str, float] = {}  # tier -> seconds after Joe's DM the case view first showed it
    while True:
        clock = alice.case(case_id)["case"]["case_clock"]
        tier = clock["sla_tier"]
        if tier and tier not in seen:
            seen[tier] = (ctx.now_ms() - waiting_since) / 1000
        if tier in ("breach", "second_tier"):
            break
        if time.monotonic() > deadline:
            raise DemoStepFailed(f"Joe's case clock: sla_tier {tier} {SLOW_MACHINE_S} s after the breach was due")
        time.sleep(POLL_S)
    ctx.facts["joe_dm_clock"] = {"breach_at_ms": breach, "seen": seen, "tier_owner": clock["tier_owner"]}
    return (
        f"the case view's case_clock.sla_tier, read every {POLL_S} s: "
        + ", ".join(f"{tier} {after:.1f} s after the DM" for tier, after in seen.items())
        + f" (target {DM_TARGET_S} s; tier_owner {clock['tier_owner']})"
    )


# --- the checks ---------------------------------------------------------------------------------------
def _dm_notifications(ctx: DemoContext) -> list[Notification]:
    """The notifications of the wait for an answer to Joe's DM (not those of his back-dated tweet)."""
    breach = ctx.facts["joe_dm_clock"]["breach_at_ms"]
    return [
        n
        for n in ctx.notifications()
        if n.case_id == ctx.facts["joe_case"] and n.due_at_ms is not None and abs(n.due_at_ms - breach) < 1000
    ]


def _first(notifications: list[Notification], tier: str) -> Notification | None:
    return next((n for n in notifications if n.tier == tier), None)


def _clock_time(at_ms: int | None) -> str:
    """A time of day in UTC to the tenth of a second: "23:10:15.3Z"."""
    if at_ms is None:
        return "?"
    return time.strftime("%H:%M:%S", time.gmtime(at_ms // 1000)) + f".{at_ms % 1000 // 100}Z"


def _case_view_saw(facts: dict[str, Any]) -> str:
    return "the case view: " + " → ".join(facts["seen"]) if facts["seen"] else "the case view showed no tier"


def assignee_warned_before_breach(ctx: DemoContext) -> tuple[bool, str]:
    notifications = _dm_notifications(ctx)
    warn, breach = _first(notifications, "warn"), _first(notifications, "breach")
    facts = ctx.facts["joe_dm_clock"]
    if warn is None or breach is None:
        return False, f"logged for Joe's DM: {[n.tier for n in notifications] or 'nothing'}; {_case_view_saw(facts)}"
    held = (
        notifications.index(warn) < notifications.index(breach)
        and warn.recipient == "assignee"
        and warn.owner == ALICE.agent_id
        and warn.tier_at_ms is not None
        and warn.due_at_ms is not None
        and warn.tier_at_ms < warn.due_at_ms
        and facts["tier_owner"] == ALICE.agent_id
    )
    ahead = (warn.due_at_ms - warn.tier_at_ms) / 1000 if warn.due_at_ms and warn.tier_at_ms else 0
    return held, (
        f"SLA warning for the {warn.recipient_label} {warn.owner or '(none)'} logged at {_clock_time(warn.logged_at_ms)}, "
        f"due {ahead:.0f} s before the breach; then SLA breached at {_clock_time(breach.logged_at_ms)}; "
        f"{_case_view_saw(facts)}"
    )


def lead_notified_at_breach(ctx: DemoContext) -> tuple[bool, str]:
    breach = _first(_dm_notifications(ctx), "breach")
    if breach is None:
        return False, f"no SLA breached notification logged for Joe's DM; {_case_view_saw(ctx.facts['joe_dm_clock'])}"
    lag = (breach.logged_at_ms - breach.due_at_ms) / 1000 if breach.logged_at_ms and breach.due_at_ms else None
    held = (
        breach.recipient == "team_lead"
        and breach.team == TEAM
        and breach.owner == ALICE.agent_id
        and breach.tier_at_ms == breach.due_at_ms
        and lag is not None
        and -1 < lag <= AT_BREACH_S  # moto's Wait sleeps whole seconds: it may wake up to a second early
    )
    when = "no time" if lag is None else f"{abs(lag):.1f} s {'after' if lag >= 0 else 'before'}"
    return held, (
        f"SLA breached for the {breach.recipient_label} of {breach.team} ({CARMEN.name}) logged at "
        f"{_clock_time(breach.logged_at_ms)}, {when} the due time {_clock_time(breach.due_at_ms)}"
        + (" (moto's Wait counts whole seconds)" if lag is not None and lag < 0 else "")
        + f"; owner {breach.owner or '(none)'}"
    )
