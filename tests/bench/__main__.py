"""`make bench`: figures for the webhook, ingest, surge, case clock, follow-up, cost per message,
department escalation, metrics publisher, daily report, the lists of cases (views) and cold-start targets.
Prints, never asserts.

Targets: ≤ 2 DynamoDB requests per new message; ingest path ≤ 1.5× its bare writes; ≤ $8 per million
inbound messages and ≤ $18 per million agent replies at list price;
webhook function import ≤ 300 ms; ≤ 6 case-clock state transitions for a typical case; the busiest
surge counter key ≤ 500 write units a second at 5,000 messages a second; the metrics publisher's
items read the same with and without closed history. Backend: moto in process (with the local
stack's DynamoDB transaction fix, ``socialcare_local.emulator.moto_dynamodb``), on this machine.
"""

from __future__ import annotations

import os
import platform
import sys
import time
from typing import Any

from tests.bench.setup import ROOT, MetricLines, captured_stdout, create_resources, environment


def main() -> int:
    environment()
    sys.path.insert(0, str(ROOT))
    from moto import mock_aws
    from rich.console import Console
    from rich.table import Table
    from socialcare_local.emulator import moto_dynamodb

    from tests.bench import (
        case_clock,
        classify,
        cost,
        department_escalation,
        importtime,
        ingest,
        publisher,
        report,
        surge,
        views,
        webhook,
    )

    console = Console(file=sys.stdout)  # bound now: the functions' stdout is captured below
    if not console.is_terminal:
        console.width = 120
    moto_dynamodb.install()
    emitted = MetricLines()
    started = time.perf_counter()
    with mock_aws():
        os.environ.update(create_resources("webhook"))
        with console.status("webhook: timing deliveries…"), captured_stdout(emitted):
            hooks = webhook.run()
        resources = create_resources("ingest")
        queue_arn = "arn:aws:sqs:us-east-1:123456789012:bench-ingest"
        with console.status(f"ingest: threading {ingest.MESSAGES:,} messages…"), captured_stdout(emitted):
            threaded = ingest.run(resources, queue_arn)
        with console.status("triage: classifying messages, and the ingest function's cold start with and without…"):
            classified = classify.run()
        surge_resources = create_resources("surge")
        with (
            console.status(f"surge: {surge.MESSAGES:,} messages at {surge.RATE:,} a second…"),
            captured_stdout(emitted),
        ):
            surged = surge.run(surge_resources, "arn:aws:sqs:us-east-1:123456789012:bench-surge")
    with mock_aws():
        reporting = create_resources("report")
        with console.status(f"report: seeding a day of {report.CASES:,} cases and making its reports…"):
            day = report.run(reporting["TABLE_NAME"], "bench-reports")
    with console.status("case clock and follow-up: running the ASL files in moto's Step Functions engine…"):
        clocks = case_clock.run()
        sweeps = case_clock.run_sweep()
    status = console.status(
        f"cost: {ingest.MESSAGES:,} inbound messages and {cost.REPLIES} agent replies through every function…"
    )
    with status, captured_stdout(emitted):
        priced = cost.run(clocks)
    status = console.status("department escalation: running the ASL file in moto's Step Functions engine…")
    with status, captured_stdout(emitted):
        escalations = department_escalation.run()
    with (
        console.status(
            f"metrics publisher: {publisher.OPEN:,} open cases, then {publisher.CLOSED:,} closed beside them…"
        ),
        captured_stdout(emitted),
    ):
        published = publisher.run()
    with console.status(
        f"views: the lists of cases, {views.OPEN + views.FINISHED:,} then {views.OPEN + views.FINISHED + views.HISTORY:,} "
        "cases…"
    ):
        viewed = views.run()
    with console.status("cold imports…"):
        imports = importtime.run()

    table = Table(title="socialcare benchmarks (moto in-process backend)", title_justify="left")
    table.add_column("measure")
    table.add_column("figure", justify="right")
    table.add_column("target", justify="right")
    for hook in hooks:
        table.add_row(
            f"webhook: {hook.label} ({hook.body_bytes / 1024:,.1f} KiB), ms per delivery, median / p95",
            f"{hook.median_ms:,.1f} / {hook.p95_ms:,.1f}",
            "ack < 3 s",
        )
    table.add_row(
        f"ingest: messages per second ({threaded.stored:,} new messages, {threaded.invocations} SQS batches)",
        f"{threaded.messages_per_second:,.0f}",
        "",
    )
    requests = ", ".join(f"{op} {count / threaded.stored:.2f}" for op, count in threaded.requests_by_operation.items())
    table.add_row(
        f"ingest: DynamoDB requests per new message ({requests})", f"{threaded.requests_per_message:.2f}", "≤ 2"
    )
    table.add_row(
        "ingest: write units per new message, table / indexes (from the items before and after each write; "
        "the cost scenario's messages)",
        f"{priced.write_units[0]:.1f} / {priced.write_units[1]:.1f}",
        "",
    )
    _classify_rows(table, classified, per_message_ms=threaded.seconds * 1000 / threaded.stored)
    table.add_row(
        "ingest: DynamoDB requests per duplicate message (a platform retry)",
        f"{threaded.duplicate_requests_per_message:.2f}",
        "",
    )
    table.add_row(
        "ingest path / its bare writes, same backend",
        f"{threaded.ratio:.2f}× ({threaded.seconds:.2f} s / {threaded.bare_seconds:.2f} s)",
        "≤ 1.5×",
    )
    _surge_rows(table, surged)
    for row in case_clock.rows(clocks, sweeps):
        table.add_row(*row)
    _cost_rows(table, priced)
    for figures in escalations:
        steps = "; ".join(
            f"{step} {sum(ops.values())}: " + ", ".join(f"{count} {op}" for op, count in sorted(ops.items()))
            for step, ops in figures.requests.items()
        )
        table.add_row(
            f"department escalation, {figures.lifecycle}: state transitions (its machine's queue sends "
            f"{figures.queue_sends}, events {figures.events_put})",
            f"{figures.transitions}",
            "",
        )
        table.add_row(
            f"department escalation, {figures.lifecycle}: DynamoDB requests ({steps})",
            f"{figures.dynamodb_requests}",
            "",
        )
        table.add_row(
            f"department escalation, {figures.lifecycle}: Step Functions cost per 1,000 escalations",
            f"${figures.cost_per_1000_cases:.3f}",
            "",
        )
    _publisher_rows(table, published)
    table.add_row(
        f"report: a day of {day.cases:,} cases, accountability report and marketing summary made and stored, s "
        f"(seeding took {day.seed_seconds:.0f} s)",
        f"{day.seconds:.1f}",
        "",
    )
    table.add_row(
        "report: of which reading the day's facts and the queues (moto's Query) / computing both documents, s",
        f"{day.read_seconds:.1f} / {day.compute_seconds:.1f}",
        "",
    )
    table.add_row(
        "report: DynamoDB items read (the day's case items, the SLA configuration, the open queues, "
        f"one message each), in {day.requests:,} requests",
        f"{day.items_read:,}",
        f"≈ cases ({day.cases:,})",
    )
    table.add_row("report: bytes stored (JSON and CSV)", f"{day.stored_bytes:,}", "")
    _views_rows(table, viewed)
    for fn, ms in imports.items():
        table.add_row(
            f"cold import: functions/{fn}/handler.py, ms (median of 5)", f"{ms:.0f}", "≤ 300" if fn == "webhook" else ""
        )
    console.print(table)
    console.print(
        f"{emitted.emf:,} EMF metric lines from the functions were captured, not printed. "
        f"Python {platform.python_version()}, {os.cpu_count()} CPUs, {time.perf_counter() - started:.0f} s in all."
    )
    for line in emitted.other:
        console.print(line, markup=False, highlight=False)
    return 0


