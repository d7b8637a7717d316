"""The state machines of ``infra/state_machines`` run in moto's Step Functions engine, as the tests
and ``make bench`` run them: the ASL file with its placeholders replaced (as CloudFormation's
DefinitionSubstitutions do), moto with its engine on and the case table, and what every machine's
tests read of their executions — named for a case and a number (a clock's generation, a follow-up's
cycle) — through ``get_execution_history``.

Wait states really sleep in moto, so scenarios use times of a second or two; every execution still
running is stopped when the world closes (``Runs.stop_running``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
STATE_MACHINES = REPO / "infra" / "state_machines"
TABLE = "socialcare-clock"
REGION = "us-east-1"
ROLE_ARN = "arn:aws:iam::123456789012:role/state-machine"


def asl_path(stem: str) -> Path:
    return STATE_MACHINES / f"{stem}.asl.json"


def definition(stem: str, substitutions: Mapping[str, str]) -> str:
    text = asl_path(stem).read_text(encoding="utf-8")
    for name, value in substitutions.items():
        text = text.replace("${" + name + "}", value)
    return text


def create_machine(sfn: Any, name: str, stem: str, substitutions: Mapping[str, str]) -> str:
    """A state machine from the ASL file ``stem``; its ARN."""
    created = sfn.create_state_machine(name=name, definition=definition(stem, substitutions), roleArn=ROLE_ARN)
    return str(created["stateMachineArn"])


@dataclass
class EngineClients:
    dynamodb: Any
    sfn: Any
    sqs: Any
    events: Any


@contextmanager
def engine_on() -> Iterator[EngineClients]:
    """moto with its Step Functions engine on and the case table; boto3 clients made inside (the
    caller sets fake credentials)."""
    import boto3
    from moto import mock_aws
    from socialcare.aws import schema

    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        clients = EngineClients(
            *(boto3.client(s, region_name=REGION) for s in ("dynamodb", "stepfunctions", "sqs", "events"))
        )
        clients.dynamodb.create_table(**schema.create_table_kwargs(TABLE))
        yield clients


class ExecutionReads:
    """What a test reads of one machine's executions in moto, by execution name: waiting for one to end,
    its history and the states it entered; stopping those still running (every world does in
    teardown). Mixed into worlds that have ``sfn`` (a Step Functions client) and ``machine_arn``."""

    sfn: Any
    machine_arn: str

    def executions(self) -> list[dict[str, Any]]:
        return list(self.sfn.list_executions(stateMachineArn=self.machine_arn)["executions"])

    def arn_of(self, name: str) -> str:
        return next(e["executionArn"] for e in self.executions() if e["name"] == name)

    def finish_named(self, name: str, *, timeout_s: float = 8.0) -> dict[str, Any]:
        """Wait for the execution to end; its description (``status``: SUCCEEDED, FAILED...)."""
        arn = self.arn_of(name)
        deadline = time.monotonic() + timeout_s
        while True:
            described = self.sfn.describe_execution(executionArn=arn)
            if described["status"] != "RUNNING" or time.monotonic() > deadline:
                return dict(described)
            time.sleep(0.05)

    def history_named(self, name: str) -> list[dict[str, Any]]:
        return list(self.sfn.get_execution_history(executionArn=self.arn_of(name), maxResults=1000)["events"])

    def states_entered_named(self, name: str) -> list[str]:
        return [
            e["stateEnteredEventDetails"]["name"]
            for e in self.history_named(name)
            if e["type"].endswith("StateEntered")
        ]

    def stop_running(self) -> None:
        for execution in self.executions():
            if execution["status"] == "RUNNING":
                self._stop(execution["executionArn"])

    def _stop(self, arn: str) -> None:
        # moto 5.2.5 cannot stop an execution whose worker has not set itself up yet (just started).
        for _ in range(40):
            try:
                self.sfn.stop_execution(executionArn=arn)
                return
            except AttributeError:
                time.sleep(0.05)


@dataclass
class Runs(ExecutionReads):
    """A machine in moto (and the clients around it): its executions, named ``name_of(case_id, number)``."""

    dynamodb: Any
    sfn: Any
    sqs: Any
    machine_arn: str

    def name_of(self, case_id: str, number: int) -> str:
        raise NotImplementedError

    def execution_arn(self, case_id: str, number: int) -> str:
        return self.arn_of(self.name_of(case_id, number))

    def finish(self, case_id: str, number: int, *, timeout_s: float = 8.0) -> dict[str, Any]:
        """Wait for the execution to end; its description (``status``: SUCCEEDED, FAILED...)."""
        return self.finish_named(self.name_of(case_id, number), timeout_s=timeout_s)

    def history(self, case_id: str, number: int) -> list[dict[str, Any]]:
        return self.history_named(self.name_of(case_id, number))

    def transitions(self, case_id: str, number: int) -> int:
        """State transitions, as Step Functions bills them: one per state entered."""
        return len(self.states_entered(case_id, number))

    def states_entered(self, case_id: str, number: int) -> list[str]:
        return self.states_entered_named(self.name_of(case_id, number))


def receive_all(sqs: Any, queue_url: str) -> list[dict[str, Any]]:
    """Every message on the queue so far, in arrival order, deleted as read (their bodies, parsed)."""
    import json

    received: list[dict[str, Any]] = []
    while True:
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
        if not messages:
            return received
        for message in messages:
            received.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])


def now_ms() -> int:
    return int(time.time() * 1000)


def collect(receive: Callable[[], list[dict[str, Any]]], count: int, *, timeout_s: float = 6.0) -> list[dict[str, Any]]:
    """What ``receive`` gives until there are ``count`` of them, or ``timeout_s`` has passed."""
    received: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout_s
    while len(received) < count and time.monotonic() < deadline:
        received += receive()
        time.sleep(0.05)
    return received
