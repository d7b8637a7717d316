"""The demo's summary: the cases (read back from the table with keyed queries), the case clocks'
notifications (read back from the stack's log), the calls the platform sandbox received in the
customers' channels, and the checks."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from socialcare_local.demo.context import SCENARIO_LEAD_MINUTES, CheckResult, DemoContext
from socialcare_local.demo.escalation import DM_TARGET_S
from socialcare_local.demo.notifications import Notification
from socialcare_local.demo.people import KOFI_DELAY_HOURS
from socialcare_local.emulator.inspect_table import CaseView
from socialcare_local.sandbox.reply_api import RecordedCall

SENT_STATES = ("sent", "delivered", "read")
TEXT_PREVIEW = 48


def print_summary(ctx: DemoContext, results: Sequence[CheckResult], console: Console) -> None:
    cases = [case for who in ctx.customers for case in ctx.cases(who)]
    console.print(cases_table(cases))
    console.print(f"[dim]{escape(backdating_note(ctx.started_at_ms))}[/]")
    names = {case.case_id: customer_label(case) for case in cases}
    notifications = ctx.notifications()
    live = [n for n in notifications if n.tier_at_ms is not None and n.tier_at_ms >= ctx.ran_at_ms]
    console.print(notifications_table(live, names))
    early = [n for n in notifications if n not in live]
    if early:
        console.print(f"[dim]{escape(backdated_notifications_note(early, names))}[/]")
    assert ctx.stack.reply_api is not None
    console.print(calls_table(ctx.stack.reply_api.calls(), cases))
    console.print("[bold]Checks[/]")
    for result in results:
        mark = "[green]✓[/]" if result.held else "[red]✗[/]"
        detail = f" [dim]({escape(result.detail)})[/]" if result.detail else ""
        console.print(f"  {mark} {escape(result.name)}{detail}")


def _summary_table(title: str, *, collapse_padding: bool = False) -> Table:
    """A table of the summary: its title on the left, a rule under the header, no outer edge."""
    return Table(
        title=title,
        title_justify="left",
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        collapse_padding=collapse_padding,
    )


# --- cases ------------------------------------------------------------------------------------------------
def cases_table(cases: Sequence[CaseView]) -> Table:
    table = _summary_table("Cases created", collapse_padding=True)
    table.add_column("case id", no_wrap=True, style="cyan")
    table.add_column("customer", overflow="fold", min_width=17)  # a Messenger or Instagram id whole
    table.add_column("channels", overflow="fold")
    table.add_column("status", no_wrap=True)
    table.add_column("owner")
    table.add_column("priority")
    table.add_column("team")
    table.add_column("messages", justify="right")
    table.add_column("replies\nsent", justify="right")
    table.add_column("first\nresponse", justify="right", no_wrap=True)
    table.add_column("due (UTC)", no_wrap=True, min_width=17)
    for case in cases:
        priority = case.priority
        table.add_row(
            case.case_id,
            Text(customer_label(case)),
            " + ".join(case.channels),
            case.status,
            Text(str(case.item.get("owner") or "—")),
            Text(priority, style="bold red" if priority in ("high", "urgent") else ""),
            Text(case.team),
            str(case.message_count),
            str(replies_sent(case)),
            duration(first_response_ms(case)),
            due(case.item.get("response_due_at_ms")),
        )
    return table


def customer_label(case: CaseView) -> str:
    item = case.item
    if item.get("customer_name"):
        return str(item["customer_name"])
    if item.get("customer_handle"):
        return f"@{item['customer_handle']}"
    return str(item.get("customer_id", "?"))


def replies_sent(case: CaseView) -> int:
    """The case's replies the platform accepted (the brand's own echoes of native replies included;
    automated messages, which answer nobody, left out)."""
    return sum(
        1
        for e in case.entries("outbound")
        if e.get("delivery_state") in SENT_STATES and "automated" not in (e.get("extra") or {})
    )


def first_response_ms(case: CaseView) -> int | None:
    """From the customer's first message (platform time) to the first reply the platform accepted."""
    answered = case.item.get("first_response_at_ms")
    first = min((int(e["timestamp_ms"]) for e in case.entries("inbound")), default=None)
    if not isinstance(answered, int) or first is None:
        return None
    return max(0, answered - first)


def duration(ms: int | None) -> str:
    if ms is None:
        return "—"
    minutes = round(ms / 60_000)
    if minutes < 1:
        return f"{ms / 1000:.0f} s"
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60:02d} min"


def due(value: Any) -> str:
    """The response due time, ISO date and time in UTC; "answered" when nothing waits for an answer."""
    if not isinstance(value, int):
        return "answered"
    return moment(value)


def moment(epoch_ms: int) -> str:
    """An instant as an ISO 8601 date and time, with its zone: "2026-01-05T08:00Z" (UTC)."""
    return time.strftime("%Y-%m-%dT%H:%MZ", time.gmtime(epoch_ms / 1000))


