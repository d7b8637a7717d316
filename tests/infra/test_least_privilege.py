"""The deployed roles allow exactly what the code does: run it on moto and compare with the template.

Every deployed principal runs for real, through its paths: the webhook and ingest handlers on signed
deliveries; the outbound handler on replies that are sent, throttled and re-queued, refused, given up,
duplicated, unreadable, privately answered (linking the customer's Messenger id over a resolved
case) and overtaken by their own echo; the agent API (its Chalice app, wired from the environment)
through every route of its OpenAPI spec. Each AWS call is recorded with its resource — the actions
inside transactions, the index of each query — and the set must equal what the synthesised role
grants: a missing grant would fail in AWS with AccessDenied, a surplus one is a privilege nobody uses.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import partial
from types import ModuleType
from typing import Any

import boto3
import pytest
from socialcare import constants as c
from socialcare.aws import schema
from socialcare.aws.automated_store import AutomatedStore
from socialcare.aws.case_store import CaseStore, MessageRef
from socialcare.aws.config_store import ConfigStore
from socialcare.aws.items import case_item
from socialcare.aws.outbound_store import OutboundStore, SendState
from socialcare.aws.profile_store import ProfileStore
from socialcare.aws.report_store import ReportStore
from socialcare.aws.surge_store import SurgeStore
from socialcare.clock import ManualClock, system_clock
from socialcare.ids import new_ulid
from socialcare.ingest.service import Ingestor, IngestSettings
from socialcare.model.audit import AuditAction, AuditRecord
from socialcare.model.case import Case, CaseStatus, EntryKind
from socialcare.model.config import ConfigKind, StoredConfig
from socialcare.model.events import (
    Channel,
    DeliveryState,
    EventKind,
    ParsedDelivery,
    PlatformEvent,
)
from socialcare.model.outbound import OutboundRequest, ReplyMode
from socialcare.model.profile import BrandProfile, profile_from_document
from socialcare.model.surges import BucketTally, SurgeKey, SurgeScope
from socialcare.model.tasks import CaseTask, TaskKind
from socialcare.outbound.http import HttpRequest, HttpResponse
from socialcare.reports.recorder import DayFactRecorder
from socialcare.rules.answer_links import AnswerLinks, link_key
from socialcare.rules.cases import apply_outbound
from socialcare.rules.crisis import crisis_config, declare
from socialcare.rules.escalation import with_escalation
from socialcare.rules.follow_up import with_follow_up
from socialcare.rules.surges import bucket_of
from socialcare_infra import access
from socialcare_local.emulator.function_url import build_function_url_event
from socialcare_local.emulator.functions import LambdaContext, load_function, reset_function
from socialcare_local.sandbox import payloads as p
from socialcare_local.sandbox.signing import meta_request

from tests.agent_api_support import BILLING_ACCOUNT, CURSOR_KEY, ApiClient, World, _template_of, app_module, spec_routes
from tests.automation_support import held_acknowledgement
from tests.case_clock_support import TABLE, clock_world, due_in, new_case, stream_record
from tests.conftest import TEST_CREDENTIALS, AwsResources
from tests.follow_up_support import follow_up_machine, schedule_in
from tests.infra.conftest import Synthesised
from tests.infra.helpers import SAM_FUNCTION, function_id, ref_id
from tests.infra.recording import (
    LIST_FOR_MISSING_REPORTS,
    CallRecorder,
    MotoLabels,
    function_grants,
    granted,
    record_aws_calls,
)
from tests.outbound_support import (
    FakeTransport,
    fb_comment_event,
    messenger_event,
    meta_error,
    meta_sent,
    queue_reply,
    store_pending_reply,
)
from tests.sla_config_support import ALWAYS, BERLIN, BILLING, POLICIES

pytestmark = [pytest.mark.infra, pytest.mark.xdist_group("infra")]

PAGE, WABA, PHONE = "104729561127193", "102290129340398", "106540352242922"
T0 = 1_767_225_600_000
BUS = "socialcare-events-test"  # ingest tells the leads of a sensitive case there
REPORTS = "socialcare-reports-test"
# The platform secret as the operator puts it: the webhook's app secret and the outbound's page token.
PLATFORM_DOCUMENT = {**TEST_CREDENTIALS, "meta": {**TEST_CREDENTIALS["meta"], "page_tokens": {PAGE: "page-token"}}}


@dataclass
class Deployed:
    """The moto resources standing in for one stage's table, bucket, queues, secrets and the department
    escalation machine (created, not run: moto's engine is off)."""

    aws: AwsResources
    outbound_url: str
    api_secret_arn: str
    department_machine_arn: str

    @property
    def labels(self) -> MotoLabels:
        return MotoLabels(
            table=self.aws.table_name,
            bucket=self.aws.bucket,
            queues={self.aws.queue_url: access.INBOUND, self.outbound_url: access.OUTBOUND},
            secrets={self.aws.secret_id: access.PLATFORM_SECRET, self.api_secret_arn: access.API_SECRET},
            event_bus=BUS,
            state_machines={self.department_machine_arn: c.DEPARTMENT_ESCALATION},
            task_tokens_of=c.DEPARTMENT_ESCALATION,
            reports_bucket=REPORTS,
            raw_streams=frozenset(self.aws.raw_streams.values()),
        )

    def outbound_arn(self) -> str:
        attributes = self.aws.sqs.get_queue_attributes(QueueUrl=self.outbound_url, AttributeNames=["QueueArn"])
        return str(attributes["Attributes"]["QueueArn"])


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch) -> CallRecorder:
    return record_aws_calls(monkeypatch)


