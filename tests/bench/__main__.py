"""`make bench`: figures for the webhook, ingest, case clock, daily report and cold-start targets. Prints,
never asserts.

Targets: ≤ 2 DynamoDB requests per new message; ingest path ≤ 3× its bare writes;
webhook function import ≤ 300 ms; ≤ 6 case-clock state transitions for a typical case. Backend: moto in process (with the local stack's
DynamoDB transaction fix, ``socialcare_local.emulator.moto_dynamodb``), on this machine.
"""

from __future__ import annotations

import os
import platform
import sys
import time

from tests.bench.setup import ROOT, MetricLines, captured_stdout, create_resources, environment


def main() -> int:
    environment()
    sys.path.insert(0, str(ROOT))
    from moto import mock_aws
    from rich.console import Console
    from rich.table import Table
    from socialcare_local.emulator import moto_dynamodb

    from tests.bench import case_clock, importtime, ingest, report, webhook

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
    with mock_aws():
        reporting = create_resources("report")
        with console.status(f"report: seeding a day of {report.CASES:,} cases and making its reports…"):
            day = report.run(reporting["TABLE_NAME"], "bench-reports")
    with console.status("case clock: running the ASL file in moto's Step Functions engine…"):
        clocks = case_clock.run()
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
    table.add_row("ingest: write units per new message", f"{threaded.write_units_per_message:.1f}", "")
    table.add_row(
        "ingest: DynamoDB requests per duplicate message (a platform retry)",
        f"{threaded.duplicate_requests_per_message:.2f}",
        "",
    )
    table.add_row(
        "ingest path / its bare writes, same backend",
        f"{threaded.ratio:.2f}× ({threaded.seconds:.2f} s / {threaded.bare_seconds:.2f} s)",
        "≤ 3×",
    )
    for clock in clocks:
        table.add_row(
            f"case clock: state transitions per case, {clock.lifecycle} "
            f"(clock's DynamoDB requests {clock.dynamodb_requests}, events {clock.events_put})",
            f"{clock.transitions}",
            "≤ 6" if clock.lifecycle.startswith("message") else "",
        )
        table.add_row(
            f"case clock: Step Functions cost per 1,000 cases, {clock.lifecycle} "
            f"(${case_clock.PRICE_PER_1000_TRANSITIONS} per 1,000 transitions)",
            f"${clock.cost_per_1000_cases:.3f}",
            "",
        )
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


if __name__ == "__main__":
    raise SystemExit(main())
