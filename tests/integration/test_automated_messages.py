"""Automated messages end to end on moto, through the real ingest and outbound handlers and the agent
API: a new DM is acknowledged in its channel (the platform sandbox records the call), once however
often the task is delivered; spam, sensitive and public cases get nothing; a crisis holds the
acknowledgement until a person releases it (sent) or discards it (never sent)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from socialcare import constants as c
from socialcare.aws.case_store import CaseStore
from socialcare.aws.delivery_queue import DeliveryQueue
from socialcare.clock import system_clock
from socialcare.model.accounts import brand_accounts_setting
from socialcare.model.case import Case
from socialcare.model.envelope import DeliveryEnvelope
from socialcare.model.events import Channel
from socialcare.model.tasks import CaseTask, TaskKind
from socialcare_local.emulator.functions import load_function, reset_function
from socialcare_local.emulator.pollers import PollerSettings, QueuePoller
from socialcare_local.sandbox import payloads as p
from socialcare_local.sandbox.reply_api import RecordedCall, ReplyApi

from tests.agent_api_support import ApiClient, World, app_module, configured_wiring, make_world, world_clients
from tests.conftest import AwsResources
from tests.integration.outbound_rig import CONFIG, PAGE, start_reply_api

pytestmark = [
    pytest.mark.integration,
    pytest.mark.filterwarnings("ignore:CognitoUserPoolAuthorizer is not a supported in local mode"),
]

ADMIN: dict[str, Any] = {"agent": "root", "role": "admin"}
AGENT: dict[str, Any] = {"agent": "alice", "role": "agent"}


@dataclass
class Pipeline:
    world: World
    reply_api: ReplyApi
    ingest: QueuePoller
    outbound: QueuePoller
    api: ApiClient
    store: CaseStore

    @property
    def aws(self) -> AwsResources:
        return self.world.aws  # type: ignore[no-any-return]

    def writes(self, psid: str, text: str = "Hi, my order #A-1042 arrived broken") -> Case:
        """The customer writes on Messenger now: the delivery goes through ingest, then the outbound function."""
        ts = system_clock()
        body = p.encode_meta(
            p.meta_delivery("page", [p.meta_entry(PAGE, [p.messenger_message(PAGE, psid, f"m_{psid}_{ts}", text, ts)])])
        )
        return self._delivered("meta", body, psid)

    def comments(self, user: str, text: str = "Third email about my refund. Anyone there?") -> Case:
        ts = system_clock() // 1000
        change = p.facebook_comment(PAGE, f"{PAGE}_900", f"{PAGE}_900_{ts}", user, "Priya Shah", text, ts)
        return self._delivered("meta", p.encode_meta(p.meta_delivery("page", [p.meta_entry(PAGE, [change])])), user)

    def _delivered(self, platform: str, body: bytes, user: str) -> Case:
        self.reply_api.observe(platform, body)  # the platform knows the customer wrote: its window is open
        envelope = DeliveryEnvelope(f"d{time.time_ns()}", platform, system_clock(), "raw/none", body=body.decode())
        DeliveryQueue(self.aws.queue_url, client=self.aws.sqs).send(envelope)
        drain(self.ingest)
        drain(self.outbound)
        case = self.store.current_case(PAGE, [user]).case
        assert case is not None
        return case

    def task_again(self, case: Case) -> None:
        """SQS delivers the acknowledge task once more."""
        body = CaseTask(TaskKind.ACKNOWLEDGE, case.case_id).to_json()
        self.aws.sqs.send_message(QueueUrl=self.world.queue_url, MessageBody=body)
        drain(self.outbound)

    def calls_to(self, psid: str) -> list[RecordedCall]:
        return [call for call in self.reply_api.calls(endpoint="messenger") if call.recipient == psid]

    def case_view(self, case: Case) -> dict[str, Any]:
        answer = self.api.get(f"/cases/{case.case_id}", **ADMIN)
        assert answer.status == 200, answer.json
        return answer.json  # type: ignore[no-any-return]


def drain(poller: QueuePoller) -> None:
    for _ in range(20):
        messages = poller.sqs.receive_message(
            QueueUrl=poller.queue_url, MaxNumberOfMessages=10, VisibilityTimeout=30, MessageSystemAttributeNames=["All"]
        ).get("Messages", [])
        if not messages:
            return
        poller.process(messages)
    raise AssertionError("the queue did not drain")


@pytest.fixture
def pipeline(aws: AwsResources, monkeypatch: pytest.MonkeyPatch) -> Iterator[Pipeline]:
    world = make_world(aws)
    reply_api = start_reply_api(aws, monkeypatch, world.queue_url)
    a = CONFIG.accounts
    for name, value in {
        c.ENV_RAW_BUCKET: aws.bucket,
        c.ENV_RAW_STREAMS: aws.raw_streams_setting,
        c.ENV_INBOUND_QUEUE_URL: aws.queue_url,
        c.ENV_BRAND_ACCOUNTS: brand_accounts_setting(meta=(a.facebook_page_id, a.whatsapp_phone_number_id)),
        "POWERTOOLS_LOG_LEVEL": "WARNING",
    }.items():
        monkeypatch.setenv(name, value)
    handlers = [load_function(c.INGEST_FUNCTION), load_function(c.OUTBOUND_FUNCTION)]
    for handler in handlers:
        reset_function(handler)
    pollers = [
        QueuePoller(
            sqs=aws.sqs,
            queue_url=url,
            queue_arn=f"arn:aws:sqs:us-east-1:123456789012:{name}",
            handler=handler.handler,
            function_name=f"socialcare-test-{name}",
            settings=PollerSettings(retry_delay_s=0),
        )
        for name, url, handler in (("ingest", aws.queue_url, handlers[0]), ("outbound", world.queue_url, handlers[1]))
    ]
    wiring = configured_wiring(world, monkeypatch)
    wiring.wire(clients=world_clients(world), clock=system_clock)
    api = ApiClient(app_module().app)
    try:
        yield Pipeline(world, reply_api, pollers[0], pollers[1], api, CaseStore(aws.table_name, client=aws.dynamodb))
    finally:
        wiring.wire()
        for handler in handlers:
            reset_function(handler)
        reply_api.stop()


def enable_acknowledgement(pipeline: Pipeline, **settings: Any) -> None:
    body = {"acknowledgement": {"enabled": True, **settings}}
    answer = pipeline.api.put(f"/accounts/{PAGE}/profile", body, **ADMIN)
    assert answer.status == 200, answer.json


def test_a_new_dm_is_acknowledged_once_in_its_channel_and_still_awaits_an_answer(pipeline: Pipeline) -> None:
    enable_acknowledgement(pipeline)
    case = pipeline.writes("psid-maya")

    [call] = pipeline.calls_to("psid-maya")
    assert call.accepted
    assert call.text is not None
    assert call.text.startswith("Thanks for your message! Our team is here now. You can expect our reply today by ")
    pipeline.task_again(case)
    pipeline.task_again(case)
    assert len(pipeline.calls_to("psid-maya")) == 1

    view = pipeline.case_view(case)
    assert view["case"]["first_response_at"] is None
    assert view["case"]["awaiting_reply_since"] is not None
    assert view["case"]["last_outbound_at"] is None
    [ack] = [e for e in view["thread"] if e["kind"] == "outbound"]
    assert (ack["author"], ack["details"]["automated"], ack["delivery_state"]) == (
        "automation",
        "acknowledgement",
        "sent",
    )
    assert ack["platform_message_id"] == call.message_id


def test_an_acknowledgement_sent_is_counted_once_in_the_outbound_functions_metrics(
    pipeline: Pipeline, capsys: pytest.CaptureFixture[str]
) -> None:
    enable_acknowledgement(pipeline)
    capsys.readouterr()
    case = pipeline.writes("psid-ines")
    pipeline.task_again(case)  # a redelivered task: nothing sent, nothing counted

    def counted() -> list[float]:
        docs = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith('{"_aws"')]
        return [v for d in docs if d.get("service") == "outbound" for v in d.get("AutoAcknowledgements", [])]

    assert counted() == [1.0]


def test_no_acknowledgement_while_the_brand_has_not_enabled_it(pipeline: Pipeline) -> None:
    pipeline.writes("psid-quiet")
    assert pipeline.calls_to("psid-quiet") == []


@pytest.mark.parametrize(
    ("user", "text", "why"),
    [
        ("psid-spam", "WIN NOW http://a.xyz http://b.xyz http://c.xyz", "spam"),
        ("psid-grief", "My father passed away last week and I need to close his account", "sensitive"),
    ],
)
def test_spam_and_sensitive_cases_get_no_acknowledgement(pipeline: Pipeline, user: str, text: str, why: str) -> None:
    enable_acknowledgement(pipeline)
    case = pipeline.writes(user, text)
    assert (case.mark is not None) if why == "spam" else bool(case.sensitive)
    assert pipeline.calls_to(user) == []
    assert [e for e in pipeline.store.thread(case.case_id) if e.kind.value == "outbound"] == []


def test_a_public_comment_gets_no_acknowledgement(pipeline: Pipeline) -> None:
    enable_acknowledgement(pipeline)
    case = pipeline.comments("fb-priya")
    assert case.channels == frozenset({Channel.FACEBOOK_COMMENT})
    assert pipeline.reply_api.calls() == []


def test_in_a_crisis_the_acknowledgement_is_held_until_a_person_releases_or_discards_it(pipeline: Pipeline) -> None:
    enable_acknowledgement(pipeline)
    declared = pipeline.api.post("/admin/crises", {"name": "Warehouse fire", "scope": {"accounts": [PAGE]}}, **ADMIN)
    assert declared.status == 201, declared.json
    crisis = declared.json["crisis_id"]

    kept, dropped = pipeline.writes("psid-held-1"), pipeline.writes("psid-held-2")
    assert pipeline.reply_api.calls() == []
    assert pipeline.case_view(kept)["case"]["crises"] == [
        {"crisis_id": crisis, "name": "Warehouse fire", "ends_at": None}
    ]
    held = pipeline.api.get(f"/admin/crises/{crisis}/held", **ADMIN).json["messages"]
    assert sorted(h["case_id"] for h in held) == sorted([kept.case_id, dropped.case_id])
    assert {h["state"] for h in held} == {"held"}
    by_case = {h["case_id"]: {"case_id": h["case_id"], "entry_id": h["entry_id"]} for h in held}

    # the crisis ends by hand: what it held still waits for a person
    assert pipeline.api.post(f"/admin/crises/{crisis}/end", {}, **ADMIN).status == 200
    released = pipeline.api.post(f"/admin/crises/{crisis}/held/release", by_case[kept.case_id], **ADMIN)
    assert released.status == 200, released.json
    assert released.json["message"]["state"] == "released"
    discarded = pipeline.api.post(f"/admin/crises/{crisis}/held/discard", by_case[dropped.case_id], **ADMIN)
    assert (discarded.status, discarded.json["queued"]) == (200, False)
    drain(pipeline.outbound)

    [call] = pipeline.calls_to("psid-held-1")
    assert call.text is not None
    assert call.text.startswith("Thanks for your message!")
    assert pipeline.calls_to("psid-held-2") == []
    states = {
        view["case"]["case_id"]: [e["delivery_state"] for e in view["thread"] if e["kind"] == "outbound"]
        for view in (pipeline.case_view(kept), pipeline.case_view(dropped))
    }
    assert states == {kept.case_id: ["sent"], dropped.case_id: ["discarded"]}
    again = pipeline.api.post(f"/admin/crises/{crisis}/held/release", by_case[dropped.case_id], **ADMIN)
    assert (again.status, again.code) == (409, "held_message_decided")
    pipeline.task_again(dropped)
    assert pipeline.calls_to("psid-held-2") == []