@pytest.fixture
def deployed(aws: AwsResources, monkeypatch: pytest.MonkeyPatch) -> Deployed:
    aws.secrets.put_secret_value(SecretId=aws.secret_id, SecretString=json.dumps(PLATFORM_DOCUMENT))
    dlq_url = aws.sqs.create_queue(QueueName="outbound-dlq", Attributes=schema.DLQ_ATTRIBUTES)["QueueUrl"]
    dlq_arn = aws.sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    outbound_url = aws.sqs.create_queue(QueueName="outbound", Attributes=schema.outbound_queue_attributes(dlq_arn))[
        "QueueUrl"
    ]
    api_secret_arn = aws.secrets.create_secret(
        Name="socialcare/api/test", SecretString=json.dumps({"cursor_key": CURSOR_KEY})
    )["ARN"]
    # Each function's environment, as the template gives it (test_reliability checks the keys).
    env = {
        c.ENV_INBOUND_QUEUE_URL: aws.queue_url,
        c.ENV_RAW_BUCKET: aws.bucket,
        c.ENV_RAW_STREAMS: aws.raw_streams_setting,
        c.ENV_PLATFORM_SECRET_ARN: aws.secret_id,
        c.ENV_TABLE_NAME: aws.table_name,
        c.ENV_OUTBOUND_QUEUE_URL: outbound_url,
        c.ENV_API_SECRET_ARN: api_secret_arn,
        c.ENV_BRAND_ACCOUNTS: json.dumps({"meta": [PAGE, PHONE]}),
        c.ENV_EVENT_BUS_NAME: BUS,
        c.ENV_ANSWER_LINK_BASE_URL: "https://api.example.test/prod/",
        c.ENV_REPORTS_BUCKET: REPORTS,
    }
    boto3.client("events").create_event_bus(Name=BUS)
    aws.s3.create_bucket(Bucket=REPORTS)
    machine_arn = boto3.client("stepfunctions").create_state_machine(
        name="socialcare-department_escalation-test",
        definition='{"StartAt": "S", "States": {"S": {"Type": "Succeed"}}}',
        roleArn="arn:aws:iam::123456789012:role/department-escalation",
    )["stateMachineArn"]
    env[c.ENV_DEPARTMENT_ESCALATION_ARN] = machine_arn
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return Deployed(aws, outbound_url, api_secret_arn, machine_arn)


@pytest.fixture
def handlers(deployed: Deployed) -> Iterator[dict[str, ModuleType]]:
    modules = {name: load_function(name) for name in (c.WEBHOOK_FUNCTION, c.INGEST_FUNCTION, c.OUTBOUND_FUNCTION)}
    for module in modules.values():
        reset_function(module)
    yield modules
    for module in modules.values():
        reset_function(module)


def function_logical_id(prod: Synthesised, function: str) -> str:
    return function_id(prod.template, function)


def sqs_record(message: dict[str, Any], queue_arn: str) -> dict[str, Any]:
    """A received message as Lambda's SQS event source hands it to the function."""
    attributes = message.get("Attributes", {})
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": {
            "ApproximateReceiveCount": attributes.get("ApproximateReceiveCount", "1"),
            "SentTimestamp": attributes.get("SentTimestamp", str(T0)),
        },
        "messageAttributes": {},
        "md5OfBody": message["MD5OfBody"],
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": "us-east-1",
    }


# ---- webhook and ingest ----------------------------------------------------------------------------


def post_meta(webhook: ModuleType, payload: dict[str, Any], recorder: CallRecorder) -> None:
    body, headers = meta_request(TEST_CREDENTIALS["meta"]["app_secrets"][0], payload)
    event = build_function_url_event(
        method="POST",
        raw_path="/webhooks/meta",
        raw_query="",
        headers=list(headers.items()),
        body=body,
    )
    with recorder.recording():
        response = webhook.handler(event, LambdaContext(function_name="socialcare-webhook-test"))
    assert response["statusCode"] == 200, response


def drain_into_ingest(aws: AwsResources, ingest: ModuleType, recorder: CallRecorder, *, waiting: bool = False) -> int:
    received = aws.sqs.receive_message(
        QueueUrl=aws.queue_url, MaxNumberOfMessages=10, AttributeNames=["All"], MessageAttributeNames=["All"]
    ).get("Messages", [])
    records = [sqs_record(m, "arn:aws:sqs:us-east-1:123456789012:inbound") for m in received]
    with recorder.recording():
        result = ingest.handler({"Records": records}, LambdaContext(function_name="socialcare-ingest-test"))
    # A delivery that waits for its message is put back (a batch item failure), not an error.
    assert result == {"batchItemFailures": [{"itemIdentifier": m["MessageId"]} for m in received if waiting]}
    for m in received:
        aws.sqs.delete_message(QueueUrl=aws.queue_url, ReceiptHandle=m["ReceiptHandle"])
    return len(records)


def test_roles_grant_exactly_the_calls_webhook_and_ingest_make(
    prod: Synthesised, deployed: Deployed, handlers: dict[str, ModuleType], recorder: CallRecorder
) -> None:
    aws = deployed.aws
    webhook, ingest = handlers[c.WEBHOOK_FUNCTION], handlers[c.INGEST_FUNCTION]
    webhook_calls: list[tuple[str, dict[str, Any]]] = []
    ingest_calls: list[tuple[str, dict[str, Any]]] = []

    def step(payload: dict[str, Any], *, waiting: bool = False) -> None:
        post_meta(webhook, payload, recorder)
        webhook_calls.extend(recorder.take())
        assert drain_into_ingest(aws, ingest, recorder, waiting=waiting) == 1
        ingest_calls.extend(recorder.take())

    def page(*events: dict[str, Any]) -> dict[str, Any]:
        return p.meta_delivery("page", [p.meta_entry(PAGE, events, time=T0)])

    step(page(p.messenger_message(PAGE, "psid-1", "m_1", "Where is my parcel? 📦", T0)))
    step(page(p.messenger_message(PAGE, "psid-1", "m_2", "Any news?", T0 + 60_000)))
    step(page(p.messenger_edit(PAGE, "psid-1", "m_2", "Any news, please?", 1, T0 + 90_000)))
    step(page(p.messenger_edit(PAGE, "psid-1", "m_9", "before its message", 1, T0 + 95_000)), waiting=True)
    step(page(p.messenger_message(PAGE, "psid-2", "m_3", "x" * (c.MAX_INLINE_DELIVERY_BYTES + 1), T0 + 120_000)))
    step(page(p.messenger_message(PAGE, "psid-3", "m_4", "my father passed away last week", T0 + 150_000)))

    def waba(change: dict[str, Any]) -> dict[str, Any]:
        return p.meta_delivery("whatsapp_business_account", [p.meta_entry(WABA, [change])])

    wa_time = T0 // 1000 + 200
    step(waba(p.whatsapp_message(PHONE, "447700900123", "wamid.A1", "Hello", wa_time, user_id="bsuid-77")))
    step(waba(p.whatsapp_status(PHONE, "wamid.A1", "read", "447700900123", wa_time + 100)))

    labels = deployed.labels
    assert labels.used(webhook_calls) == function_grants(prod, function_logical_id(prod, c.WEBHOOK_FUNCTION))
    assert labels.used(ingest_calls) == function_grants(prod, function_logical_id(prod, c.INGEST_FUNCTION))


