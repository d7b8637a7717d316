"""Issue 9, surge detection, through the real functions on moto: the ingest handler counts what it
stores (per brand account and topic, one keyed ADD per invocation), and the surge handler — run as
its schedule would run it — judges the counts against the recent baseline and puts one ``Surge
detected`` event on the project's bus per surge, naming the topic or account, the count, the
baseline and example case ids. Synthetic traffic with a known spike; steady traffic raises nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import boto3
import pytest
from socialcare import constants as c
from socialcare.aws.case_store import CaseStore
from socialcare.clock import ManualClock
from socialcare.model.escalation import EVENT_SOURCE
from socialcare.model.notices import SURGE_DETECTED
from socialcare.rules.surges import BUCKET_MS
from socialcare_local.emulator.functions import LambdaContext, load_function

from tests.conftest import AwsResources
from tests.integration.lambda_harness import EVENT_BUS, Lambdas, bus_events
from tests.platform_fixtures import page_message_entry

pytestmark = pytest.mark.integration

PAGE = "104729835600142"
START = 1_767_225_600_000  # a bucket boundary
SURGES = {"keywords": {"outage": ["outage", "down", "not working"]}, "min_count": 20, "factor": 3}


class Traffic:
    """Customers writing to the Page through the real webhook and ingest, on a manual clock."""

    def __init__(self, lambdas: Lambdas, clock: ManualClock) -> None:
        self.lambdas = lambdas
        self.clock = clock
        self.sent = 0

    def messages(self, count: int, text: str) -> list[str]:
        """``count`` customers write ``text`` in one delivery (Meta batches entries); their ids."""
        senders = [f"62541488{self.sent + i:08d}" for i in range(1, count + 1)]
        entries = [page_message_entry(PAGE, user, f"m_{user}", text, self.clock()) for user in senders]
        self.sent += count
        self.lambdas.accept("meta", {"object": "page", "entry": entries})
        self.lambdas.drain()
        return senders

    def steady_hour(self) -> None:
        for _ in range(12):
            self.messages(5, "where is my parcel, order 4471?")
            self.messages(3, "the app is down again")
            self.clock.advance(ms=BUCKET_MS)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def traffic(
    aws: AwsResources, monkeypatch: pytest.MonkeyPatch, notices_queue: str, clock: ManualClock
) -> Iterator[Traffic]:
    monkeypatch.setenv(c.ENV_SURGE_SETTINGS, json.dumps(SURGES))
    monkeypatch.setenv(c.ENV_EVENT_BUS_NAME, EVENT_BUS)
    harness = Lambdas(aws, monkeypatch)
    events = boto3.client("events", region_name="us-east-1")
    harness.ingest.wire(clients={"dynamodb": aws.dynamodb, "s3": aws.s3, "sqs": aws.sqs, "events": events}, clock=clock)
    yield Traffic(harness, clock)
    harness.close()


@pytest.fixture
def surge(aws: AwsResources, clock: ManualClock, traffic: Traffic) -> Iterator[ModuleType]:
    """The surge function as its schedule invokes it, on the same table, bus and clock."""
    module = load_function(c.SURGE_FUNCTION)
    module.wire(
        clients={"dynamodb": aws.dynamodb, "events": boto3.client("events", region_name="us-east-1")}, clock=clock
    )
    yield module
    module.wire()


def run(surge: ModuleType) -> dict[str, Any]:
    scheduled = {"version": "0", "detail-type": "Scheduled Event", "source": "aws.scheduler", "detail": {}}
    result: dict[str, Any] = surge.handler(scheduled, LambdaContext(function_name="socialcare-surge-test"))
    return result


def surge_events(aws: AwsResources, queue: str) -> dict[str, dict[str, Any]]:
    found = bus_events(aws, queue)
    assert all(e["source"] == EVENT_SOURCE and e["detail-type"] == SURGE_DETECTED for e in found)
    return {e["detail"].get("topic") or e["detail"]["account_id"]: e["detail"] for e in found}


def test_a_spike_is_raised_once_naming_the_topic_the_count_the_baseline_and_examples(
    traffic: Traffic, surge: ModuleType, aws: AwsResources, notices_queue: str, capsys: pytest.CaptureFixture[str]
) -> None:
    traffic.steady_hour()
    assert run(surge)["raised"] == []
    senders = traffic.messages(45, "Is the app down for everyone? not working here")  # the outage starts
    traffic.clock.advance(minutes=1)
    result = run(surge)
    events = surge_events(aws, notices_queue)
    assert set(events) == {"outage", PAGE}
    outage = events["outage"]
    assert {k: outage[k] for k in ("scope", "count", "baseline", "threshold", "window_minutes", "window_open")} == {
        "scope": "topic",
        "count": 45,
        "baseline": 3.0,
        "threshold": 20.0,
        "window_minutes": 5,
        "window_open": True,
    }
    assert outage["window_start"] == "2026-01-01T01:00:00Z"
    store = CaseStore(aws.table_name, client=aws.dynamodb)
    spike_cases = {case.case_id for user in senders for case in store.cases_of_customer(PAGE, user)}
    assert 1 <= len(outage["case_ids"]) <= 5
    assert set(outage["case_ids"]) <= spike_cases
    assert (events[PAGE]["scope"], events[PAGE]["count"], events[PAGE]["baseline"]) == ("account", 45, 8.0)
    # 12 steady buckets of two invocations each (one counter item per shard they hit), and the spike's one
    assert 13 <= result["items_read"] <= 25
    metrics = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith('{"_aws"')]
    assert [m[c.SURGE_METRIC] for m in metrics if m.get("service") == "surge"] == [[0.0], [2.0]]

    again = run(surge)  # the next scheduled run, and the one after the bucket ended: nothing new
    traffic.clock.advance(minutes=5)
    after = run(surge)
    assert (again["raised"], again["already_raised"]) == ([], 2)
    assert (after["raised"], after["already_raised"]) == ([], 2)
    assert surge_events(aws, notices_queue) == {}


def test_steady_traffic_raises_nothing(
    traffic: Traffic, surge: ModuleType, aws: AwsResources, notices_queue: str
) -> None:
    traffic.steady_hour()
    traffic.steady_hour()
    assert run(surge)["raised"] == []
    assert surge_events(aws, notices_queue) == {}


def test_invalid_surge_settings_fail_both_cold_starts_naming_the_field(
    traffic: Traffic, surge: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(c.ENV_SURGE_SETTINGS, json.dumps({"keywords": {"outage": [".. down"]}}))
    with pytest.raises(RuntimeError, match=r"SURGE_SETTINGS is invalid at keywords\.outage\[0\]"):
        traffic.lambdas.ingest._surge_settings(traffic.lambdas.ingest.IngestConfig.from_env())
    surge.wire(clients={})
    with pytest.raises(RuntimeError, match=r"SURGE_SETTINGS is invalid at keywords\.outage\[0\]"):
        run(surge)
