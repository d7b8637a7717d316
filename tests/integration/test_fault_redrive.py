"""Nothing accepted is lost when the table fails under concurrent pollers (issue 12, item 8).

Two event-source-mapping pollers work one queue at once while DynamoDB is unavailable for a while
(and, for replies, the platform answers 503 for a while); the queue's maxReceiveCount is small, so
some records exhaust their receives and reach the dead-letter queue. Then every record is
accounted for: done exactly once, or in the DLQ with its payload intact — never reported done when
it was not (the poller would have deleted it: lost). An operator's redrive moves the DLQ back to
the queue and, with the table healthy, every record is done exactly once.

Each case runs twice: each poller with an execution environment of its own (a copy of the
function's module, as the local stack and Lambda run them), and both pollers invoking one and the
same module at once — the batch state of one invocation must be its own either way.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import Counter
from collections.abc import Iterator, Mapping, Set
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import pytest
from socialcare import constants as c
from socialcare.aws.case_store import CaseStore
from socialcare.aws.outbound_store import OutboundStore
from socialcare.model.case import Case
from socialcare.model.envelope import DeliveryEnvelope
from socialcare.model.events import Channel, DeliveryState
from socialcare.model.outbound import OutboundRequest
from socialcare.model.sending import SendState
from socialcare.model.stored import MessageRef
from socialcare_local.emulator import functions
from socialcare_local.emulator.functions import FunctionEnvironments, Handler
from socialcare_local.emulator.pollers import PollerSettings, QueuePoller, wait_until
from socialcare_local.sandbox.reply_api import ReplyApi

from tests.conftest import AwsResources
from tests.integration.lambda_harness import Lambdas, UnavailableDynamoDB, redrive
from tests.integration.outbound_rig import customer_writes, outbound_queues, start_reply_api
from tests.outbound_support import queue_reply, store_pending_reply
from tests.platform_fixtures import encode

pytestmark = pytest.mark.integration

RECORDS = 100
CUSTOMERS = 20  # five records per customer: concurrent pollers also race on the same case
MAX_RECEIVES = 3
# Pigeonhole: with at most MAX_RECEIVES failed attempts per record, F failed attempts in all put at
# least F - 2 * RECORDS records in the DLQ, and leave at least RECORDS - F / MAX_RECEIVES done.
TABLE_FAILURES = 250
SETTLE_S = 60.0
LATENCY_S = 0.002  # each table call's round trip: the two pollers' invocations interleave

SHARING = ["own-environments", "one-shared-module"]


class OneReceiveAtATime:
    """The pollers' SQS client: moto's in-process SQS backend is not safe for two ReceiveMessage
    calls at once when both find the same message due for the DLQ (the second fails with a
    ``ValueError``, and the messages it had received stay hidden for the processing visibility).
    Receives take turns; everything else, the functions included, runs concurrently."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self._lock = threading.Lock()

    def receive_message(self, **kwargs: Any) -> Any:
        with self._lock:
            return self._client.receive_message(**kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


@dataclass
class Pollers:
    """Two event-source-mapping pollers on one queue, each running one batch at a time."""

    pollers: list[QueuePoller]
    copies: list[ModuleType] = field(default_factory=list)

    def run_until_settled(self) -> None:
        for poller in self.pollers:
            poller.start()
        try:
            settled = wait_until(self._settled, timeout_s=SETTLE_S, interval_s=0.05)
        finally:
            for poller in self.pollers:
                poller.request_stop()
            for poller in self.pollers:
                poller.stop()
            # A thread still in its long poll must not outlive the test (and meet the next one's queue).
            for thread in threading.enumerate():
                if thread.name.startswith("poller-socialcare-"):
                    thread.join(timeout=10)
        assert settled, f"the queue was not drained within {SETTLE_S} s"

    def _settled(self) -> bool:
        # Twice, a moment apart: a batch that has just been received is not "busy" yet.
        if not all(poller.is_idle() for poller in self.pollers):
            return False
        time.sleep(0.05)
        return all(poller.is_idle() for poller in self.pollers)

    def close(self) -> None:
        for module in self.copies:
            module.wire()
            functions.unload(module)


def two_pollers(
    sqs: Any, queue_url: str, *, function: str, shared: ModuleType, clients: Mapping[str, Any], sharing: str
) -> Pollers:
    """Two pollers; with "own-environments" each invokes a copy of the function's module of its
    own, with "one-shared-module" both invoke ``shared`` at once. Every module runs on ``clients``."""
    made = Pollers([])
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]

    def load_copy() -> Handler:
        module = functions.load_function_copy(function)
        module.wire(clients=clients)
        made.copies.append(module)
        handler: Handler = module.handler
        return handler

    shared.wire(clients=clients)
    receiving = OneReceiveAtATime(sqs)
    batch_size = c.OUTBOUND_BATCH_SIZE if function == c.OUTBOUND_FUNCTION else c.INGEST_BATCH_SIZE
    for number in range(2):
        handler: Handler | FunctionEnvironments = (
            FunctionEnvironments(load_copy, size=1) if sharing == "own-environments" else shared.handler
        )
        made.pollers.append(
            QueuePoller(
                sqs=receiving,
                queue_url=queue_url,
                queue_arn=queue_arn,
                handler=handler,
                function_name=f"socialcare-{function}-{number}",
                settings=PollerSettings(
                    batch_size=batch_size,
                    concurrency=1,
                    wait_time_s=1,
                    processing_visibility_s=60,  # no less than the function timeout, as Lambda requires
                    retry_delay_s=0,  # a failed record is visible again at once: retries take no wall time
                    function_timeout_s=60,
                ),
            )
        )
    return made


