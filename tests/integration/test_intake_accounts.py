"""Issue 12, intake: only the brand's own accounts become cases (item 1), the brand is never its own
customer (item 6), a wait for a message is no function error (item 7), and each function's metric
lines are its own (item 10). Through the deployed webhook and ingest handlers, on moto."""

from __future__ import annotations

import json
import logging
import threading
from typing import Any

import pytest
from socialcare import constants as c
from socialcare.aws.case_store import CaseStore

from tests.conftest import AwsResources
from tests.integration.lambda_harness import BRAND_ACCOUNTS, Lambdas
from tests.platform_fixtures import load
from tests.table_support import unmatched

pytestmark = pytest.mark.integration

PAGE = "104729835600142"
IG_ACCOUNT = "17841405822304914"
PHONE_ID = "106540352242922"
X_USER = "2244994945"
OTHER = "998877665544332"  # an account of someone else's


def kept(lambdas: Lambdas, platform: str, day: str) -> list[dict[str, Any]]:
    return unmatched(lambdas.aws.dynamodb, lambdas.aws.table_name, platform, day)


def emf_lines(text: str) -> list[dict[str, Any]]:
    """Every EMF line printed; each line must be one valid JSON object."""
    docs = [json.loads(line) for line in text.splitlines() if line.startswith("{") and '"_aws"' in line]
    for line in text.splitlines():
        if '"_aws"' in line:
            json.loads(line)  # raises on two objects run together
    return docs


# --- item 1: only the brand's accounts --------------------------------------------------------
def _foreign_page() -> tuple[str, dict[str, Any]]:
    doc = load("meta", "messenger_message")
    doc["entry"][0]["id"] = OTHER
    doc["entry"][0]["messaging"][0]["recipient"]["id"] = OTHER
    return "meta", doc


def _foreign_instagram() -> tuple[str, dict[str, Any]]:
    doc = load("meta", "instagram_dm")
    doc["entry"][0]["id"] = OTHER
    doc["entry"][0]["messaging"][0]["recipient"]["id"] = OTHER
    return "meta", doc


def _foreign_whatsapp() -> tuple[str, dict[str, Any]]:
    doc = load("meta", "whatsapp_text")
    doc["entry"][0]["changes"][0]["value"]["metadata"]["phone_number_id"] = OTHER
    return "meta", doc


def _foreign_x() -> tuple[str, dict[str, Any]]:
    doc = load("x", "dm")
    doc["for_user_id"] = OTHER
    doc["direct_message_events"][0]["message_create"]["target"]["recipient_id"] = OTHER
    return "x", doc


