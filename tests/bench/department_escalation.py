"""A case's lifecycle with one department escalation: the machine's state transitions and its own
requests (SQS sends, events), and the DynamoDB requests of each step — the agent API's escalation, the
outbound function's department request, the department's answer — for an escalation answered in its
first round and for one answered after a round without an answer (a reminder to the agent).

The real ASL file runs in moto's Step Functions engine (``tests/department_escalation_support.py``)
with rounds of a second; the history gives the transitions, botocore's history recorder the requests.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import pytest
from socialcare.agents.commands import AnswerCommand, EscalateCommand

from tests.bench.case_clock import PRICE_PER_1000_TRANSITIONS
from tests.bench.ddb_cost import DynamoDBCalls
from tests.case_clock_support import transitions_in
from tests.department_escalation_support import ALICE, FELIX, EscalationWorld, escalation_world


@dataclass(frozen=True)
class EscalationFigures:
    lifecycle: str
    transitions: int
    queue_sends: int  # department requests the machine put on the outbound queue
    events_put: int  # PutEvents calls of the machine (reminders, the answer's announcement)
    requests: dict[str, Counter[str]]  # step -> DynamoDB operation -> count

    @property
    def dynamodb_requests(self) -> int:
        return sum(sum(ops.values()) for ops in self.requests.values())

    @property
    def cost_per_1000_cases(self) -> float:
        return self.transitions * PRICE_PER_1000_TRANSITIONS


def _lifecycle(world: EscalationWorld, calls: DynamoDBCalls, case_id: str, *, rounds: int) -> EscalationFigures:
    world.new_case(case_id)
    steps: dict[str, Counter[str]] = {}

    def measured(step: str) -> None:
        steps[step] = steps.get(step, Counter()) + Counter(op for op, _ in calls.take())

    calls.take()
    calls.recording = True
    try:
        escalation = world.service.escalate(ALICE, case_id, EscalateCommand("billing", "Charged twice?")).escalation
        measured("escalate (agent API)")
        world.run_requests(rounds, timeout_s=rounds * 2 + 3)
        measured("department requests (outbound function)")
        world.service.answer_escalation(FELIX, escalation.escalation_id, AnswerCommand("Refunded once."))
        measured("answer (agent API)")
    finally:
        calls.recording = False
    world.finish_named(escalation.execution_name)
    history = world.history_named(escalation.execution_name)
    scheduled = [e["taskScheduledEventDetails"]["resourceType"] for e in history if e["type"] == "TaskScheduled"]
    label = "answered in the first round" if rounds == 1 else f"answered after {rounds - 1} unanswered round(s)"
    return EscalationFigures(label, transitions_in(history), scheduled.count("sqs"), scheduled.count("events"), steps)


def run() -> list[EscalationFigures]:
    calls = DynamoDBCalls.installed()
    with pytest.MonkeyPatch.context() as patch, escalation_world(patch, update_after_s=1) as world:
        return [
            _lifecycle(world, calls, "01KBENCHDEPT0000000000000A", rounds=1),
            _lifecycle(world, calls, "01KBENCHDEPT0000000000000B", rounds=2),
        ]
