"""The case clock's and the follow-up's cost: Step Functions state transitions (and the machines' own
DynamoDB, EventBridge and SQS requests) per case — the case clock for a case answered before its
warning and then resolved, and for one left to breach and reach the second tier; the follow-up per
pending cycle, for a customer who answers before the nudge and for one who stays silent until the
case is auto-resolved. The real ASL files run in moto's Step Functions engine with times of a second
or two; the history (``get_execution_history``) gives the counts.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, replace

from socialcare.model.case import CaseStatus

from tests.case_clock_support import clock_world, due_in, new_case
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


def _case_clock() -> list[ClockFigures]:
    with clock_world() as world:
        start = int(time.time() * 1000)
        # Typical: one customer message, an agent's reply before the warning, resolved.
        typical, _ = world.write(
            None, new_case("TYPICAL", start), due_in(start, warn_s=0.5, breach_s=1.5, second_s=2.5)
        )
        answered, _ = world.write(
            typical, replace(typical, awaiting_reply_since_ms=None, first_response_at_ms=start), None
        )
        world.write(answered, answered.with_status(CaseStatus.RESOLVED, start), None)
        # Left unanswered: warned, breached, escalated to the second tier.
        world.write(None, new_case("BREACHED", start), due_in(start, warn_s=0.5, breach_s=1.5, second_s=2.5))
        services = ("dynamodb", "events")
        return [
            _figures(world, "case clock", "message → reply before the warning → resolve", "TYPICAL", services),
            _figures(world, "case clock", "unanswered: warning → breach → second tier", "BREACHED", services),
        ]


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
