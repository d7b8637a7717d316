"""Two invocations of the ingest function at once, in one process (as the local stack runs them):
each batch's failures are reported for its own records only.

The batch processor holds a batch's records and failures; it is made per invocation, so a
second batch that starts while the first is in flight cannot change what the first reports.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest

from tests.conftest import AwsResources
from tests.integration.lambda_harness import Lambdas
from tests.platform_fixtures import load

pytestmark = pytest.mark.integration


class GatedDynamoDB:
    """Forwards to the real client; the first call waits until ``release`` (after saying it ``entered``)."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.entered = threading.Event()
        self.release = threading.Event()

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._client, name)

        def call(**kwargs: Any) -> Any:
            if not self.entered.is_set():
                self.entered.set()
                assert self.release.wait(timeout=30), "the gate was never opened"
            return method(**kwargs)

        return call


def test_each_concurrent_batch_reports_only_its_own_failures(lambdas: Lambdas, aws: AwsResources) -> None:
    lambdas.accept("meta", load("meta", "whatsapp_text"))
    [good] = lambdas.receive()
    lambdas.accept("x", load("x", "dm"))
    aws.sqs.send_message(QueueUrl=aws.queue_url, MessageBody="not an envelope")
    second_batch = lambdas.receive()
    [bad] = [m for m in second_batch if m["Body"] == "not an envelope"]
    assert len(second_batch) == 2
    gate = GatedDynamoDB(aws.dynamodb)
    lambdas.ingest.wire(clients={"dynamodb": gate, "s3": aws.s3, "sqs": aws.sqs})

    results: dict[str, Any] = {}
    first = threading.Thread(target=lambda: results.setdefault("good", lambdas.invoke_ingest([good])))
    first.start()
    try:
        assert gate.entered.wait(timeout=30), "the first invocation never reached DynamoDB"
        # The first batch is in flight (inside its record); a second one runs start to finish.
        results["second"] = lambdas.invoke_ingest(second_batch)
    finally:
        gate.release.set()
        first.join(timeout=30)
    assert not first.is_alive()

    assert results["second"] == {"batchItemFailures": [{"itemIdentifier": bad["MessageId"]}]}
    assert results["good"] == {"batchItemFailures": []}
    assert lambdas.stored_message_ids() == sorted(
        ["wamid.HBgLMTY1MDU1NTEyMzQVAgASGBQzQTNBRjUxNUI1QUVCNkY0RkE2MgA=", "1932200000000000001"]
    )
