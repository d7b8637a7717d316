"""The accountability report and the marketing summary as rich tables in the terminal (``socialcare
report``): the same documents the report function stores and the agent API serves."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rich.console import Console
from rich.table import Table

Doc = Mapping[str, Any]
DIMENSIONS = (("teams", "team", "Team"), ("channels", "channel", "Channel"), ("agents", "agent", "Agent"))


def duration(seconds: float | None) -> str:
    """``45s``, ``12m``, ``3h 05m``, ``2d 16h``: a time as a person reads it; ``–`` for none."""
    if seconds is None:
        return "–"
    whole = round(seconds)
    if whole < 60:
        return f"{whole}s"
    minutes, hours, days = whole // 60, whole // 3600, whole // 86_400
    if hours == 0:
        return f"{minutes}m"
    if days == 0:
        return f"{hours}h {minutes % 60:02d}m"
    return f"{days}d {hours % 24:02d}h"


def percent(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}%"


def _key(value: object) -> str:
    return "(nobody)" if value is None else str(value)


def _figures_table(title: str, rows: Sequence[tuple[str, Doc]]) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column("", no_wrap=True)
    for name in ("handled", "new", "resolved", "closed", "reopened", "SLA 1st", "SLA next", "SLA resol.", "w/b/2nd"):
        table.add_column(name, justify="right", no_wrap=True, min_width=len(name))
    for key, f in rows:
        sla = f["sla"]
        esc = f["escalations"]
        table.add_row(
            key,
            str(f["cases_handled"]),
            str(f["new_cases"]),
            str(f["resolved"]),
            str(f["closed"]),
            percent(f["reopen_rate_pct"]),
            *(percent(sla[kind]["attainment_pct"]) for kind in ("first_response", "next_response", "resolution")),
            f"{esc['warn']}/{esc['breach']}/{esc['second_tier']}",
        )
    return table


def _times_table(title: str, rows: Sequence[tuple[str, Doc]]) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column("")
    for kind in ("1st response", "next response", "resolution"):
        table.add_column(f"{kind}\np50 / p90 wall", justify="right")
        table.add_column("p50 / p90\nbusiness", justify="right")
    for key, f in rows:
        cells = []
        for kind in ("first_response", "next_response", "resolution"):
            t = f[kind]
            cells.append(f"{duration(t['wall_p50_s'])} / {duration(t['wall_p90_s'])}")
            cells.append(f"{duration(t['business_p50_s'])} / {duration(t['business_p90_s'])}")
        table.add_row(key, *cells)
    return table


COMPONENTS = ("sla_kept", "quality", "escalations", "volume")


def _leaderboard(board: Doc) -> Table:
    table = Table(
        title="Leaderboard: a balanced score, not speed alone (each component's points, and what it counted)",
        title_justify="left",
    )
    for name in ("#", "agent", "score", "SLA kept", "quality", "escalations", "volume", "1st resp. p50\n(not scored)"):
        table.add_column(name, justify="left" if name == "agent" else "right")
    for entry in board["entries"]:
        parts = entry["components"]
        table.add_row(
            str(entry["rank"]),
            entry["agent"],
            f"{entry['score']:.1f}",
            *(f"{parts[n]['points']:.1f}\n[dim]{parts[n]['basis']}[/dim]" for n in COMPONENTS),
            duration(entry["shown_not_scored"]["first_response_wall_p50_s"]),
        )
    return table


def _backlog(backlog: Doc) -> Table:
    table = Table(title=f"Backlog at the day's end (read {backlog['read_at']})", title_justify="left")
    for name in ("", "open", "awaiting answer", "overdue", "longest wait"):
        table.add_column(name, justify="left" if not name else "right")
    rows = [("all", backlog["total"])] + [
        (f"{label.lower()} {_key(row[key])}", row) for section, key, label in DIMENSIONS for row in backlog[section]
    ]
    for name, row in rows:
        table.add_row(
            name, str(row["open"]), str(row["awaiting_answer"]), str(row["overdue"]), duration(row["oldest_waiting_s"])
        )
    return table


def print_accountability(report: Doc, console: Console) -> None:
    period = report["from"] if report["from"] == report["to"] else f"{report['from']} to {report['to']}"
    console.print(
        f"[bold]Accountability report[/bold] {period} ({report['time_zone']}), generated {report['generated_at']}; "
        f"SLA policies: {report['sla']['source']} (version {report['sla']['policy_version']}); "
        f"CSAT: {report['csat']}"
    )
    rows = [("all", report["totals"])] + [
        (f"{label.lower()} {_key(row[key])}", row) for section, key, label in DIMENSIONS for row in report[section]
    ]
    if not console.is_terminal:
        console.width = max(console.width, 132)  # a file or a pipe: room for every column
    console.print(_figures_table("Cases, SLA attainment, reopen rate, escalations (warn/breach/2nd tier)", rows))
    console.print(_times_table("Response and resolution times", rows))
    console.print(_leaderboard(report["leaderboard"]))
    console.print(report["leaderboard"]["method"], style="dim")
    if report["backlog"] is None:
        console.print("Backlog: not recorded (the queues are read when a day's report is made at its end).")
    else:
        console.print(_backlog(report["backlog"]))


def print_marketing(summary: Doc, console: Console) -> None:
    volume = summary["volume"]
    mood = summary["sentiment"]
    console.print(
        f"[bold]Marketing summary[/bold] {summary['from']}: {volume['new_cases']} new cases, "
        f"{volume['customer_messages']} customer messages, {volume['resolved_cases']} resolved; "
        f"mean sentiment {mood['mean_score'] if mood['mean_score'] is not None else '–'} "
        f"({mood['positive']} positive, {mood['neutral']} neutral, {mood['negative']} negative); CSAT: {summary['csat']}"
    )
    channels = Table(title="Channels", title_justify="left")
    for name in ("channel", "new cases", "customer messages"):
        channels.add_column(name, justify="left" if name == "channel" else "right")
    for row in summary["channels"]:
        channels.add_row(row["channel"], str(row["new_cases"]), str(row["customer_messages"]))
    console.print(channels)
    topics = ", ".join(f"{row['topic']} ({row['cases']})" for row in summary["top_topics"][:10]) or "none tagged"
    console.print(f"Top topics: {topics}")
    trend = Table(title="Sentiment trend", title_justify="left")
    for name in ("period", "messages", "mean", ""):
        trend.add_column(name, justify="left" if name in ("period", "") else "right")
    for point in summary["sentiment"]["trend"]:
        score = point["mean_score"] or 0.0
        bar = ("+" * round(score * 10)) if score >= 0 else ("-" * round(-score * 10))
        trend.add_row(point["period"], str(point["messages"]), f"{score:+.2f}", bar)
    console.print(trend)