# ---- outbound ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Batch:
    handed: int  # records handed to the function
    retried: list[dict[str, Any]]  # the messages it reported for retry (hidden for their delay)

    @property
    def bodies(self) -> list[str]:
        return [m["Body"] for m in self.retried]


@dataclass
class Outbound:
    """The real outbound handler over moto, its platform calls answered by a scripted fake."""

    deployed: Deployed
    handler: ModuleType
    transport: FakeTransport
    recorder: CallRecorder
    store: CaseStore
    ingestor: Ingestor
    queue_arn: str
    calls: list[tuple[str, dict[str, Any]]]

    @property
    def sqs(self) -> Any:
        return self.deployed.aws.sqs

    def ingest(self, *events: PlatformEvent) -> None:
        with self.recorder.paused():
            self.ingestor.ingest(ParsedDelivery(events[0].platform, events))

    def case_of(self, user: str) -> Case:
        case = self.store.current_case(PAGE, [user]).case
        assert case is not None
        return case

    def reply(self, case: Case, channel: Channel, recipient: str, **kw: Any) -> OutboundRequest:
        aws = self.deployed.aws
        request = store_pending_reply(
            aws.dynamodb, aws.table_name, case, now_ms=system_clock(), channel=channel, recipient_id=recipient, **kw
        )
        queue_reply(self.sqs, self.deployed.outbound_url, request)
        return request

    def run_batch(self) -> Batch:
        """One event source mapping round: receive, invoke (recorded), delete what succeeded."""
        messages = self.sqs.receive_message(
            QueueUrl=self.deployed.outbound_url,
            MaxNumberOfMessages=10,
            VisibilityTimeout=60,
            MessageSystemAttributeNames=["All"],
        ).get("Messages", [])
        event = {"Records": [sqs_record(m, self.queue_arn) for m in messages]}
        with self.recorder.recording():
            result = self.handler.handler(event, LambdaContext(function_name="socialcare-outbound-test"))
        self.calls.extend(self.recorder.take())
        failed = {f["itemIdentifier"] for f in result["batchItemFailures"]}
        for m in messages:
            if m["MessageId"] not in failed:
                self.sqs.delete_message(QueueUrl=self.deployed.outbound_url, ReceiptHandle=m["ReceiptHandle"])
        return Batch(len(messages), [m for m in messages if m["MessageId"] in failed])

    def due_again(self, batch: Batch) -> None:
        """The retry delays the handler set are over: its retried messages are visible again."""
        hidden = self.sqs.receive_message(QueueUrl=self.deployed.outbound_url, MaxNumberOfMessages=10)
        assert hidden.get("Messages", []) == [], "a retried message was visible before its delay"
        for m in batch.retried:
            self.sqs.change_message_visibility(
                QueueUrl=self.deployed.outbound_url, ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=0
            )

    def entry(self, request: OutboundRequest) -> Any:
        found = OutboundStore(self.deployed.aws.table_name, client=self.deployed.aws.dynamodb).get(
            MessageRef(request.case_id, request.entry_id)
        )
        assert found is not None
        return found


messenger = partial(messenger_event, PAGE)
fb_comment = partial(fb_comment_event, PAGE)


@pytest.fixture
def outbound(
    deployed: Deployed,
    handlers: dict[str, ModuleType],
    recorder: CallRecorder,
    monkeypatch: pytest.MonkeyPatch,
) -> Outbound:
    transport = FakeTransport()
    # The handler builds its HTTP transport from this name on first use: the fake answers instead.
    monkeypatch.setattr("socialcare.outbound.http.UrllibTransport", lambda: transport)
    # Two receives, so the last-receive path (give up, to the DLQ) is reached in two batches.
    monkeypatch.setenv(c.ENV_OUTBOUND_MAX_RECEIVE_COUNT, "2")
    handler = handlers[c.OUTBOUND_FUNCTION]
    reset_function(handler)
    store = CaseStore(deployed.aws.table_name, client=deployed.aws.dynamodb)
    return Outbound(
        deployed,
        handler,
        transport,
        recorder,
        store,
        Ingestor(store, clock=system_clock),
        deployed.outbound_arn(),
        [],
    )


