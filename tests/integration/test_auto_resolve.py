"""The follow-up's ``auto_resolve`` task through the real outbound handler on moto: the case the
customer left unanswered is resolved, with a status-change entry by the automation and an audit
record; a case the customer answered (or an agent moved on) is left alone, saying why; a task
delivered again is harmless. Last, the whole loop: the real ASL file hands the task to the queue and
the handler resolves the case.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from types import ModuleType
from typing import Any

import pytest
from socialcare import constants as c
from socialcare.aws.agent_store import AgentStore
from socialcare.aws.case_store import CaseStore
from socialcare.clock import system_clock
from socialcare.ingest.service import Ingestor
from socialcare.model.audit import AuditAction
from socialcare.model.case import Case, CaseStatus, EntryKind
from socialcare.model.events import Channel
from socialcare.model.tasks import CaseTask, TaskKind
from socialcare.rules.follow_up import with_follow_up
from socialcare_local.emulator.functions import load_function, reset_function
from socialcare_local.emulator.pollers import PollerSettings, QueuePoller

from tests.follow_up_support import FollowUpWorld, follow_up_machine, schedule_in
from tests.state_machine_support import TABLE, engine_on
from tests.unit.test_cases import message

pytestmark = pytest.mark.integration


@dataclass
class Resolving:
    """The outbound function on the outbound queue, over the case table, and a customer writing."""

    dynamodb: Any
    sqs: Any
    table: str
    queue_url: str
    handler: ModuleType
    poller: QueuePoller

    @property
    def store(self) -> AgentStore:
        return AgentStore(self.table, client=self.dynamodb)

    def customer_writes(self, mid: str, user: str = "joe") -> Case:
        cases = CaseStore(self.table, client=self.dynamodb)
        event = message(system_clock(), Channel.X_DM, mid)
        event = replace(event, customer=replace(event.customer, user_id=user)) if event.customer else event
        Ingestor(cases, clock=system_clock).ingest_event(event)
        case = cases.current_case("brand", [user]).case
        assert case is not None
        return case

    def agent_waits_for_the_customer(self, case: Case, *, resolve_s: float = 120) -> Case:
        """The agent answered and set the case to pending_customer (the case item and the customer's
        current-case copy, as the agent API writes them): a pending cycle began now."""
        now = system_clock()
        answered = replace(case, awaiting_reply_since_ms=None, response_due_at_ms=None, escalation=None)
        pending = replace(answered.with_status(CaseStatus.PENDING_CUSTOMER, now), version=case.version + 1)
        written = with_follow_up(case, pending, schedule_in(now, nudge_s=None, resolve_s=resolve_s))
        CaseStore(self.table, client=self.dynamodb).save_case(case, written)
        return written

    def queue_task(self, case: Case, pending_since: str) -> None:
        task = CaseTask(TaskKind.AUTO_RESOLVE, case.case_id, {"pending_since": pending_since})
        self.sqs.send_message(QueueUrl=self.queue_url, MessageBody=task.to_json())

    def run_batch(self) -> int:
        """One event source mapping round; how many records the function reported failed."""
        messages = self.sqs.receive_message(
            QueueUrl=self.queue_url, MaxNumberOfMessages=10, MessageSystemAttributeNames=["All"]
        ).get("Messages", [])
        failed_before = self.poller.failed_records
        self.poller.process(messages)
        return self.poller.failed_records - failed_before


def resolving(
    dynamodb: Any, sqs: Any, secrets: Any, table: str, monkeypatch: pytest.MonkeyPatch, *, queue_url: str | None = None
) -> Resolving:
    """The outbound function with its environment, on these clients (inside moto), reading ``queue_url``
    (a new queue when ``None``)."""
    queue_url = queue_url or sqs.create_queue(QueueName="outbound-tasks")["QueueUrl"]
    secret = secrets.create_secret(Name="socialcare/platforms-outbound", SecretString="{}")["ARN"]
    for name, value in {
        c.ENV_TABLE_NAME: table,
        c.ENV_OUTBOUND_QUEUE_URL: queue_url,
        c.ENV_PLATFORM_SECRET_ARN: secret,
    }.items():
        monkeypatch.setenv(name, value)
    handler = load_function(c.OUTBOUND_FUNCTION)
    handler.wire(clients={"dynamodb": dynamodb, "sqs": sqs})
    poller = QueuePoller(
        sqs=sqs,
        queue_url=queue_url,
        queue_arn="arn:aws:sqs:us-east-1:123456789012:outbound-tasks",
        handler=handler.handler,
        function_name="socialcare-test-outbound",
        settings=PollerSettings(batch_size=c.OUTBOUND_BATCH_SIZE, keep_failed_visibility=True),
    )
    return Resolving(dynamodb, sqs, table, queue_url, handler, poller)


@pytest.fixture
def rig(aws: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Resolving]:
    opened = resolving(aws.dynamodb, aws.sqs, aws.secrets, aws.table_name, monkeypatch)
    try:
        yield opened
    finally:
        reset_function(opened.handler)


def test_a_case_still_waiting_for_the_customer_is_resolved_by_the_automation(
    rig: Resolving, caplog: pytest.LogCaptureFixture
) -> None:
    pending = rig.agent_waits_for_the_customer(rig.customer_writes("m1"))
    assert pending.follow_up is not None
    rig.queue_task(pending, pending.follow_up.pending_since)
    with caplog.at_level(logging.INFO):
        assert rig.run_batch() == 0

    case = rig.store.get_case(pending.case_id)
    assert (case.status, case.follow_up, case.version) == (CaseStatus.RESOLVED, None, pending.version + 1)
    assert case.resolved_at_ms is not None
    [entry] = [
        e for e in rig.store.thread_page(case.case_id, limit=100, start=None).items if e.kind is EntryKind.STATUS_CHANGE
    ]
    assert (entry.author, entry.text) == ("automation:follow-up", "no answer from the customer")
    assert entry.extra == {"from": "pending_customer", "to": "resolved", "agent_name": "Follow-up"}
    [record] = rig.store.audit_trail(case.case_id, limit=10, start=None).items
    assert (record.action, record.actor, record.actor_role) == (
        AuditAction.STATUS_CHANGED,
        "automation:follow-up",
        "system",
    )
    assert record.details == {"from": "pending_customer", "to": "resolved", "reason": "no answer from the customer"}
    assert record.case_version == case.version
    [done] = [r for r in caplog.records if r.getMessage() == "task done"]
    assert (done.task, done.outcome) == ("auto_resolve", "resolved")  # type: ignore[attr-defined]


def test_a_task_delivered_again_finds_the_case_resolved_and_changes_nothing(rig: Resolving) -> None:
    pending = rig.agent_waits_for_the_customer(rig.customer_writes("m1"))
    assert pending.follow_up is not None
    rig.queue_task(pending, pending.follow_up.pending_since)
    rig.queue_task(pending, pending.follow_up.pending_since)  # SQS delivers at least once
    assert rig.run_batch() == 0
    case = rig.store.get_case(pending.case_id)
    assert case.status is CaseStatus.RESOLVED
    assert case.version == pending.version + 1, "resolved once"
    assert len(rig.store.audit_trail(case.case_id, limit=10, start=None).items) == 1


def test_a_customer_who_answered_keeps_their_case_open(rig: Resolving, caplog: pytest.LogCaptureFixture) -> None:
    pending = rig.agent_waits_for_the_customer(rig.customer_writes("m1"))
    assert pending.follow_up is not None
    answered = rig.customer_writes("m2")  # ingest: pending_customer -> open
    assert answered.status is CaseStatus.OPEN
    rig.queue_task(pending, pending.follow_up.pending_since)
    with caplog.at_level(logging.INFO):
        assert rig.run_batch() == 0
    assert rig.store.get_case(pending.case_id) == answered
    assert rig.store.audit_trail(pending.case_id, limit=10, start=None).items == []
    [done] = [r for r in caplog.records if r.getMessage() == "task done"]
    assert done.outcome == "skipped: the case is open"  # type: ignore[attr-defined]


def test_a_task_of_an_earlier_cycle_or_an_unknown_case_is_skipped(rig: Resolving) -> None:
    first = rig.agent_waits_for_the_customer(rig.customer_writes("m1"))
    assert first.follow_up is not None
    reopened = rig.customer_writes("m2")
    time.sleep(0.002)
    again = rig.agent_waits_for_the_customer(reopened)
    rig.queue_task(first, first.follow_up.pending_since)  # the first cycle's task, late
    rig.queue_task(replace(first, case_id="01JGZ8Q5K2M3N4P5Q6R7S8T9V0"), first.follow_up.pending_since)
    assert rig.run_batch() == 0
    assert rig.store.get_case(first.case_id) == again


def test_a_task_without_pending_since_fails_for_the_dead_letter_queue(rig: Resolving) -> None:
    case = rig.customer_writes("m1")
    rig.sqs.send_message(
        QueueUrl=rig.queue_url, MessageBody=json.dumps({"v": 1, "task": "auto_resolve", "case_id": case.case_id})
    )
    assert rig.run_batch() == 1
    assert rig.store.get_case(case.case_id) == case


def test_the_machine_hands_the_task_to_the_handler_which_resolves_the_case(
    aws_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    import boto3

    with engine_on() as aws:
        world: FollowUpWorld = follow_up_machine(aws.dynamodb, aws.sfn, aws.sqs)
        secrets = boto3.client("secretsmanager", region_name="us-east-1")
        # The function reads the queue the machine sends its tasks to.
        rig = resolving(aws.dynamodb, aws.sqs, secrets, TABLE, monkeypatch, queue_url=world.outbound_url)
        try:
            case = rig.customer_writes("m1")
            pending = rig.agent_waits_for_the_customer(case, resolve_s=0.3)
            assert world.on_stream(case, pending) is not None  # the clock function, on the stream
            assert world.finish(case.case_id, 1)["status"] == "SUCCEEDED"
            assert rig.run_batch() == 0
            resolved = rig.store.get_case(case.case_id)
            assert (resolved.status, resolved.version) == (CaseStatus.RESOLVED, pending.version + 1)
        finally:
            world.stop_running()
            reset_function(rig.handler)