@pytest.mark.parametrize("delivery", [_foreign_page, _foreign_instagram, _foreign_whatsapp, _foreign_x])
def test_a_delivery_for_an_account_the_brand_does_not_have_stores_no_case(
    lambdas: Lambdas, delivery: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    platform, doc = delivery()
    assert lambdas.accept(platform, doc)["events"] == 1
    lambdas.drain()
    assert lambdas.items("case") == []
    assert lambdas.stored_message_ids() == []
    rows = [r for day in ("2016-03-23", "2025-06-08", "2025-06-09") for r in kept(lambdas, platform, day)]
    assert [(r["reason"], r["account_id"]) for r in rows] == [("foreign_account", OTHER)]
    assert rows[0]["raw_key"]  # the delivery itself stays in the raw store
    lines = emf_lines(capsys.readouterr().out)
    [counted] = [d for d in lines if "EventsForeignAccount" in d]
    assert (counted["platform"], counted["service"], counted["EventsForeignAccount"]) == (platform, "ingest", [1.0])


def test_a_telegram_delivery_for_a_bot_the_brand_does_not_have_stores_no_case(
    lambdas: Lambdas, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The platform secret knows the bot (its token verified the delivery), the brand's accounts do not."""
    monkeypatch.setenv(c.ENV_BRAND_ACCOUNTS, json.dumps({**json.loads(BRAND_ACCOUNTS), "telegram": []}))
    lambdas.reset()  # the function reads its configuration again
    lambdas.accept("telegram", load("telegram", "message"))
    lambdas.drain()
    assert lambdas.items("case") == []
    [row] = list(lambdas.items("unmatched"))
    assert (row["reason"]["S"], row["account_id"]["S"]) == ("foreign_account", "7001")


def test_a_dashboard_test_ping_stores_no_case(lambdas: Lambdas) -> None:
    lambdas.accept("meta", load("meta", "messenger_test_ping"))
    lambdas.accept("meta", load("meta", "whatsapp_test_ping"))
    lambdas.drain()
    assert lambdas.items("case") == []
    assert sorted(r["reason"]["S"] for r in lambdas.items("unmatched")) == ["test_ping", "test_ping"]


def test_a_mixed_batch_keeps_the_brands_entry_and_sets_the_other_aside(lambdas: Lambdas, store: CaseStore) -> None:
    ours = load("meta", "messenger_message")["entry"][0]
    _, other = _foreign_page()
    other["entry"][0]["messaging"][0]["message"]["mid"] = "m_someone_elses"
    lambdas.accept("meta", {"object": "page", "entry": [other["entry"][0], ours]})
    lambdas.drain()
    [case] = store.cases_of_customer(PAGE, "6254148874621037")
    assert case.message_count == 1
    assert store.cases_of_customer(OTHER, "6254148874621037") == []
    assert lambdas.stored_message_ids() == [ours["messaging"][0]["message"]["mid"]]
    [row] = kept(lambdas, "meta", "2016-03-23")
    assert (row["reason"], row["message_id"]) == ("foreign_account", "m_someone_elses")


# --- item 6: the brand is never its own customer -------------------------------------------------
def test_a_message_from_the_brands_own_account_is_never_a_customer_case(lambdas: Lambdas) -> None:
    doc = load("meta", "messenger_message")
    messaging = doc["entry"][0]["messaging"][0]
    messaging["sender"], messaging["recipient"] = {"id": PAGE}, {"id": "6254148874621037"}  # no is_echo flag
    x = load("x", "dm")
    x["direct_message_events"][0]["message_create"]["sender_id"] = X_USER
    x["direct_message_events"][0]["message_create"]["target"]["recipient_id"] = "1486322731"
    lambdas.accept("meta", doc)
    lambdas.accept("x", x)
    lambdas.drain()
    customers = {i["customer_id"]["S"] for i in lambdas.items("case")}
    assert customers.isdisjoint({PAGE, X_USER, IG_ACCOUNT, PHONE_ID})


# --- item 7: waiting for a message is not an error ---------------------------------------------------
def test_an_edit_before_its_message_is_retried_quietly_then_kept_raw(
    lambdas: Lambdas, aws: AwsResources, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    lambdas.accept("meta", load("meta", "messenger_edit"))
    caplog.set_level(logging.INFO)
    for attempt in (1, 2, 3):
        [message] = lambdas.receive()
        assert message["Attributes"]["ApproximateReceiveCount"] == str(attempt)
        result = lambdas.invoke_ingest([message])
        if attempt < 3:
            assert result == {"batchItemFailures": [{"itemIdentifier": message["MessageId"]}]}
            assert lambdas.receive() == []  # hidden for the retry delay...
            aws.sqs.change_message_visibility(  # ...which the test lets pass at once
                QueueUrl=aws.queue_url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
            )
            assert kept(lambdas, "meta", "2025-06-08") == []
        else:
            assert result == {"batchItemFailures": []}  # done with: the poller deletes it
    [row] = list(lambdas.items("unmatched"))
    assert (row["reason"]["S"], row["event_kind"]["S"]) == ("target_never_arrived", "edit")
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    out = capsys.readouterr().out
    assert '"level":"ERROR"' not in out.replace(" ", "")
    assert "Traceback" not in out
    assert lambdas.dlq_messages() == []


def test_a_batch_that_only_waits_is_no_failed_invocation(lambdas: Lambdas) -> None:
    lambdas.accept("meta", load("meta", "messenger_edit"))
    lambdas.accept("meta", load("meta", "whatsapp_edit"))
    lambdas.drain()
    assert lambdas.poller.function_errors == 0
    assert sorted(r["reason"]["S"] for r in lambdas.items("unmatched")) == ["target_never_arrived"] * 2


# --- item 10: each function's metrics are its own ---------------------------------------------------
def test_webhook_and_ingest_in_one_process_write_their_own_valid_metric_lines(
    lambdas: Lambdas, capsys: pytest.CaptureFixture[str]
) -> None:
    for n in range(6):
        doc = load("meta", "messenger_message")
        doc["entry"][0]["messaging"][0]["message"]["mid"] = f"m_first_{n}"
        lambdas.accept("meta", doc)
    capsys.readouterr()

    def post_more() -> None:
        for n in range(12):
            doc = load("x", "dm")
            doc["direct_message_events"][0]["id"] = f"19322{n:014d}"
            lambdas.accept("x", doc)

    poster = threading.Thread(target=post_more)
    poster.start()
    lambdas.drain(batch_size=1)
    poster.join()
    lambdas.drain(batch_size=1)
    docs = emf_lines(capsys.readouterr().out)
    webhook = [d for d in docs if d["service"] == "webhook"]
    ingest = [d for d in docs if d["service"] == "ingest"]
    assert len(webhook) == 12
    assert len(ingest) >= 6
    assert len(webhook) + len(ingest) == len(docs)
    for doc in webhook:
        names = {m["Name"] for d in doc["_aws"]["CloudWatchMetrics"] for m in d["Metrics"]}
        assert names == {"DeliveriesAccepted", "EventsReceived"}
        assert doc["platform"] == "x"
        assert doc["DeliveriesAccepted"] == [1.0]
    for doc in ingest:
        names = {m["Name"] for d in doc["_aws"]["CloudWatchMetrics"] for m in d["Metrics"]}
        assert names
        assert all(n.startswith("Events") for n in names)
        assert "platform" not in doc
        assert "DeliveriesAccepted" not in doc
    assert sum(d.get("Events_stored", [0])[0] for d in ingest) == 18