def test_outbound_role_grants_exactly_the_calls_the_sender_makes(prod: Synthesised, outbound: Outbound) -> None:
    o = outbound
    now = system_clock()

    # Sent at once; then the same queue message again (SQS delivers at least once): nothing more.
    o.ingest(messenger("psid-sent", "m_in1", now))
    sent = o.reply(o.case_of("psid-sent"), Channel.MESSENGER, "psid-sent")
    o.transport.script(meta_sent("m_out1", "psid-sent"))
    assert o.run_batch() == Batch(1, [])
    assert o.entry(sent).entry.delivery_state is DeliveryState.SENT
    queue_reply(o.sqs, o.deployed.outbound_url, sent)
    assert o.run_batch() == Batch(1, [])
    assert len(o.transport.requests) == 1

    # Throttled: hidden for the delay (ChangeMessageVisibility), then sent on the next receive.
    o.ingest(messenger("psid-busy", "m_in2", now))
    throttled = o.reply(o.case_of("psid-busy"), Channel.MESSENGER, "psid-busy")
    o.transport.script(meta_error(613, "Calls to this api have exceeded the rate limit."))
    batch = o.run_batch()
    assert (batch.handed, len(batch.retried)) == (1, 1)
    assert o.entry(throttled).send_state is SendState.WAITING
    o.due_again(batch)
    o.transport.script(meta_sent("m_out2", "psid-busy"))
    assert o.run_batch() == Batch(1, [])
    assert o.entry(throttled).entry.delivery_state is DeliveryState.SENT

    # Refused by the platform: failed for good, nothing to retry.
    o.ingest(messenger("psid-refused", "m_in3", now))
    refused = o.reply(o.case_of("psid-refused"), Channel.MESSENGER, "psid-refused")
    o.transport.script(meta_error(100, "(#100) Invalid parameter"))
    assert o.run_batch() == Batch(1, [])
    assert o.entry(refused).entry.delivery_state is DeliveryState.FAILED

    # Server errors on every receive: retried, then given up on the last receive (to the DLQ).
    o.ingest(messenger("psid-down", "m_in4", now))
    down = o.reply(o.case_of("psid-down"), Channel.MESSENGER, "psid-down")
    o.transport.script(meta_error(2, "Service temporarily unavailable", status=503))
    batch = o.run_batch()
    assert len(batch.retried) == 1
    assert o.entry(down).send_state is SendState.WAITING
    o.due_again(batch)
    o.transport.script(meta_error(2, "Service temporarily unavailable", status=503))
    batch = o.run_batch()
    assert len(batch.retried) == 1
    assert o.entry(down).send_state is SendState.GAVE_UP
    o.sqs.delete_message(QueueUrl=o.deployed.outbound_url, ReceiptHandle=batch.retried[0]["ReceiptHandle"])

    # A message nobody can read: hidden for the backoff delay, left for the DLQ.
    unreadable = '{"v": 1, "case_id": "no entry id"}'
    o.sqs.send_message(QueueUrl=o.deployed.outbound_url, MessageBody=unreadable)
    batch = o.run_batch()
    assert (batch.handed, batch.bodies) == (1, [unreadable])
    o.sqs.delete_message(QueueUrl=o.deployed.outbound_url, ReceiptHandle=batch.retried[0]["ReceiptHandle"])

    # A private reply to a comment reveals the customer's Messenger id: the comment's case takes it
    # and supersedes their resolved Messenger case.
    o.ingest(messenger("psid-of-ann", "m_old", now - 60_000))
    old = o.case_of("psid-of-ann")
    with o.recorder.paused():
        o.store.save_case(old, replace(old.with_status(CaseStatus.RESOLVED, now - 30_000), version=old.version + 1))
    o.ingest(fb_comment("fb-user-ann", f"{PAGE}_1_10", now))
    comment_case = o.case_of("fb-user-ann")
    private = o.reply(
        comment_case,
        Channel.FACEBOOK_COMMENT,
        "fb-user-ann",
        mode=ReplyMode.PRIVATE_REPLY_TO_COMMENT,
        reply_to_id=f"{PAGE}_1_10",
    )
    o.transport.script(meta_sent("m_priv1", "psid-of-ann"))
    assert o.run_batch() == Batch(1, [])
    assert o.entry(private).entry.delivery_state is DeliveryState.SENT
    assert "psid-of-ann" in o.store.get_case(comment_case.case_id).customer.all_ids
    assert o.store.get_case(old.case_id).superseded_by == comment_case.case_id

    # The platform's echo of a reply is stored before the reply is recorded: the reply adopts it.
    o.ingest(messenger("psid-echo", "m_in5", now))
    echoed_case = o.case_of("psid-echo")
    echoed = o.reply(echoed_case, Channel.MESSENGER, "psid-echo")

    def accepted_and_echoed_first(request: HttpRequest) -> HttpResponse:
        o.ingest(messenger("psid-echo", "m_out5", system_clock(), kind=EventKind.ECHO))
        return meta_sent("m_out5", "psid-echo")

    o.transport.script(accepted_and_echoed_first)
    assert o.run_batch() == Batch(1, [])
    outbound_entries = [e for e in o.store.thread(echoed_case.case_id) if e.kind is EntryKind.OUTBOUND]
    assert [e.entry_id for e in outbound_entries] == [echoed.entry_id]
    assert o.store.find_message("meta", PAGE, "m_out5") == MessageRef(echoed_case.case_id, echoed.entry_id)

    # The follow-up's auto_resolve task: the case still waiting for the customer is resolved.
    o.ingest(messenger("psid-silent", "m_in6", now))
    silent = o.case_of("psid-silent")
    answered = replace(silent, awaiting_reply_since_ms=None, response_due_at_ms=None, escalation=None)
    pending = replace(answered.with_status(CaseStatus.PENDING_CUSTOMER, now), version=silent.version + 1)
    pending = with_follow_up(silent, pending, schedule_in(now, nudge_s=None, resolve_s=60))
    assert pending.follow_up is not None
    with o.recorder.paused():
        o.store.save_case(silent, pending)
    task = CaseTask(TaskKind.AUTO_RESOLVE, silent.case_id, {"pending_since": pending.follow_up.pending_since})
    o.sqs.send_message(QueueUrl=o.deployed.outbound_url, MessageBody=task.to_json())
    assert o.run_batch() == Batch(1, [])
    assert o.store.get_case(silent.case_id).status is CaseStatus.RESOLVED
    # The department escalation machine's requests on the same queue: one asks (the token stored, the
    # department told on the bus, the link signed with the API's key), one for an escalation answered
    # already completes the wait, one for an escalation cancelled with its case ends it.
    for task in department_requests(o):
        o.sqs.send_message(QueueUrl=o.deployed.outbound_url, MessageBody=task)
    assert o.run_batch() == Batch(3, [])
    automated_tasks(o, now)

    used = o.deployed.labels.used(o.calls)
    assert used == function_grants(prod, function_logical_id(prod, c.OUTBOUND_FUNCTION))
    assert ("sqs:ChangeMessageVisibility", f"queue:{access.OUTBOUND}") in used
    assert ("dynamodb:DeleteItem", "table") in used
    assert ("dynamodb:Query", f"table/index/{c.QUEUE_INDEX}") in used