def limit_receives(sqs: Any, queue_url: str, dlq_url: str) -> None:
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sqs.set_queue_attributes(
        QueueUrl=queue_url,
        Attributes={
            "VisibilityTimeout": "2",
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": MAX_RECEIVES}),
        },
    )


def queue_depth(sqs: Any, queue_url: str) -> int:
    attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["All"])["Attributes"]
    return sum(
        int(attributes[name])
        for name in (
            "ApproximateNumberOfMessages",
            "ApproximateNumberOfMessagesNotVisible",
            "ApproximateNumberOfMessagesDelayed",
        )
    )


def assert_split(done: Set[str], dead: Set[str], everything: Set[str], *, may_be_both: Set[str] = frozenset()) -> None:
    """Every record is done or dead, none is both (except those whose write was applied and its
    answer lost: those may also be dead, as their message was not done with), and the fault made
    both kinds."""
    assert done | dead == everything, f"lost: {sorted(everything - done - dead)}"
    assert (done & dead) <= may_be_both, f"done and in the DLQ: {sorted((done & dead) - may_be_both)}"
    assert dead, "the fault put nothing in the DLQ"
    assert done - dead, "the fault left nothing done"


# --- inbound ---------------------------------------------------------------------------------------
MARKER = re.compile(r"delivery-\d{3}")


def telegram_update(number: int, now_s: int) -> dict[str, Any]:
    customer = 880_000_000 + number % CUSTOMERS
    person = {"id": customer, "first_name": f"Customer {number % CUSTOMERS}"}
    return {
        "update_id": 600_000_000 + number,
        "message": {
            "message_id": 10_000 + number,
            "from": {**person, "is_bot": False},
            "chat": {**person, "type": "private"},
            "date": now_s - RECORDS + number,
            "text": f"delivery-{number:03d}: where is my order?",
        },
    }


def stored_markers(lambdas: Lambdas) -> Counter[str]:
    return Counter(MARKER.findall(" ".join(item.get("text", {}).get("S", "") for item in lambdas.items("entry"))))


def raw_payload(lambdas: Lambdas, body: str) -> bytes:
    envelope = DeliveryEnvelope.from_json(body)
    kept = lambdas.raw_object(envelope.raw_key)
    if envelope.body is not None:
        assert envelope.body.encode("utf-8") == kept
    return kept


