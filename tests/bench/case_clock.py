"""The case clock's cost: Step Functions state transitions (and the clock's own DynamoDB and
EventBridge requests) per case, for a case answered before its warning and then resolved, and for
one left to breach and reach the second tier. The real ASL file runs in moto's Step Functions
engine with targets of a second or two; the history (``get_execution_history``) gives the counts.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

from socialcare.model.case import CaseStatus

from tests.case_clock_support import ClockWorld, clock_world, due_in, new_case

PRICE_PER_1000_TRANSITIONS = 0.025  # Step Functions Standard, us-east-1 list price per 1,000 state transitions


@dataclass(frozen=True)
class ClockFigures:
    lifecycle: str
    transitions: int
    dynamodb_requests: int
    events_put: int

    @property
    def cost_per_1000_cases(self) -> float:
        return self.transitions * 1000 * PRICE_PER_1000_TRANSITIONS / 1000


def _figures(world: ClockWorld, lifecycle: str, case_id: str) -> ClockFigures:
    world.finish(case_id, 1)
    history = world.history(case_id, 1)
    scheduled = [e["taskScheduledEventDetails"]["resourceType"] for e in history if e["type"] == "TaskScheduled"]
    return ClockFigures(
        lifecycle=lifecycle,
        transitions=world.transitions(case_id, 1),
        dynamodb_requests=scheduled.count("dynamodb"),
        events_put=scheduled.count("events"),
    )


def run() -> list[ClockFigures]:
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
        return [
            _figures(world, "message → reply before the warning → resolve", "TYPICAL"),
            _figures(world, "unanswered: warning → breach → second tier", "BREACHED"),
        ]