def automated_tasks(o: Outbound, now: int) -> None:
    """The tasks: an acknowledgement (queue position, SLA calendar) sent, one held in a crisis (its
    item in the same transaction), and a nudge."""
    aws = o.deployed.aws
    with o.recorder.paused():
        profile = profile_from_document(
            PAGE,
            {
                "acknowledgement": {
                    "enabled": True,
                    "queue_position": True,
                    "text": "#{queue_position}, {expected_reply}",
                }
            },
            base=BrandProfile.default(PAGE, "Acme"),
        )
        ProfileStore(aws.table_name, client=aws.dynamodb).save_profile(profile, profile_audit(now))
    o.ingest(messenger("psid-ack", "m_in7", now))
    acknowledged = o.case_of("psid-ack")
    calls_before = len(o.transport.requests)
    task(o, CaseTask(TaskKind.ACKNOWLEDGE, acknowledged.case_id))
    o.transport.script(meta_sent("m_ack6", "psid-ack"))
    assert o.run_batch() == Batch(1, [])

    with o.recorder.paused():
        crisis = declare({"name": "Storm"}, crisis_id="01JGZ8Q5K2M3N4P5Q6R7S8T9V0", by="root", now_ms=now)
        stored = StoredConfig(ConfigKind.CRISIS, crisis.crisis_id, 1, crisis_config(crisis), now, "root")
        ConfigStore(aws.table_name, client=aws.dynamodb).save_config(stored, profile_audit(now, crisis.crisis_id))
    o.ingest(messenger("psid-held", "m_in8", now))
    task(o, CaseTask(TaskKind.ACKNOWLEDGE, o.case_of("psid-held").case_id))
    assert o.run_batch() == Batch(1, [])

    task(o, CaseTask(TaskKind.NUDGE, acknowledged.case_id, {"pending_since": str(now)}))
    assert o.run_batch() == Batch(1, [])  # skipped: the case is open, not waiting for the customer
    assert [r.json()["recipient"]["id"] for r in o.transport.requests[calls_before:]] == ["psid-ack"]


def task(o: Outbound, case_task: CaseTask) -> None:
    o.sqs.send_message(QueueUrl=o.deployed.outbound_url, MessageBody=case_task.to_json())


def profile_audit(now: int, subject: str | None = None) -> AuditRecord:
    action = AuditAction.CRISIS_DECLARED if subject else AuditAction.PROFILE_UPDATED
    return AuditRecord(
        new_ulid(now), now, "root", "admin", action, account_id=None if subject else PAGE, subject=subject
    )


def department_requests(o: Outbound) -> list[str]:
    """Three escalations of one case (open, answered, cancelled) and the billing department, stored as
    the agent API stores them; the machine's request for each (what it puts on the queue)."""
    from socialcare.aws.config_store import ConfigStore
    from socialcare.aws.escalation_store import department_escalation_item
    from socialcare.model.department_escalation import (
        AnswerVia,
        DepartmentAnswer,
        DepartmentEscalation,
        EscalationStatus,
    )
    from socialcare.model.tasks import CaseTask, TaskKind

    aws, case_id = o.deployed.aws, "01JGZ8Q5K2M3N4P5Q6R7S8TDEP"
    answer = DepartmentAnswer("Refunded", "felix", "Felix", AnswerVia.API, T0)
    tasks = []
    with o.recorder.paused():
        ConfigStore(aws.table_name, client=aws.dynamodb).save_config(
            StoredConfig(ConfigKind.DEPARTMENT, "billing", 1, {**BILLING, "id": "billing"}, T0, "root"),
            AuditRecord("01JGZ8Q5K2M3N4P5Q6R7S8TAUD", T0, "root", "admin", AuditAction.DEPARTMENT_UPDATED, subject="department/billing"),
        )  # fmt: skip
        for n, (status, answered) in enumerate(
            ((EscalationStatus.OPEN, None), (EscalationStatus.ANSWERED, answer), (EscalationStatus.CANCELLED, None))
        ):
            escalation = DepartmentEscalation(
                f"{case_id}-01JGZ8Q5K2M3N4P5Q6R7S8E00{n}", case_id, "billing", "Billing", "Charged twice?", "alice",
                "Alice", T0, "alice", "care", 86_400, 2, status=status, answer=answered,
            )  # fmt: skip
            aws.dynamodb.put_item(TableName=aws.table_name, Item=department_escalation_item(escalation))
            args = {"escalation_id": escalation.escalation_id, "task_token": f"token-{n}", "round": "0"}
            tasks.append(CaseTask(TaskKind.DEPARTMENT_REQUEST, case_id, args).to_json())
    return tasks


# ---- the agent API -------------------------------------------------------------------------------------


class RecordedApi:
    """The agent API's Chalice app through its test client; each request's AWS calls recorded."""

    def __init__(self, recorder: CallRecorder) -> None:
        self._client = ApiClient(app_module().app)
        self._recorder = recorder
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.routes: set[tuple[str, str]] = set()

    def call(self, method: str, path: str, expected: int, **kw: Any) -> Any:
        with self._recorder.recording():
            answer = self._client.call(method, path, **kw)
        self.calls.extend(self._recorder.take())
        assert answer.status == expected, (method, path, answer.status, answer.body)
        self.routes.add((method, _template_of(path)))
        return answer.json


def wiring_module() -> Any:
    from chalicelib import wiring

    return wiring


@pytest.fixture
def agent_api(deployed: Deployed, recorder: CallRecorder) -> Iterator[RecordedApi]:
    app_module()
    from chalicelib import wiring

    wiring.wire()  # the first request builds the service from the environment, as in Lambda
    yield RecordedApi(recorder)
    wiring.wire()