@pytest.mark.parametrize("sharing", SHARING)
def test_inbound_every_delivery_is_stored_once_or_dead_lettered_then_redriven(
    lambdas: Lambdas, aws: AwsResources, sharing: str
) -> None:
    assert not [t.name for t in threading.enumerate() if t.name.startswith("poller-")]
    limit_receives(aws.sqs, aws.queue_url, aws.dlq_url)
    now_s = int(time.time())
    posted: dict[str, bytes] = {}
    for number in range(RECORDS):
        signed = encode("telegram", telegram_update(number, now_s))
        lambdas.accept("telegram", signed)
        posted[f"delivery-{number:03d}"] = signed
    assert lambdas.queue_depth() == RECORDS

    # The table fails every call for a while; as it comes back, the first few writes are applied
    # but their answers are lost (the caller cannot tell them from writes that failed).
    table = UnavailableDynamoDB(aws.dynamodb, failures=TABLE_FAILURES, lost_answers=5, latency_s=LATENCY_S)
    clients = {"dynamodb": table, "s3": aws.s3, "sqs": aws.sqs}
    pollers = two_pollers(
        aws.sqs,
        aws.queue_url,
        function="ingest",
        shared=lambdas.ingest,
        clients=clients,
        sharing=sharing,
    )
    try:
        pollers.run_until_settled()
        assert table.failed == TABLE_FAILURES

        stored = stored_markers(lambdas)
        assert max(stored.values()) == 1, f"stored twice: {[m for m, n in stored.items() if n > 1]}"
        dead: set[str] = set()
        for body in redrive(aws.sqs, aws.dlq_url, aws.queue_url):
            payload = raw_payload(lambdas, body)
            [marker] = MARKER.findall(payload.decode("utf-8"))
            assert payload == posted[marker]  # the exact signed bytes the platform sent
            assert marker not in dead, f"{marker} twice in the DLQ"
            dead.add(marker)
        lost_answers = {m for m in posted if any(f'"{m}:' in request for request in table.lost)}
        assert_split(set(stored), dead, set(posted), may_be_both=lost_answers)
        assert len(table.lost) == 5

        # Redriven, with the table healthy: every delivery stored, each exactly once.
        pollers.run_until_settled()
        assert stored_markers(lambdas) == Counter(posted.keys())
        assert queue_depth(aws.sqs, aws.queue_url) == 0
        assert queue_depth(aws.sqs, aws.dlq_url) == 0
    finally:
        pollers.close()


# --- outbound --------------------------------------------------------------------------------------
# The platform refuses this many calls with a 503 once the table is back: some replies exhaust
# their receives on the platform, others on the table.
PLATFORM_FAILURES = 200
OUTBOUND_TABLE_FAILURES = 40


@dataclass
class Outbound:
    aws: AwsResources
    module: ModuleType
    reply_api: ReplyApi
    queue_url: str
    dlq_url: str
    store: CaseStore
    outbound: OutboundStore

    def customer_writes(self, psid: str) -> Case:
        return customer_writes(self.store, self.reply_api, psid, "Any news?")

    def accepted_calls(self) -> Counter[str]:
        """Replies the platform accepted, by marker."""
        return Counter(
            marker
            for call in self.reply_api.calls(endpoint="messenger")
            if call.accepted
            for marker in re.findall(r"reply-\d{3}", call.text or "")
        )


@pytest.fixture
def outbound(aws: AwsResources, monkeypatch: pytest.MonkeyPatch) -> Iterator[Outbound]:
    queues = outbound_queues(aws)
    queue_url, dlq_url = queues.queue_url, queues.dlq_url
    limit_receives(aws.sqs, queue_url, dlq_url)
    # The sender's "last try" is the queue's.
    settings = {c.ENV_OUTBOUND_MAX_RECEIVE_COUNT: str(MAX_RECEIVES), "POWERTOOLS_LOG_LEVEL": "WARNING"}
    reply_api = start_reply_api(aws, monkeypatch, queue_url, settings)
    module = functions.load_function(c.OUTBOUND_FUNCTION)
    try:
        yield Outbound(
            aws,
            module,
            reply_api,
            queue_url,
            dlq_url,
            CaseStore(aws.table_name, client=aws.dynamodb),
            OutboundStore(aws.table_name, client=aws.dynamodb),
        )
    finally:
        module.wire()
        reply_api.stop()