def _surge_rows(table: Any, surged: Any) -> None:
    from tests.bench import surge

    counter, units = surged.busiest_counter
    table.add_row(
        f"surge: busiest counter key, write units/s, {surge.RATE:,} msg/s to one team and topic, one message a "
        f"delivery, {surge.PER_BATCH} deliveries an invocation ({counter}; {surged.counter_keys} shards)",
        f"{units:,.0f}",
        "≤ 500",
    )
    table.add_row(
        "surge: the same, had every message been an invocation of its own",
        f"{surged.busiest_counter_unbatched:,.0f}",
        "≤ 500",
    )
    key, key_units = surged.busiest_key
    table.add_row(
        f"surge: busiest key of all its writes, table and indexes ({key}), write units/s", f"{key_units:,.0f}", ""
    )
    table.add_row(
        f"surge check: Queries / counter items read (at most {surged.check_bound_items}) / read units, "
        f"raised: {'; '.join(surged.raised)}",
        f"{surged.check_queries} / {surged.check_items_read} / {surged.check_read_units:g}",
        "",
    )


def _cost_rows(table: Any, figures: Any) -> None:
    from tests.bench import cost

    for shape in figures.shapes:
        own = ", ".join(f"{op} {n:.2f}" for op, n in shape.by_operation.items() if not op.startswith("per invocation"))
        shared = ", ".join(
            f"{op[16:]} {n:.3f}" for op, n in shape.by_operation.items() if op.startswith("per invocation")
        )
        table.add_row(
            f"cost scenario: DynamoDB requests per new message, {shape.shape} ({own}; its share of the "
            f"invocation's: {shared or 'none'})",
            f"{shape.per_message:.2f}",
            "≤ 2",
        )
    table.add_row(
        "cost scenarios: their time here (every function and request on moto, in process), s",
        f"{figures.seconds:.0f}",
        "",
    )
    for label, breakdown in (("reply", figures.reply_writes), ("later reply", figures.later_reply_writes)):
        for writes in breakdown:
            on_indexes = ", ".join(f"{name} {n:g}" for name, n in writes.indexes.items())
            table.add_row(
                f"{label} write units, by what was written: {writes.step}, the {writes.item} (table {writes.table:g}"
                + (f"; indexes: {on_indexes})" if on_indexes else ")"),
                f"{writes.total:g}",
                "",
            )
    scenarios = (
        (figures.inbound, "inbound messages", f"one message a delivery; the ingest bench's mix: {cost.MIX}"),
        (figures.reply, "agent replies", "POST /cases/{id}/replies, then the outbound function's send"),
        (
            figures.later_reply,
            "later agent replies",
            "the same cases' next reply: the agent owns the case and answers the customer's next message",
        ),
    )
    for scenario, label, how in scenarios:
        for line in scenario.lines:
            table.add_row(
                f"cost per 1M {label}: {line.service} ({line.detail})",
                f"${scenario.per_million(line.dollars):,.2f}",
                "",
            )
        unpriced = (
            "; not priced: " + ", ".join(f"{k} {v}" for k, v in scenario.unpriced.items()) if scenario.unpriced else ""
        )
        table.add_row(
            f"cost per 1M {label}, at us-east-1 list prices ({how}{unpriced})",
            f"${scenario.total:,.2f}",
            f"≤ ${scenario.target:g}",
        )