@pytest.mark.filterwarnings("ignore:CognitoUserPoolAuthorizer is not a supported in local mode")
def test_agent_api_role_grants_exactly_the_calls_its_routes_make(
    prod: Synthesised, deployed: Deployed, agent_api: RecordedApi, recorder: CallRecorder
) -> None:
    aws = deployed.aws
    store = CaseStore(aws.table_name, client=aws.dynamodb)
    ingestor = Ingestor(store, clock=system_clock, settings=IngestSettings(account_teams={BILLING_ACCOUNT: "billing"}))
    clock = ManualClock(system_clock())  # customers write now: the API's replies are within their windows
    world = World(aws, clock, aws.table_name, deployed.outbound_url, deployed.api_secret_arn, store, ingestor)

    def writes(channel: Channel, user: str) -> Case:
        with recorder.paused():
            return world.writes(channel, user)

    api: Callable[..., Any] = agent_api.call
    admin = {"agent": "root", "role": "admin"}
    lead = {"agent": "lena", "role": "lead"}

    assert api("GET", "/me", 200)["agent_id"] == "alice"
    assert api("PUT", "/accounts/page-1/profile", 200, body={"signature_style": "initials"}, **admin)
    assert api("GET", "/accounts/page-1/profile", 200, **admin)
    api("PUT", "/admin/sla/calendars/always", 200, body=ALWAYS, **admin)
    api("PUT", "/admin/sla/calendars/berlin-office", 200, body=BERLIN, headers={"If-Match": '"0"'}, **admin)
    api("PUT", "/admin/sla/policies", 200, body=POLICIES, **admin)
    assert api("GET", "/admin/sla/policies", 200, **lead)["version"] == 1
    assert len(api("GET", "/admin/sla/calendars", 200, **lead)["calendars"]) == 2
    assert api("GET", "/admin/sla/calendars/always", 200, **lead)["version"] == 1
    api("PUT", "/admin/departments/billing", 200, body=BILLING, **admin)
    assert api("GET", "/admin/departments/billing", 200, **lead)["version"] == 1
    assert len(api("GET", "/admin/departments", 200, **lead)["departments"]) == 1

    first, second = writes(Channel.MESSENGER, "psid-1"), writes(Channel.MESSENGER, "psid-2")
    page_one = api("GET", "/queues/care/cases?limit=1", 200)
    page_two = api("GET", f"/queues/care/cases?limit=1&cursor={page_one['next_cursor']}", 200)
    listed = [c["case_id"] for c in page_one["cases"] + page_two["cases"]]
    assert sorted(listed) == sorted([first.case_id, second.case_id])
    for query in ("status=open", "channel=messenger", "priority=normal", "assignee=none"):  # each its own index
        assert len(api("GET", f"/queues/care/cases?{query}", 200)["cases"]) == 2

    case = f"/cases/{first.case_id}"
    assert api("GET", f"{case}/sla", 200)["policy"]["name"] == "default"
    api("POST", f"{case}/claim", 200)
    assert [c["case_id"] for c in api("GET", "/me/cases", 200)["cases"]] == [first.case_id]
    assert api("GET", case, 200)["case"]["case_id"] == first.case_id
    assert api("GET", f"{case}/thread?limit=1", 200)["thread"]
    api("GET", f"{case}/canned-responses", 200)
    key = {"Idempotency-Key": "reply-1"}
    api("POST", f"{case}/replies", 202, body={"text": "On it"}, headers=key)
    api("POST", f"{case}/replies", 202, body={"text": "On it"}, headers=key)  # a retry: stored once, queued again
    api("POST", f"{case}/notes", 200, body={"text": "Courier says delivered"})
    # Handed to billing: the machine starts; the round's token stored (as the outbound function does),
    # so resolving the case below ends the wait (SendTaskFailure).
    asked = api("POST", f"{case}/escalations", 202, body={"department": "billing", "question": "Charged twice?"})
    with recorder.paused():
        store_round_token(deployed, asked["escalation"])
    assert len(api("GET", f"{case}/escalations", 200)["escalations"]) == 1
    api("POST", f"{case}/assign", 200, body={"agent_id": "bob"}, **lead)
    api("POST", f"{case}/release", 200, **lead)
    api("POST", f"{case}/status", 200, body={"status": "resolved", "reason": "answered"})
    resolved = api("GET", "/queues/care/cases?status=resolved", 200)["cases"]
    assert [c["case_id"] for c in resolved] == [first.case_id]
    audit = api("GET", f"{case}/audit?limit=2", 200)
    assert api("GET", f"{case}/audit?limit=2&cursor={audit['next_cursor']}", 200)["records"]

    comment = writes(Channel.X_POST, "x-joe")
    api("POST", f"/cases/{comment.case_id}/move-to-private", 202, body={})

    rules = {"rules": [{"name": "all", "when": {}, "then": {"tags": ["seen"]}}]}
    api("PUT", "/admin/routing/rules", 200, body=rules, headers={"If-Match": '"0"'}, **admin)
    assert api("GET", "/admin/routing/rules", 200, **lead)["version"] == 1
    troll = f"/cases/{second.case_id}"
    api("POST", f"{troll}/route", 200, body={"team": "care", "priority": "high", "reason": "loud"}, **lead)
    api("POST", f"{troll}/mark", 200, body={"kind": "troll", "reason": "insults"}, **lead)
    assert [c["case_id"] for c in api("GET", "/queues/care/review", 200)["cases"]] == [second.case_id]
    api("POST", f"{troll}/restore", 200, body={}, **lead)
    posted = writes(Channel.FACEBOOK_COMMENT, "fb-1")
    [entry] = api("GET", f"/cases/{posted.case_id}", 200)["thread"]
    api("POST", f"/cases/{posted.case_id}/entries/{entry['entry_id'].replace('#', '%23')}/hide", 202, body={})
    # The department answers: its member through the API (SendTaskSuccess with the round's token); the
    # link shows the question, then refuses a second answer.
    asked = api("POST", f"/cases/{second.case_id}/escalations", 202, body={"department": "billing", "question": "?"})
    escalation_id = asked["escalation"]["escalation_id"]
    with recorder.paused():
        store_round_token(deployed, asked["escalation"])
    link = AnswerLinks(link_key(CURSOR_KEY.encode())).issue(escalation_id, 0, system_clock() + 3_600_000)
    assert api("GET", f"/answers/{link}", 200, agent=None)["question"] == "?"
    felix = {"agent": "felix", "teams": ("billing",)}
    assert api("POST", f"/escalations/{escalation_id}/answer", 200, body={"text": "Refunded"}, **felix)["escalation"]
    api("POST", f"/answers/{link}", 410, body={"text": "Again"}, agent=None)

    crisis = api("POST", "/admin/crises", 201, body={"name": "Storm", "scope": {"accounts": ["page-1"]}}, **admin)
    path = f"/admin/crises/{crisis['crisis_id']}"
    assert api("GET", "/admin/crises", 200, **admin)["crises"]
    api("GET", path, 200, **admin)
    held = [writes(Channel.MESSENGER, "psid-3"), writes(Channel.MESSENGER, "psid-4")]
    refs = []
    with recorder.paused():
        for case_held in held:
            entry, item = held_acknowledgement(case_held, crisis["crisis_id"], now_ms=clock.now_ms)
            AutomatedStore(aws.table_name, client=aws.dynamodb).add_automated(entry, item)
            refs.append({"case_id": case_held.case_id, "entry_id": entry.entry_id})
    assert len(api("GET", f"{path}/held", 200, **admin)["messages"]) == 2
    api("POST", f"{path}/end", 200, body={}, **admin)
    api("POST", f"{path}/held/release", 200, body=refs[0], **admin)
    api("POST", f"{path}/held/discard", 200, body=refs[1], **admin)
    # The reports: a day not stored is computed (its facts, the SLA, the queues, its messages); a
    # stored day is read from S3. The reports are stored as the report function stores them.
    today = datetime.fromtimestamp(system_clock() / 1000, UTC).date()
    with recorder.paused():
        DayFactRecorder(ReportStore(aws.table_name, client=aws.dynamodb)).case_changed(None, comment)
    assert api("GET", f"/reports/accountability?date={today}", 200, **lead)["totals"]["new_cases"] == 1
    with recorder.paused():
        wiring_module().report_service().store_day(today)
    assert api("GET", f"/reports/marketing?date={today}", 200, **admin)["volume"]["new_cases"] == 1

    with recorder.paused():
        queued = world.outbound_messages()
    replies = [first.case_id, first.case_id]  # the reply and its retry's second queueing (sent once)
    assert [m["case_id"] for m in queued] == [*replies, comment.case_id, posted.case_id, held[0].case_id]
    assert agent_api.routes == set(spec_routes()), "every route of the API is exercised"

    [api_function] = prod.properties(SAM_FUNCTION).values()
    role = ref_id(api_function["Role"])
    assert role
    assert deployed.labels.used(agent_api.calls) | {LIST_FOR_MISSING_REPORTS} == granted(prod, role)


