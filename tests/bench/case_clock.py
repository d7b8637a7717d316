"""The case clock's and the follow-up's cost: Step Functions state transitions (and the machines' own
DynamoDB, EventBridge and SQS requests) per case, and the clock sweep's requests per run.

The case clock starts lazily, ``CLOCK_START_LEAD_MS`` before its first tier: a case answered before
then never starts one (0 transitions); one answered after that but before its warning costs the
clock's 4; one left unanswered is started by the sweep and warns, breaches and reaches the second
tier. The follow-up per pending cycle, for a customer who answers before the nudge and for one who
stays silent until the case is auto-resolved. The real ASL files run in moto's Step Functions engine
with times of a second or two (a write "long before its first tier" is one whose clock function ran
at an earlier time); the history (``get_execution_history``) gives the counts, and botocore's
``before-call`` events count the sweep's requests.

``python -m tests.bench.case_clock`` prints the figures on their own.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, replace

from socialcare import constants as c
from socialcare.clock import Clock, ManualClock, system_clock
from socialcare.model.case import CaseStatus

from tests.case_clock_support import ClockWorld, clock_world, due_in, new_case
from tests.follow_up_support import answered_case, follow_up_world, schedule_in
from tests.state_machine_support import Runs

PRICE_PER_1000_TRANSITIONS = 0.025  # Step Functions Standard, us-east-1 list price per 1,000 state transitions


@dataclass(frozen=True)
class ClockFigures:
    machine: str  # "case clock", "follow-up"
    lifecycle: str
    transitions: int
    requests: Mapping[str, int]  # the machine's own requests, by service (dynamodb, events, sqs)

    @property
    def cost_per_1000_cases(self) -> float:
        return self.transitions * 1000 * PRICE_PER_1000_TRANSITIONS / 1000

    @property
    def requests_text(self) -> str:
        return ", ".join(f"{service} {count}" for service, count in self.requests.items())


def _figures(runs: Runs, machine: str, lifecycle: str, case_id: str, services: tuple[str, ...]) -> ClockFigures:
    runs.finish(case_id, 1)
    history = runs.history(case_id, 1)
    scheduled = [e["taskScheduledEventDetails"]["resourceType"] for e in history if e["type"] == "TaskScheduled"]
    return ClockFigures(
        machine=machine,
        lifecycle=lifecycle,
        transitions=runs.transitions(case_id, 1),
        requests={service: scheduled.count(service) for service in services},
    )


def run() -> list[ClockFigures]:
    return _case_clock() + _follow_up()


def _transitions_or_none(world: ClockWorld, machine: str, lifecycle: str, case_id: str) -> ClockFigures:
    """The figures of a case whose clock may never have started (then: no transition, no request)."""
    if not any(e["name"].startswith(f"case-{case_id}-") for e in world.executions()):
        return ClockFigures(machine, lifecycle, 0, {"dynamodb": 0, "events": 0})
    return _figures(world, machine, lifecycle, case_id, ("dynamodb", "events"))


def _case_clock() -> list[ClockFigures]:
    with clock_world() as world:
        start = int(time.time() * 1000)
        # Typical: one customer message on a public channel (60 min: warning at 45), the agent's reply
        # within the half hour before the clock would start, resolved.
        typical, _ = world.write(
            None, new_case("TYPICAL", start), due_in(start, warn_s=2700, breach_s=3600, second_s=None)
        )
        answered, _ = world.write(
            typical, replace(typical, awaiting_reply_since_ms=None, first_response_at_ms=start), None
        )
        world.write(answered, answered.with_status(CaseStatus.RESOLVED, start), None)
        # Answered late: after the clock started (the sweep), before its warning.
        long_ago = ManualClock(start - c.CLOCK_START_LEAD_MS - 5 * 60_000)
        due = due_in(start, warn_s=0.5, breach_s=1.5, second_s=2.5)
        late_due = due_in(start, warn_s=1.5, breach_s=2.5, second_s=3.5)  # the reply comes well before
        late, _ = world.write(None, new_case("LATE", start), late_due, clock=long_ago)
        # Left unanswered: warned, breached, escalated to the second tier.
        world.write(None, new_case("BREACHED", start), due, clock=long_ago)
        world.sweep().run()
        world.write(late, replace(late, awaiting_reply_since_ms=None, first_response_at_ms=start), None)
        return [
            _transitions_or_none(world, "case clock", "message → reply before its start (warning − 10 min)", "TYPICAL"),
            _transitions_or_none(world, "case clock", "unanswered past its start: reply before the warning", "LATE"),
            _transitions_or_none(world, "case clock", "unanswered: warning → breach → second tier", "BREACHED"),
        ]


@dataclass(frozen=True)
class SweepFigures:
    lifecycle: str
    requests: Mapping[str, int]  # by operation, one run

    @property
    def total(self) -> int:
        return sum(self.requests.values())

    @property
    def requests_text(self) -> str:
        return ", ".join(f"{count} {operation}" for operation, count in self.requests.items())


def run_sweep() -> list[SweepFigures]:
    """One sweep run with nothing due, and one with three clocks due (the shards' Queries, the watermarks'
    GetItem and PutItem, a StartExecution per clock)."""
    with clock_world() as world:
        counted: Counter[str] = Counter()
        for client in (world.dynamodb, world.sfn):
            client.meta.events.register("before-call.*.*", lambda model, **_: counted.update([model.name]))
        start = int(time.time() * 1000)
        long_ago = ManualClock(start - c.CLOCK_START_LEAD_MS - 5 * 60_000)
        figures = [_sweep_once(world, counted, "a run with nothing due", long_ago)]  # the run before the writes
        for case_id in ("DUE-1", "DUE-2", "DUE-3"):
            world.write(
                None, new_case(case_id, start), due_in(start, warn_s=60, breach_s=120, second_s=None), clock=long_ago
            )
        figures.append(_sweep_once(world, counted, "a run starting 3 clocks", system_clock))
        return figures


def _sweep_once(world: ClockWorld, counted: Counter[str], lifecycle: str, clock: Clock) -> SweepFigures:
    counted.clear()
    world.sweep(clock).run()
    return SweepFigures(lifecycle, dict(sorted(counted.items())))


def rows(clocks: list[ClockFigures], sweeps: list[SweepFigures]) -> list[tuple[str, str, str]]:
    """The benchmark table's rows: (measure, figure, target)."""
    found = []
    for clock in clocks:
        per = "pending cycle" if clock.machine == "follow-up" else "case"
        found.append(
            (
                f"{clock.machine}: transitions per {per}, {clock.lifecycle} ({clock.requests_text})",
                str(clock.transitions),
                "0" if "before its start" in clock.lifecycle else "",
            )
        )
        found.append(
            (
                f"{clock.machine}: Step Functions $ per 1,000 {per}s, {clock.lifecycle}",
                f"${clock.cost_per_1000_cases:.3f}",
                "",
            )
        )
    for sweep in sweeps:
        found.append(
            (f"clock sweep: requests per run, {sweep.lifecycle} ({sweep.requests_text})", str(sweep.total), "")
        )
    return found


def _follow_up() -> list[ClockFigures]:
    with follow_up_world() as world:
        start = int(time.time() * 1000)
        # Typical: the agent waits for the customer, who answers before the nudge (the case is open again).
        answers = world.pend(answered_case("ANSWERS", start), schedule_in(start, nudge_s=0.5, resolve_s=1.5))
        world.write(answers, answers.with_status(CaseStatus.OPEN, start + 100))
        # Silent: nudged, then auto-resolved.
        world.pend(answered_case("SILENT", start), schedule_in(start, nudge_s=0.5, resolve_s=1.5))
        services = ("dynamodb", "sqs")
        return [
            _figures(world, "follow-up", "pending → the customer answers before the nudge", "ANSWERS", services),
            _figures(world, "follow-up", "pending → nudge → auto-resolve", "SILENT", services),
        ]


def main() -> None:
    import os

    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    for measure, figure, target in rows(run(), run_sweep()):
        print(f"{measure:<120} {figure:>8} {target:>4}")


if __name__ == "__main__":
    main()
