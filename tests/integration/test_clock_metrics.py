"""Issue 10, item 1, through the real clock function on moto: case writes off the table's stream become
EMF lines (what CloudWatch Logs turns into metrics), in business time on the policies an admin stored,
rolled up by team, by channel and in total; a write whose metrics cannot be derived still starts its clock."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from types import ModuleType
from typing import Any

import boto3
import pytest
from socialcare import constants as c
from socialcare.model.case import Case
from socialcare.model.events import Channel
from socialcare.rules.case_sla import SlaInForce
from socialcare.rules.cases import apply_outbound, new_case
from socialcare.rules.sla import ResponseTargets
from socialcare_local.emulator.functions import LambdaContext, load_function, reset_function

from tests.case_clock_support import BUS, stream_record
from tests.conftest import AwsResources
from tests.integration.lambda_harness import UnavailableDynamoDB
from tests.sla_config_support import ALWAYS, BERLIN, POLICIES, store_office_policies
from tests.state_machine_support import create_machine
from tests.unit.test_cases import message

pytestmark = pytest.mark.integration

FRIDAY_1630 = int(datetime(2026, 3, 27, 15, 30, tzinfo=UTC).timestamp() * 1000)  # Berlin, before the clocks change
MONDAY_0920 = int(datetime(2026, 3, 30, 7, 20, tzinfo=UTC).timestamp() * 1000)  # Berlin, summer time
ROLLUPS = [["service"], ["team", "service"], ["channel", "service"]]  # in total, by team, by channel


@dataclass
class Clock:
    aws: AwsResources
    sfn: Any
    handler: ModuleType

    def feed(self, *records: dict[str, Any]) -> dict[str, Any]:
        return dict(self.handler.handler({"Records": list(records)}, LambdaContext("socialcare-clock-test")))

    def started(self) -> int:
        [machine] = self.sfn.list_state_machines()["stateMachines"]
        return len(self.sfn.list_executions(stateMachineArn=machine["stateMachineArn"])["executions"])


@pytest.fixture
def clock(aws: AwsResources, monkeypatch: pytest.MonkeyPatch) -> Iterator[Clock]:
    sfn = boto3.client("stepfunctions", region_name="us-east-1")  # records executions; runs none
    machine_arn = create_machine(sfn, "case-clock", "case_clock", {"TableName": aws.table_name, "EventBusName": BUS})
    monkeypatch.setenv(c.ENV_CASE_CLOCK_ARN, machine_arn)
    monkeypatch.setenv(c.ENV_TABLE_NAME, aws.table_name)
    store_office_policies(aws.table_name, aws.dynamodb, at_ms=FRIDAY_1630)
    handler = load_function(c.CLOCK_FUNCTION)
    handler.wire(clients={"stepfunctions": sfn, "dynamodb": aws.dynamodb})
    try:
        yield Clock(aws, sfn, handler)
    finally:
        reset_function(handler)


def emf_lines(text: str) -> list[dict[str, Any]]:
    return [doc for doc in map(json.loads, text.splitlines()) if "_aws" in doc]


def written() -> tuple[Case, Case]:
    sla = SlaInForce.from_documents({"version": 1, **POLICIES}, [BERLIN, ALWAYS], ResponseTargets())
    case = new_case(message(FRIDAY_1630, Channel.MESSENGER), case_id="C1", team="care", now_ms=FRIDAY_1630, sla=sla)
    return case, apply_outbound(case, timestamp_ms=MONDAY_0920, now_ms=MONDAY_0920)


def test_a_new_case_and_its_first_answer_become_one_emf_document_with_every_rollup(
    clock: Clock, capsys: pytest.CaptureFixture[str]
) -> None:
    case, answered = written()
    capsys.readouterr()
    assert clock.feed(stream_record("1", "INSERT", None, case), stream_record("2", "MODIFY", case, answered)) == {
        "batchItemFailures": []
    }
    [doc] = emf_lines(capsys.readouterr().out)
    [directive] = doc["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == c.METRICS_NAMESPACE
    assert directive["Dimensions"] == ROLLUPS
    assert (doc["team"], doc["channel"], doc["service"]) == ("care", "messenger", "clock")
    assert {d["Name"]: d["Unit"] for d in directive["Metrics"]} == {
        "InboundMessages": "Count",
        "FirstResponseTime": "Seconds",
        "FirstResponseBusinessTime": "Seconds",
        "SlaMet_first_response": "Count",
    }
    assert doc["InboundMessages"] == [1.0]
    assert doc["FirstResponseTime"] == [(MONDAY_0920 - FRIDAY_1630) / 1000]
    assert doc["FirstResponseBusinessTime"] == [50 * 60.0], "30 min on Friday, 20 on Monday, across the clock change"
    assert doc["SlaMet_first_response"] == [1.0]
    assert clock.started() == 1, "the new case's clock started as before"


def test_writes_of_several_teams_and_channels_give_one_document_each_with_values_in_order(
    clock: Clock, capsys: pytest.CaptureFixture[str]
) -> None:
    care, _ = written()
    billing = replace(care, case_id="C2", team="billing")
    whatsapp = replace(care, case_id="C3", channels=frozenset({Channel.WHATSAPP}), response_channel=Channel.WHATSAPP)
    whatsapp = replace(whatsapp, last_inbound_by_channel={Channel.WHATSAPP: FRIDAY_1630})
    capsys.readouterr()
    records = [stream_record(str(i), "INSERT", None, case) for i, case in enumerate((care, billing, care, whatsapp))]
    assert clock.feed(*records) == {"batchItemFailures": []}
    docs = {(d["team"], d["channel"]): d["InboundMessages"] for d in emf_lines(capsys.readouterr().out)}
    assert docs == {("care", "messenger"): [1.0, 1.0], ("billing", "messenger"): [1.0], ("care", "whatsapp"): [1.0]}


class QueriesFail:
    """The table, but its Queries (the SLA configuration's read) go to ``broken``."""

    def __init__(self, client: Any, broken: Any) -> None:
        self._client, self._broken = client, broken

    def query(self, **kwargs: Any) -> Any:
        return self._broken.query(**kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


def test_a_write_whose_metrics_cannot_be_derived_still_starts_its_clock_and_is_counted(
    clock: Clock, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    broken = UnavailableDynamoDB(clock.aws.dynamodb)
    broken.down()  # the SLA configuration cannot be read (the report's day facts are still recorded)
    clock.handler.wire(clients={"stepfunctions": clock.sfn, "dynamodb": QueriesFail(clock.aws.dynamodb, broken)})
    case, answered = written()
    capsys.readouterr()
    assert clock.feed(stream_record("1", "INSERT", None, case), stream_record("2", "MODIFY", case, answered)) == {
        "batchItemFailures": []
    }
    assert clock.started() == 1
    out = capsys.readouterr().out
    docs = emf_lines(out)
    failed = [d for d in docs if "EventMetricsFailed" in d]
    assert [(d["EventMetricsFailed"], d["_aws"]["CloudWatchMetrics"][0]["Dimensions"]) for d in failed] == [
        ([1.0], [["service"]])
    ], "the answer needs the calendar; the new case's message did not"
    assert [d["InboundMessages"] for d in docs if "InboundMessages" in d] == [[1.0]]
    [logged] = [r for r in caplog.records if r.getMessage() == "event metrics not derived"]
    assert (logged.levelname, logged.case_id, logged.error) == ("ERROR", "C1", "ClientError")  # type: ignore[attr-defined]


def test_the_clock_function_refuses_to_start_without_its_table(monkeypatch: pytest.MonkeyPatch) -> None:
    handler = load_function(c.CLOCK_FUNCTION)
    monkeypatch.setenv(c.ENV_CASE_CLOCK_ARN, "arn:aws:states:us-east-1:123456789012:stateMachine:x")
    monkeypatch.delenv(c.ENV_TABLE_NAME, raising=False)
    with pytest.raises(RuntimeError, match="TABLE_NAME is not set"):
        handler.ClockConfig.from_env()
