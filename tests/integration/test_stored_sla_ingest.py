"""Issue 8, item 1: the SLA policies an admin stores are what ingest computes a new case's due time
with — in business time on the policy's calendar, through the real ingest handler on moto — and the
per-channel targets apply while none is stored."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from socialcare.aws.case_store import CaseStore

from tests.conftest import AwsResources
from tests.integration.lambda_harness import Lambdas
from tests.platform_fixtures import page_message_entry
from tests.sla_config_support import store_office_policies

pytestmark = pytest.mark.integration

PAGE = "104729835600142"
# Friday 4 December 2026, 16:30 in Berlin: half an hour of the office's day is left.
FRIDAY_AFTERNOON = int(datetime(2026, 12, 4, 15, 30, tzinfo=UTC).timestamp() * 1000)
MONDAY_0930_BERLIN = int(datetime(2026, 12, 7, 8, 30, tzinfo=UTC).timestamp() * 1000)


@pytest.fixture
def lambdas(aws: AwsResources, monkeypatch: pytest.MonkeyPatch) -> Iterator[Lambdas]:
    harness = Lambdas(aws, monkeypatch)
    harness.ingest.wire(clients={"dynamodb": aws.dynamodb, "s3": aws.s3, "sqs": aws.sqs})
    yield harness
    harness.close()


def customer_writes(lambdas: Lambdas, sender: str) -> None:
    lambdas.accept(
        "meta",
        {"object": "page", "entry": [page_message_entry(PAGE, sender, f"m-{sender}", "Hello?", FRIDAY_AFTERNOON)]},
    )
    lambdas.drain()


def test_a_stored_policy_set_gives_due_times_in_business_time(lambdas: Lambdas, aws: AwsResources) -> None:
    store = CaseStore(aws.table_name, client=aws.dynamodb)
    customer_writes(lambdas, "7001")
    [before] = store.cases_of_customer(PAGE, "7001")
    assert before.response_due_at_ms == FRIDAY_AFTERNOON + 4 * 3_600_000  # Messenger's 4 hours, around the clock

    store_office_policies(aws.table_name, aws.dynamodb, at_ms=FRIDAY_AFTERNOON)
    lambdas.ingest.wire(clients={"dynamodb": aws.dynamodb, "s3": aws.s3, "sqs": aws.sqs})  # a new process

    customer_writes(lambdas, "7002")
    [after] = store.cases_of_customer(PAGE, "7002")
    assert after.response_due_at_ms == MONDAY_0930_BERLIN
    assert after.escalation is not None
    assert after.escalation.breach_at_ms == MONDAY_0930_BERLIN
    [unchanged] = store.cases_of_customer(PAGE, "7001")
    assert unchanged.response_due_at_ms == before.response_due_at_ms  # promised before the change
