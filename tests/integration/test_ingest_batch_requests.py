"""What a queue batch of one-message deliveries costs ingest in DynamoDB requests (issue 11), through the
ingest handler on moto: the customers' current-case copies of all its deliveries are read in one
BatchGetItem, so that a message costs its write, a tenth of that read and a tenth of the surge count.
The batch read changes none of the guarantees: a copy another writer moved meanwhile fails that
message's write and is read again; a message that fails fails only its own record."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import replace
from typing import Any

import pytest
from botocore.exceptions import ClientError
from socialcare.aws.case_store import CaseStore

from tests.bench.ddb_cost import DynamoDBCalls
from tests.conftest import AwsResources
from tests.integration.lambda_harness import FlakyDynamoDB, Lambdas
from tests.platform_fixtures import page_message_entry

pytestmark = pytest.mark.integration

PAGE = "104729835600142"
CUSTOMERS = [f"6254148800000{n:03d}" for n in range(1, 11)]


@pytest.fixture(scope="module")
def recorder() -> DynamoDBCalls:
    return DynamoDBCalls.installed()


def post_one_each(lambdas: Lambdas, round_: int = 0) -> list[dict[str, Any]]:
    """Each customer writes once, one delivery each; the batch the event source mapping would hand over."""
    ts = int(time.time() * 1000)
    for n, user in enumerate(CUSTOMERS):
        entry = page_message_entry(PAGE, user, f"m_{round_}_{user}", "where is my order?", ts + n)
        lambdas.accept("meta", {"object": "page", "entry": [entry]})
    messages = lambdas.receive(max_messages=10)
    assert len(messages) == len(CUSTOMERS)
    return messages


def invoke(lambdas: Lambdas, recorder: DynamoDBCalls, messages: list[dict[str, Any]]) -> tuple[Any, Counter[str]]:
    recorder.take()
    recorder.recording = True
    try:
        response = lambdas.invoke_ingest(messages)
    finally:
        recorder.recording = False
    return response, Counter(operation for operation, _ in recorder.take())


def message_count(aws: AwsResources, user: str) -> int:
    case = CaseStore(aws.table_name, client=aws.dynamodb).current_case(PAGE, [user]).case
    return 0 if case is None else case.message_count


@pytest.mark.parametrize("returning", [False, True], ids=["new customers", "returning customers"])
def test_ten_deliveries_of_ten_customers_cost_at_most_two_requests_a_message(
    lambdas: Lambdas, aws: AwsResources, recorder: DynamoDBCalls, returning: bool
) -> None:
    if returning:
        lambdas.invoke_ingest(post_one_each(lambdas, round_=1))
    response, requests = invoke(lambdas, recorder, post_one_each(lambdas))
    assert response == {"batchItemFailures": []}
    assert requests["BatchGetItem"] == 1
    assert requests["TransactWriteItems"] == len(CUSTOMERS)
    assert requests["UpdateItem"] == 1  # the surge counter, once for the batch
    # All told, with the configuration the function reads at most once a minute (routing rules, the SLA).
    assert sum(requests.values()) <= 2 * len(CUSTOMERS), requests
    assert [message_count(aws, user) for user in CUSTOMERS] == [1 + returning] * len(CUSTOMERS)


class AgentActsAfterTheBatchRead(FlakyDynamoDB):
    """An agent takes the first customer's case just after the batch read its customers' copies."""

    def batch_get_item(self, **kwargs: Any) -> Any:
        response = self._client.batch_get_item(**kwargs)
        store = CaseStore(next(iter(kwargs["RequestItems"])), client=self._client)
        case = store.current_case(PAGE, [CUSTOMERS[0]]).case
        if case is not None:
            store.save_case(case, replace(case, owner="agent-7", version=case.version + 1))
        return response


def test_a_copy_moved_after_the_batch_read_it_is_read_again_and_the_message_lands(
    lambdas: Lambdas, aws: AwsResources
) -> None:
    lambdas.invoke_ingest(post_one_each(lambdas, round_=1))
    client = AgentActsAfterTheBatchRead(aws.dynamodb)
    lambdas.ingest.wire(clients={"dynamodb": client, "s3": aws.s3, "sqs": aws.sqs})
    assert lambdas.invoke_ingest(post_one_each(lambdas)) == {"batchItemFailures": []}
    assert [message_count(aws, user) for user in CUSTOMERS] == [2] * len(CUSTOMERS)
    case = CaseStore(aws.table_name, client=aws.dynamodb).current_case(PAGE, [CUSTOMERS[0]]).case
    assert case is not None
    assert case.owner == "agent-7"


def test_a_message_that_fails_fails_only_its_record(lambdas: Lambdas, aws: AwsResources) -> None:
    messages = post_one_each(lambdas)
    client = FlakyDynamoDB(aws.dynamodb, fail_when=CUSTOMERS[3])
    lambdas.ingest.wire(clients={"dynamodb": client, "s3": aws.s3, "sqs": aws.sqs})
    response = lambdas.invoke_ingest(messages)
    assert response == {"batchItemFailures": [{"itemIdentifier": messages[3]["MessageId"]}]}
    assert [message_count(aws, user) for user in CUSTOMERS] == [0 if n == 3 else 1 for n in range(len(CUSTOMERS))]


class BatchReadFails(FlakyDynamoDB):
    def batch_get_item(self, **kwargs: Any) -> Any:
        raise ClientError({"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow"}}, "x")


def test_a_batch_read_that_fails_leaves_each_message_to_read_its_own(lambdas: Lambdas, aws: AwsResources) -> None:
    lambdas.ingest.wire(clients={"dynamodb": BatchReadFails(aws.dynamodb), "s3": aws.s3, "sqs": aws.sqs})
    assert lambdas.invoke_ingest(post_one_each(lambdas)) == {"batchItemFailures": []}
    assert [message_count(aws, user) for user in CUSTOMERS] == [1] * len(CUSTOMERS)