def backdating_note(started_at_ms: int) -> str:
    """Which of the demo's timestamps are not the time the demo ran."""
    return (
        f"Back-dated: the customers' messages carry platform times from {moment(started_at_ms)}, "
        f"{SCENARIO_LEAD_MINUTES} minutes before the demo ran (a backlog: the first public posts are past "
        f"their 60-minute target), and Kofi's WhatsApp message was written {KOFI_DELAY_HOURS} hours before "
        "it was delivered; first responses and due times count from those times."
    )


# --- notifications ------------------------------------------------------------------------------------------
def notifications_table(notifications: Sequence[Notification], names: Mapping[str, str]) -> Table:
    """The notifications whose tier fell due while the demo ran, as the stack logged them."""
    table = _summary_table("Notifications (the case clocks' events, from the stack's log)")
    if any(
        n.logged_at_ms is not None and n.tier_at_ms is not None and n.logged_at_ms < n.tier_at_ms for n in notifications
    ):
        table.caption = "moto's Step Functions engine sleeps whole seconds: a tier may be notified up to a second early"
        table.caption_justify = "left"
    table.add_column("tier", no_wrap=True)
    table.add_column("for", no_wrap=True)
    table.add_column("case id", no_wrap=True, style="cyan")
    table.add_column("customer")
    table.add_column("owner")
    table.add_column("team")
    table.add_column("tier due (UTC)", no_wrap=True)
    table.add_column("notified (UTC)", no_wrap=True)
    for n in notifications:
        table.add_row(
            Text(n.tier, style="bold red" if n.tier != "warn" else "yellow"),
            n.recipient_label,
            n.case_id,
            Text(names.get(n.case_id, "?")),
            Text(n.owner or "—"),
            Text(n.team),
            instant(n.tier_at_ms),
            instant(n.logged_at_ms),
        )
    return table


def backdated_notifications_note(notifications: Sequence[Notification], names: Mapping[str, str]) -> str:
    """The notifications of clocks whose tiers were already past when they started, counted."""
    tiers = Counter(n.tier for n in notifications)
    cases = list(dict.fromkeys(n.case_id for n in notifications))
    return (
        f"Not listed: {len(notifications)} notifications ("
        + ", ".join(f"{count} {tier}" for tier, count in tiers.items())
        + f") for {len(cases)} back-dated cases ("
        + ", ".join(names.get(case_id, case_id) for case_id in cases)
        + "), sent at once as their clocks started: their messages were written before the stack started "
        f"(the {SCENARIO_LEAD_MINUTES}-minute backlog, where public posts have a 60-minute target and X DMs "
        f"the demo's {DM_TARGET_S} s; Kofi's {KOFI_DELAY_HOURS} h), so every tier up to now had already passed."
    )


def instant(epoch_ms: int | None) -> str:
    """An instant to the second, ISO 8601 in UTC: "2026-01-05T08:00:15Z"."""
    if epoch_ms is None:
        return "—"
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch_ms // 1000))


# --- platform calls ------------------------------------------------------------------------------------------
def calls_table(calls: Sequence[RecordedCall], cases: Sequence[CaseView]) -> Table:
    """Every call the platform sandbox received: what, to whom, the first words, the answer (no tokens)."""
    names = _recipient_names(cases)
    table = _summary_table("Calls the platform sandbox received (the platforms' reply APIs)")
    table.add_column("#", justify="right")
    table.add_column("endpoint", no_wrap=True)
    table.add_column("to", overflow="fold")
    table.add_column("text (first words)", no_wrap=True)
    table.add_column("status", no_wrap=True)
    for number, call in enumerate(calls, start=1):
        recipient = call.recipient or "?"
        who = names.get(recipient.split(" ", 1)[-1])
        if call.fault == "throttle":
            status = Text(f"{call.status} rate limited", style="yellow")
        elif call.accepted:
            status = Text(str(call.status), style="green")
        else:
            status = Text(f"{call.status} refused", style="red")
        table.add_row(
            str(number),
            Text(call.endpoint or f"{call.platform} ?"),
            Text(f"{who} ({recipient})" if who else recipient),
            Text(preview(call.text)),
            status,
        )
    return table


def preview(text: str | None, limit: int = TEXT_PREVIEW) -> str:
    """The first words of a text, on one line."""
    if not text:
        return "—"
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat[:limit].rsplit(" ", 1)[0]
    return cut + " …"


def _recipient_names(cases: Sequence[CaseView]) -> dict[str, str]:
    """Customer ids and the ids of their posts and comments, to name each call's recipient."""
    names: dict[str, str] = {}
    for case in cases:
        label = customer_label(case)
        for user_id in [case.item.get("customer_id"), *(case.item.get("customer_alt_ids") or [])]:
            if user_id:
                names[str(user_id)] = label
        for entry in case.entries("inbound"):
            for key in ("platform_message_id", "conversation_ref"):
                if entry.get(key):
                    names.setdefault(str(entry[key]), label)
    return {key: label for key, label in names.items() if label != key}