@pytest.mark.parametrize("sharing", SHARING)
def test_outbound_every_reply_is_sent_once_or_dead_lettered_then_redriven(
    outbound: Outbound, aws: AwsResources, sharing: str
) -> None:
    cases = [(outbound.customer_writes(f"psid-fault-{n}"), f"psid-fault-{n}") for n in range(CUSTOMERS)]
    requests: dict[str, OutboundRequest] = {}
    for number in range(RECORDS):
        case, psid = cases[number % CUSTOMERS]
        marker = f"reply-{number:03d}"
        requests[marker] = store_pending_reply(
            aws.dynamodb,
            aws.table_name,
            case,
            now_ms=time.time_ns() // 1_000_000,
            channel=Channel.MESSENGER,
            recipient_id=psid,
            text=f"{marker}: it ships today. — Alice",
        )
        queue_reply(aws.sqs, outbound.queue_url, requests[marker])

    # The table is down first; once it is back, the platform answers 503 for a while.
    table = UnavailableDynamoDB(aws.dynamodb, failures=OUTBOUND_TABLE_FAILURES, latency_s=LATENCY_S)
    outbound.reply_api.fail(PLATFORM_FAILURES, platform="meta", status=503)
    clients = {"dynamodb": table, "sqs": aws.sqs, "secretsmanager": aws.secrets}
    pollers = two_pollers(
        aws.sqs,
        outbound.queue_url,
        function=c.OUTBOUND_FUNCTION,
        shared=outbound.module,
        clients=clients,
        sharing=sharing,
    )
    try:
        pollers.run_until_settled()
        assert table.failed == OUTBOUND_TABLE_FAILURES

        sent = outbound.accepted_calls()
        assert max(sent.values()) == 1, f"sent twice: {[m for m, n in sent.items() if n > 1]}"
        for marker in sent:
            assert_sent_and_recorded(outbound, requests[marker])
        dead: set[str] = set()
        for body in redrive(aws.sqs, outbound.dlq_url, outbound.queue_url):
            request = OutboundRequest.from_json(body)
            [marker] = re.findall(r"reply-\d{3}", request.text)
            assert request == requests[marker]  # intact: the reply as the agent wrote it
            assert marker not in dead, f"{marker} twice in the DLQ"
            dead.add(marker)
            stored = outbound.outbound.get(MessageRef(request.case_id, request.entry_id))
            assert stored is not None
            # Not sent, and still claimable by a redrive: never tried, waiting, or given up.
            assert stored.send_state in (None, SendState.WAITING, SendState.GAVE_UP), (marker, stored.send_state)
        assert_split(set(sent), dead, set(requests))
        refused = [call for call in outbound.reply_api.calls(endpoint="messenger") if call.fault == "fail"]
        assert len(refused) == PLATFORM_FAILURES

        # Redriven, with the table and the platform healthy: every reply sent, each exactly once.
        pollers.run_until_settled()
        assert outbound.accepted_calls() == Counter(requests.keys())
        for request in requests.values():
            assert_sent_and_recorded(outbound, request)
        assert queue_depth(aws.sqs, outbound.queue_url) == 0
        assert queue_depth(aws.sqs, outbound.dlq_url) == 0
    finally:
        pollers.close()


def assert_sent_and_recorded(outbound: Outbound, request: OutboundRequest) -> None:
    stored = outbound.outbound.get(MessageRef(request.case_id, request.entry_id))
    assert stored is not None
    assert (stored.send_state, stored.entry.delivery_state) == (SendState.SENT, DeliveryState.SENT), request.text
    [call] = [
        call
        for call in outbound.reply_api.calls(endpoint="messenger")
        if call.accepted and (call.text or "").startswith(request.text.split(":")[0] + ":")
    ]
    assert stored.platform_message_ids == (call.message_id,)
