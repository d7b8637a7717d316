"""The whole inbound path on moto: webhook handler -> SQS (real messages) -> ingest handler (Lambda SQS
events, partial batch failures) -> DynamoDB, checking that every message is stored exactly once.

Covered at the ingest-service level in ``test_ingest_store.py`` already: threading rules, edits and
statuses ordering, the racing writers. Here: the same guarantees end to end, through the deployed
handlers, the queue's redelivery and the DLQ.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import replace
from typing import Any

import pytest
from socialcare import constants as c
from socialcare.aws.case_store import CaseStore
from socialcare.model.case import EntryKind
from socialcare.model.envelope import DeliveryEnvelope
from socialcare.model.events import Channel

from tests.conftest import AwsResources
from tests.integration.lambda_harness import FlakyDynamoDB, Lambdas
from tests.platform_fixtures import encode, load, page_message_entry, wire_body
from tests.table_support import unmatched

pytestmark = pytest.mark.integration

PAGE = "104729835600142"
PHONE_ID = "106540352242922"
T0 = 1749420000000


def messenger_entry(psid: str, mid: str, text: str, ts: int) -> dict[str, Any]:
    return page_message_entry(PAGE, psid, mid, text, ts)


def messenger_batch(*entries: dict[str, Any]) -> dict[str, Any]:
    return {"object": "page", "entry": list(entries)}


def assert_consistent(lambdas: Lambdas, store: CaseStore) -> None:
    """Every message stored once; every case counts exactly the messages its thread holds."""
    ids = lambdas.stored_message_ids()
    assert len(ids) == len(set(ids)), [i for i, n in Counter(ids).items() if n > 1]
    for item in lambdas.items("case"):
        case_id = item["case_id"]["S"]
        messages = [e for e in store.thread(case_id) if e.kind in (EntryKind.INBOUND, EntryKind.OUTBOUND)]
        assert int(item["message_count"]["N"]) == len(messages), case_id


# --- duplicates, order, batches ---------------------------------------------------------------
def test_the_same_delivery_twice_is_stored_once(lambdas: Lambdas, store: CaseStore) -> None:
    body = wire_body("meta", "whatsapp_text")
    first, second = lambdas.post("meta", body), lambdas.post("meta", body)
    assert first.status == second.status == 200
    assert first.json()["delivery_id"] == second.json()["delivery_id"]
    assert lambdas.raw_keys() == []  # the raw bytes travel in the messages until ingest archives them
    messages = lambdas.receive()
    assert len(messages) == 2  # both acknowledged deliveries were queued
    lambdas.poller.process(messages)
    assert lambdas.raw_object(DeliveryEnvelope.from_json(messages[0]["Body"]).raw_key) == body
    assert len(lambdas.raw_keys()) == 1  # one batch, one Firehose call: both copies in one archive object
    assert lambdas.stored_message_ids() == ["wamid.HBgLMTY1MDU1NTEyMzQVAgASGBQzQTNBRjUxNUI1QUVCNkY0RkE2MgA="]
    [case] = store.cases_of_customer(PHONE_ID, "16505551234")
    assert case.message_count == 1
    # The customer's other id holds the same case (its copy, with the customer's recent posts besides).
    copy = store.current_case(PHONE_ID, ["US.13491208655302741918"]).case
    assert copy is not None
    assert replace(copy, recent_posts=()) == case
    assert lambdas.dlq_messages() == []


def test_reordered_deliveries_are_threaded_in_platform_order(lambdas: Lambdas, store: CaseStore) -> None:
    psid = "6254148874621037"
    m1 = messenger_entry(psid, "m_order_1", "Hallo 👋", T0 + 1_000)
    m2 = messenger_entry(psid, "m_order_2", "Paket fehlt", T0 + 2_000)
    m3 = messenger_entry(psid, "m_order_3", "Bitte um Antwort 😟", T0 + 3_000)
    edit = {
        "id": PAGE,
        "time": T0 + 4_000,
        "messaging": [
            {
                "sender": {"id": psid},
                "recipient": {"id": PAGE},
                "timestamp": T0 + 4_000,
                "message_edit": {"mid": "m_order_2", "text": "Paket Nr. 4411 fehlt", "num_edit": 1},
            }
        ],
    }
    # Newest first, and the edit before the message it edits.
    for entry in (m3, edit, m1, m2):
        lambdas.accept("meta", messenger_batch(entry))
    lambdas.drain()
    [case] = store.cases_of_customer(PAGE, psid)
    thread = store.thread(case.case_id)
    assert [(e.platform_message_id, e.text) for e in thread] == [
        ("m_order_1", "Hallo 👋"),
        ("m_order_2", "Paket Nr. 4411 fehlt"),
        ("m_order_3", "Bitte um Antwort 😟"),
    ]
    assert thread[1].edits == ((T0 + 4_000, "Paket fehlt"),)
    assert (case.message_count, case.awaiting_reply_since_ms, case.last_inbound_at_ms) == (3, T0 + 1_000, T0 + 3_000)
    # The edit could not apply before its message existed: its record was retried, not dropped.
    assert len(lambdas.batches) >= 2
    assert lambdas.dlq_messages() == []


def test_a_thousand_entry_meta_batch_is_stored_exactly_once(lambdas: Lambdas, store: CaseStore) -> None:
    customers = [f"70923845610{n:05d}" for n in range(40)]
    entries = [
        messenger_entry(customers[i % 40], f"m_bulk_{i:04d}", f"Bestellung nº{i} – wo bleibt sie? 😟🇩🇪", T0 + i)
        for i in range(1000)
    ]
    body = encode("meta", messenger_batch(*entries))
    assert len(body) > c.MAX_INLINE_DELIVERY_BYTES  # so it also travels by reference to S3
    receipt = lambdas.accept("meta", body)
    assert receipt["events"] == 1000
    lambdas.drain()
    assert lambdas.stored_message_ids() == sorted(f"m_bulk_{i:04d}" for i in range(1000))
    for psid in customers:
        [case] = store.cases_of_customer(PAGE, psid)
        assert case.message_count == 25
    assert_consistent(lambdas, store)


def test_a_replayed_and_rebatched_delivery_adds_nothing(lambdas: Lambdas, store: CaseStore) -> None:
    """Meta retries may batch the same updates differently; WhatsApp sends duplicates to every app."""
    entries = [
        messenger_entry(f"psid-{i % 6}", f"m_replay_{i:02d}", f"message {i} — ¿dónde está? 📦", T0 + i * 10)
        for i in range(48)
    ]
    lambdas.accept("meta", messenger_batch(*entries))
    lambdas.drain()
    stored = lambdas.stored_message_ids()
    cases = sorted((i["case_id"]["S"], i["message_count"]["N"]) for i in lambdas.items("case"))
    # The identical bytes again, then the same entries in three other batches, newest first.
    lambdas.accept("meta", messenger_batch(*entries))
    backwards = entries[::-1]
    for part in (backwards[:16], backwards[16:32], backwards[32:]):
        lambdas.accept("meta", messenger_batch(*part))
    lambdas.drain()
    assert lambdas.stored_message_ids() == stored
    assert sorted((i["case_id"]["S"], i["message_count"]["N"]) for i in lambdas.items("case")) == cases
    assert len(cases) == 6
    assert_consistent(lambdas, store)


def test_a_delivery_over_the_inline_limit_travels_via_s3(lambdas: Lambdas, store: CaseStore) -> None:
    """Long visitor posts (Facebook allows ~63,000 characters) make a delivery too big for SQS."""
    text = ("Grüße aus Köln 😟 — " * 3200)[:60_000]
    posts = load("meta", "facebook_visitor_post")
    change = posts["entry"][0]["changes"][0]
    posts["entry"][0]["changes"] = [
        {"field": "feed", "value": {**change["value"], "post_id": f"{PAGE}_11030000000{n:05d}", "message": text}}
        for n in range(3)
    ]
    body = encode("meta", posts)
    assert len(body) > c.MAX_INLINE_DELIVERY_BYTES
    lambdas.accept("meta", body)
    [message] = lambdas.receive()
    envelope = DeliveryEnvelope.from_json(message["Body"])
    assert envelope.body is None
    assert lambdas.raw_object(envelope.raw_key) == body
    assert len(message["Body"]) < 1024
    lambdas.poller.process([message])
    [case] = store.cases_of_customer(PAGE, "100055512345678")
    thread = store.thread(case.case_id)
    assert [e.text for e in thread] == [text] * 3
    assert case.message_count == 3


def test_a_mixed_meta_batch_puts_every_kind_where_it_belongs(lambdas: Lambdas, store: CaseStore) -> None:
    """Messages, the Page's echo, a read receipt, a delivery receipt of a message sent before this
    system existed, a reaction and a comment, in three entries of one POST."""
    assert lambdas.accept("meta", load("meta", "batch_mixed"))["events"] == 8
    lambdas.drain()
    assert lambdas.stored_message_ids() == [
        "1102938475610293_872634510300000",
        "m_batch_0001_Zm9vYmFy",
        "m_batch_0002_ZWNobw",
        "m_batch_0003_YmF6",
    ]
    [first] = store.cases_of_customer(PAGE, "6254148874621037")
    thread = store.thread(first.case_id)
    assert [(e.kind, e.text) for e in thread] == [
        (EntryKind.INBOUND, "Erste Nachricht – Grüße 👋"),
        (EntryKind.OUTBOUND, "Hallo! Wie können wir helfen?"),
    ]
    assert (first.first_response_at_ms, first.customer_read_up_to_ms) == (1749420000200, 1749420000200)
    [second] = store.cases_of_customer(PAGE, "7092384561029384")
    assert [e.text for e in store.thread(second.case_id)] == ["Où est ma commande ? 🇫🇷"]
    [commenter] = store.cases_of_customer(PAGE, "100089234756123")
    assert commenter.channels == {Channel.FACEBOOK_COMMENT}
    # The receipt for, and the reaction to, a message this system never stored waited for it (the
    # delivery was retried), then were kept raw.
    kept = unmatched(lambdas.aws.dynamodb, lambdas.aws.table_name, "meta", "2025-06-08")
    assert sorted((row["event_kind"], row["reason"], row["message_id"]) for row in kept) == [
        ("reaction", "target_never_arrived", "m_batch_0000_b2xk"),
        ("status", "target_never_arrived", "m_batch_0000_b2xk"),
    ]
    assert len(lambdas.batches) == 3  # tried three times (IngestSettings.unmatched_after_attempts)
    assert lambdas.dlq_messages() == []
    assert_consistent(lambdas, store)


# --- failures ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "bad_body",
    [
        "not a delivery envelope",
        DeliveryEnvelope(
            delivery_id="0" * 32,
            platform="meta",
            received_at_ms=T0,
            raw_key="raw/meta/2025/06/08/deleted-by-someone.json",  # neither inline nor in S3
        ).to_json(),
    ],
)
def test_partial_batch_failure_reports_only_the_record_that_failed(
    lambdas: Lambdas, store: CaseStore, aws: AwsResources, bad_body: str
) -> None:
    lambdas.accept("meta", load("meta", "whatsapp_text"))
    aws.sqs.send_message(QueueUrl=aws.queue_url, MessageBody=bad_body)
    lambdas.accept("x", load("x", "dm"))
    lambdas.accept("telegram", load("telegram", "message"))
    messages = lambdas.receive()
    assert len(messages) == 4
    [bad] = [m for m in messages if m["Body"] == bad_body]
    result = lambdas.invoke_ingest(messages)
    assert result == {"batchItemFailures": [{"itemIdentifier": bad["MessageId"]}]}
    assert lambdas.stored_message_ids() == sorted(
        ["wamid.HBgLMTY1MDU1NTEyMzQVAgASGBQzQTNBRjUxNUI1QUVCNkY0RkE2MgA=", "1932200000000000001", "3527065:41"]
    )


def test_throttling_mid_batch_then_the_retry_stores_everything_once(
    lambdas: Lambdas, store: CaseStore, aws: AwsResources
) -> None:
    flaky = FlakyDynamoDB(aws.dynamodb, fail_calls={3})
    lambdas.ingest.wire(clients={"dynamodb": flaky, "s3": aws.s3, "sqs": aws.sqs})
    batch = messenger_batch(
        *(messenger_entry(f"psid-{i % 2}", f"m_throttle_{i}", f"Nachricht {i} 🙂", T0 + i) for i in range(5))
    )
    lambdas.accept("meta", batch)
    lambdas.accept("x", load("x", "dm"))
    lambdas.accept("telegram", load("telegram", "message"))
    lambdas.drain()
    assert flaky.throttled == 1
    assert lambdas.poller.failed_records == 1  # only the delivery that was cut short was retried
    assert lambdas.stored_message_ids() == sorted(
        [*(f"m_throttle_{i}" for i in range(5)), "1932200000000000001", "3527065:41"]
    )
    assert [case.message_count for case in store.cases_of_customer(PAGE, "psid-0")] == [3]
    assert [case.message_count for case in store.cases_of_customer(PAGE, "psid-1")] == [2]
    assert_consistent(lambdas, store)


def test_a_crashed_invocation_is_retried_whole_and_stores_everything_once(
    lambdas: Lambdas, store: CaseStore, aws: AwsResources
) -> None:
    """Every record of the batch fails: the handler raises and Lambda retries the whole batch."""
    flaky = FlakyDynamoDB(aws.dynamodb, fail_calls={1, 2})
    lambdas.ingest.wire(clients={"dynamodb": flaky, "s3": aws.s3, "sqs": aws.sqs})
    lambdas.accept("x", load("x", "dm"))
    lambdas.accept("telegram", load("telegram", "message"))
    lambdas.drain()
    assert lambdas.poller.function_errors == 1
    assert flaky.throttled == 2
    assert lambdas.stored_message_ids() == ["1932200000000000001", "3527065:41"]
    assert_consistent(lambdas, store)


def test_a_poison_message_ends_in_the_dlq_with_its_raw_payload(
    lambdas: Lambdas, store: CaseStore, aws: AwsResources
) -> None:
    poison_psid = "6666666666666666"
    flaky = FlakyDynamoDB(aws.dynamodb, fail_when=poison_psid)  # a key that never stops throttling
    lambdas.ingest.wire(clients={"dynamodb": flaky, "s3": aws.s3, "sqs": aws.sqs})
    poison = encode("meta", messenger_batch(messenger_entry(poison_psid, "m_poison", "Hilfe!!! 😡", T0)))
    lambdas.accept("meta", poison)
    lambdas.accept("x", load("x", "dm"))
    lambdas.drain()
    assert lambdas.stored_message_ids() == ["1932200000000000001"]
    assert flaky.throttled == c.INBOUND_MAX_RECEIVE_COUNT  # ingest tried it exactly maxReceiveCount times
    [dead] = lambdas.dlq_messages()
    envelope = DeliveryEnvelope.from_json(dead["Body"])
    assert envelope.body is not None
    assert envelope.body.encode("utf-8") == poison  # the exact signed bytes, ready to redrive
    assert lambdas.raw_object(envelope.raw_key) == poison
    assert lambdas.queue_depth() == 0


# --- the brand's public replies and what is kept raw ------------------------------------------
def test_the_pages_public_reply_to_a_comment_answers_that_customers_case(lambdas: Lambdas, store: CaseStore) -> None:
    lambdas.accept("meta", load("meta", "facebook_comment_add"))
    lambdas.drain()
    lambdas.accept("meta", load("meta", "facebook_comment_page_own"))
    lambdas.drain()
    [case] = store.cases_of_customer(PAGE, "100089234756123")
    thread = store.thread(case.case_id)
    assert [(e.kind, e.public) for e in thread] == [(EntryKind.INBOUND, True), (EntryKind.OUTBOUND, True)]
    assert thread[1].reply_to_id == thread[0].platform_message_id
    assert case.first_response_at_ms == 1749416620000
    assert case.awaiting_reply_since_ms is None


def test_unknown_kinds_are_kept_raw_where_an_operator_looks_for_them(lambdas: Lambdas, store: CaseStore) -> None:
    before = time.strftime("%Y-%m-%d", time.gmtime())
    # A reaction to a Page post is not modelled (Messenger, Instagram and WhatsApp reactions to
    # messages are: see test_intake_kinds.py): kept raw, with the adapter's reason.
    reaction = lambdas.accept("meta", load("meta", "facebook_reaction"))
    callback = lambdas.accept("telegram", load("telegram", "callback_query"))
    lambdas.drain()
    days = {before, time.strftime("%Y-%m-%d", time.gmtime())}
    [kept_reaction] = unmatched(lambdas.aws.dynamodb, lambdas.aws.table_name, "meta", "2025-06-08")
    assert (kept_reaction["event_kind"], kept_reaction["reason"]) == ("unknown", "not_modelled")
    assert json.loads(kept_reaction["raw"]) == load("meta", "facebook_reaction")["entry"][0]["changes"][0]
    assert kept_reaction["raw_key"].endswith(".json")
    assert reaction["events"] == callback["events"] == 1
    # A callback query carries no time of its own: it is filed under the day it was received.
    [kept_callback] = [
        row for day in days for row in unmatched(lambdas.aws.dynamodb, lambdas.aws.table_name, "telegram", day)
    ]
    assert kept_callback["raw_kind"] == "callback_query"
    assert json.loads(kept_callback["raw"]) == load("telegram", "callback_query")


def test_an_element_dynamodb_cannot_store_does_not_hold_up_its_batch(lambdas: Lambdas, store: CaseStore) -> None:
    huge = messenger_entry("psid-big", "m_too_big", "x" * 450_000, T0)  # over DynamoDB's 400 KB item limit
    long_id = messenger_entry("psid-odd", "m_" + "9" * 1500, "an id no platform issues", T0 + 1)
    good = [messenger_entry("psid-ok", f"m_ok_{i}", f"fine {i} ✅", T0 + 2 + i) for i in range(3)]
    lambdas.accept("meta", messenger_batch(huge, long_id, *good))
    lambdas.drain()
    assert lambdas.poller.failed_records == 0
    assert lambdas.stored_message_ids() == ["m_ok_0", "m_ok_1", "m_ok_2"]
    kept = {row["reason"]: row for row in unmatched(lambdas.aws.dynamodb, lambdas.aws.table_name, "meta", "2025-06-08")}
    assert set(kept) == {"unstorable", "unknown_kind"}
    assert kept["unstorable"]["message_id"] == "m_too_big"
    assert kept["unstorable"]["raw_key"] == lambdas.raw_keys()[0]  # the full text is in the raw delivery
    assert json.loads(kept["unknown_kind"]["raw"])["message"]["mid"] == "m_" + "9" * 1500
    assert lambdas.dlq_messages() == []