def store_round_token(deployed: Deployed, escalation: dict[str, Any]) -> None:
    from socialcare.aws.escalation_store import EscalationStore

    aws = deployed.aws
    stored = EscalationStore(aws.table_name, client=aws.dynamodb).store_task_token(
        escalation["case_id"], escalation["escalation_id"], token="round-0-token", round=0, at_ms=system_clock()
    )
    assert stored


# ---- clock ---------------------------------------------------------------------------------------------


def test_clock_role_grants_exactly_the_calls_the_clock_function_makes(
    prod: Synthesised, aws_env: None, recorder: CallRecorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The clock function on records of a new case (a clock starts), a retried record (a duplicate
    start: ExecutionAlreadyExists is success), an answer (nothing starts; its event metrics read the SLA
    configuration, once: it is cached) and the agent setting the case to wait for the customer (a
    follow-up starts)."""
    with clock_world() as world:
        follow_ups = follow_up_machine(world.dynamodb, world.sfn, world.sqs)
        monkeypatch.setenv(c.ENV_CASE_CLOCK_ARN, world.machine_arn)
        monkeypatch.setenv(c.ENV_FOLLOW_UP_ARN, follow_ups.machine_arn)
        monkeypatch.setenv(c.ENV_TABLE_NAME, TABLE)
        handler = load_function(c.CLOCK_FUNCTION)
        handler.wire(clients={"stepfunctions": world.sfn, "dynamodb": world.dynamodb})
        try:
            start = T0
            case = with_escalation(new_case("C-PRIV", start), due_in(start, warn_s=60, breach_s=120, second_s=None))
            answered = apply_outbound(case, timestamp_ms=start + 30_000, now_ms=start + 30_000)
            pending = with_follow_up(
                answered,
                replace(answered.with_status(CaseStatus.PENDING_CUSTOMER, start), version=answered.version + 1),
                # From now (not the case's T0): the machine started must sleep through this test, or moto's
                # engine would read the case (its own GetItem) while the clock's calls are recorded.
                schedule_in(system_clock(), nudge_s=3600, resolve_s=7200),
            )
            records = [
                stream_record("1", "INSERT", None, case),
                stream_record("2", "MODIFY", case, answered),
                stream_record("3", "MODIFY", answered, pending),
            ]
            recorder.take()
            with recorder.recording():
                handler.handler({"Records": records}, LambdaContext("socialcare-clock-prod"))
                handler.handler({"Records": records[::-1]}, LambdaContext("socialcare-clock-prod"))
            calls = recorder.take()
        finally:
            reset_function(handler)
            follow_ups.stop_running()
        actions = [action for action, _ in calls]
        assert actions.count("dynamodb:Query") == 1  # the SLA configuration, cached after
        assert set(actions) == {"states:StartExecution", "dynamodb:Query", "dynamodb:UpdateItem"}
        labels = MotoLabels(
            table=TABLE,
            bucket="-",
            queues={},
            secrets={},
            state_machines={world.machine_arn: "case_clock", follow_ups.machine_arn: "follow_up"},
        )
        assert labels.used(calls) == function_grants(prod, function_logical_id(prod, c.CLOCK_FUNCTION))


def test_clock_sweep_role_grants_exactly_the_calls_the_sweep_makes(
    prod: Synthesised, aws_env: None, recorder: CallRecorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The clock sweep on its schedule over a clock that came due (read, started, the watermarks stored)
    and again (nothing new: the watermarks only)."""
    with clock_world() as world:
        monkeypatch.setenv(c.ENV_CASE_CLOCK_ARN, world.machine_arn)
        monkeypatch.setenv(c.ENV_TABLE_NAME, TABLE)
        start = system_clock()
        world.write(
            None,
            new_case("C-SWEPT", start),
            # Due to start (its warning is within the lead), and the machine sleeps through the test.
            due_in(start, warn_s=300, breach_s=600, second_s=None),
            clock=ManualClock(start - 3_600_000),
        )
        handler = load_function(c.CLOCK_SWEEP_FUNCTION)
        handler.wire(clients={"stepfunctions": world.sfn, "dynamodb": world.dynamodb})
        try:
            recorder.take()
            with recorder.recording():
                first = handler.handler({}, LambdaContext("socialcare-clock_sweep-prod", timeout_s=50))
                handler.handler({}, LambdaContext("socialcare-clock_sweep-prod", timeout_s=50))
            calls = recorder.take()
        finally:
            reset_function(handler)
        assert first["started"] == 1
        keys_touched = {str((params.get("Key") or params.get("Item") or {})["PK"]["S"]) for action, params in calls
                        if action in ("dynamodb:GetItem", "dynamodb:PutItem")}  # fmt: skip
        assert keys_touched == {"SWEEP#clocks"}, "the watermark item only (the role's LeadingKeys condition)"
        labels = MotoLabels(
            table=TABLE, bucket="-", queues={}, secrets={}, state_machines={world.machine_arn: "case_clock"}
        )
        assert labels.used(calls) == function_grants(prod, function_logical_id(prod, c.CLOCK_SWEEP_FUNCTION))


# ---- surge check -----------------------------------------------------------------------------------------


def test_surge_role_grants_exactly_the_calls_the_surge_check_makes(
    prod: Synthesised, deployed: Deployed, recorder: CallRecorder
) -> None:
    """The surge check on its schedule: a run that raises a surge (the counters' Queries, the claim, the
    event), a run that finds it raised already (a refused claim), and a run whose event the bus
    refuses (the claim released, the run failed for the scheduler to retry)."""
    aws = deployed.aws
    clock = ManualClock(T0)
    counters = SurgeStore(aws.table_name, client=aws.dynamodb)

    def spike(topic: str) -> None:
        tally = BucketTally(bucket_of(clock()))
        for i in range(30):
            tally.add((SurgeKey(SurgeScope.TOPIC, topic),), f"case-{topic}-{i}")
        counters.add(tally, shard=5)

    surge = load_function(c.SURGE_FUNCTION)
    surge.wire(clock=clock)  # its own clients, as in AWS
    events = boto3.client("events")
    calls: list[tuple[str, dict[str, Any]]] = []
    try:
        spike("outage")
        for _ in range(2):
            with recorder.recording():
                surge.handler({}, LambdaContext("socialcare-surge-prod"))
            calls += recorder.take()
        clock.advance(minutes=10)
        spike("refund")
        events.delete_event_bus(Name=BUS)  # the bus refuses: the claim is released
        with recorder.recording(), pytest.raises(Exception, match="refund"):
            surge.handler({}, LambdaContext("socialcare-surge-prod"))
        calls += recorder.take()
    finally:
        reset_function(surge)
    assert {action for action, _ in calls} == {
        "dynamodb:Query",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "events:PutEvents",
    }
    assert deployed.labels.used(calls) == function_grants(prod, function_logical_id(prod, c.SURGE_FUNCTION))


# ---- metrics ---------------------------------------------------------------------------------------------


def test_metrics_role_grants_exactly_the_calls_the_publisher_makes(
    prod: Synthesised, deployed: Deployed, recorder: CallRecorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The metrics function on a table with open and closed cases, as its schedule invokes it."""
    aws = deployed.aws
    for case in (new_case("C-OPEN", T0), replace(new_case("C-DONE", T0), status=CaseStatus.CLOSED, closed_at_ms=T0)):
        aws.dynamodb.put_item(TableName=aws.table_name, Item=case_item(case))
    monkeypatch.setenv(c.ENV_DEFAULT_TEAM, "care")
    monkeypatch.setenv(c.ENV_ACCOUNT_TEAMS, json.dumps({BILLING_ACCOUNT: "billing"}))
    handler = load_function(c.METRICS_FUNCTION)
    reset_function(handler)
    try:
        with recorder.recording():
            summary = handler.handler({"source": "aws.scheduler"}, LambdaContext("socialcare-metrics-prod"))
        calls = recorder.take()
    finally:
        reset_function(handler)
    assert summary["open_cases"] == 1
    assert sorted({action for action, _ in calls}) == ["cloudwatch:PutMetricData", "dynamodb:Query"]
    assert deployed.labels.used(calls) == function_grants(prod, function_logical_id(prod, c.METRICS_FUNCTION))


# ---- report ---------------------------------------------------------------------------------------------


def test_report_role_grants_exactly_the_calls_the_report_function_makes(
    prod: Synthesised, deployed: Deployed, recorder: CallRecorder
) -> None:
    """The daily run over a day with a case that wrote in: its facts, the SLA configuration, the care
    queue and the customer's messages read; the four report objects stored."""
    aws = deployed.aws
    store = CaseStore(aws.table_name, client=aws.dynamodb)
    Ingestor(store, clock=system_clock).ingest_event(messenger_event(PAGE, "psid-report", "m_report", system_clock()))
    written = store.current_case(PAGE, ["psid-report"]).case
    assert written is not None
    DayFactRecorder(ReportStore(aws.table_name, client=aws.dynamodb)).case_changed(None, written)
    handler = load_function(c.REPORT_FUNCTION)
    reset_function(handler)
    try:
        with recorder.recording():
            result = handler.handler({}, LambdaContext("socialcare-report-prod"))
            today = datetime.fromtimestamp(system_clock() / 1000, UTC).date().isoformat()
            handler.handler({"date": today}, LambdaContext("socialcare-report-prod"))
        calls = recorder.take()
    finally:
        reset_function(handler)
    assert len(result["stored"][0]["keys"]) == 4
    used = deployed.labels.used(calls)
    assert ("dynamodb:Query", f"table/index/{c.QUEUE_INDEX}") in used
    assert used == function_grants(prod, function_logical_id(prod, c.REPORT_FUNCTION))