def _publisher_rows(table: Any, figures: list[Any]) -> None:
    from tests.bench.publisher import RUNS

    empty, history = figures
    sizes = f"{empty.open:,} open, with 0 / {history.closed:,} closed"
    table.add_row(
        f"metrics publisher: items read per run ({sizes})",
        f"{empty.items_read:,} / {history.items_read:,} ({history.items_read / empty.items_read:.2f}×)",
        "1.00×",
    )
    table.add_row(
        f"metrics publisher: DynamoDB requests per run (Query on the queue index, one per team), read units "
        f"(0.5 per 4 KB, eventually consistent) ({sizes})",
        f"{empty.queries} / {history.queries}; {empty.read_units:.1f}",
        "",
    )
    table.add_row(
        f"metrics publisher: run time on moto, s, median of {RUNS} ({sizes})",
        f"{empty.median_s:.2f} / {history.median_s:.2f} ({history.median_s / empty.median_s:.2f}×)",
        "",
    )
    table.add_row(
        f"metrics publisher: points published / PutMetricData requests per run (writing the closed history: "
        f"{history.seed_s:.0f} s in BatchWriteItem)",
        f"{empty.points} / {empty.put_requests}",
        "",
    )


def _views_rows(table: Any, run: Any) -> None:
    from tests.bench.views import PAGES

    small, large = (
        {f.label: f for f in run.figures if f.cases == cases} for cases in sorted({f.cases for f in run.figures})
    )
    cases = f"{next(iter(small.values())).cases:,} | {next(iter(large.values())).cases:,} cases"
    for label, first in small.items():
        more = large[label]
        table.add_row(
            f"views: {label}, items read / returned over {PAGES} pages of {run.page_size} ({cases}; "
            f"returned {first.returned} | {more.returned}, Queries {first.queries} | {more.queries})",
            f"{first.ratio:.2f} | {more.ratio:.2f}",
            "≤ 1.2",
        )
    worst = max(run.figures, key=lambda f: f.ratio)
    at_25 = " | ".join(f"{f.ratio:.2f}" for f in run.small_pages)
    table.add_row(
        f"views: the worst of them ({worst.label}, {worst.cases:,} cases); the team queue at 25 a page "
        f"({at_25}); seeding the history took {run.seed_s:.0f} s, the views {run.seconds:.0f} s in all",
        f"{worst.ratio:.2f}",
        "≤ 1.2",
    )


def _classify_rows(table: Any, figures: Any, *, per_message_ms: float) -> None:
    from tests.bench.classify import MESSAGES

    table.add_row(
        f"triage: classification per message (language, sentiment, sensitive phrases), ms, p50 / p99 of {MESSAGES:,}",
        f"{figures.p50_ms:.2f} / {figures.p99_ms:.2f}",
        "",
    )
    table.add_row(
        "triage: its share of the ingest path's time per message (p50 / the ingest bench's ms per message)",
        f"{figures.p50_ms / per_message_ms:.1%} of {per_message_ms:.2f} ms",
        "",
    )
    table.add_row(
        "ingest cold start, ms (median): the handler's import / and the first message classified (models loaded)",
        f"{figures.cold_import_ms:,.0f} / {figures.cold_first_message_ms:,.0f} (+{figures.load_ms:,.0f})",
        "",
    )
    layer = "not built here (make synth builds it)" if figures.layer_mib is None else f"{figures.layer_mib:,.0f} MiB"
    table.add_row("Lambda layer, unzipped (build/layer)", layer, "≤ 230 MiB")


if __name__ == "__main__":
    raise SystemExit(main())
