"""Issue 12, intake items 2-5: how ingest treats the kinds the adapters produce — reactions,
identity changes, standby (handover) messages, referrals and events without a time of their own."""

from __future__ import annotations

import pytest
from socialcare.aws.case_store import CaseStore
from socialcare.model.case import EntryKind

from tests.integration.lambda_harness import Lambdas
from tests.platform_fixtures import load

pytestmark = pytest.mark.integration

PAGE = "104729835600142"
PHONE_ID = "106540352242922"
PSID = "6254148874621037"


def test_a_reaction_is_recorded_on_its_message_and_removed_without_touching_the_case(
    lambdas: Lambdas, store: CaseStore
) -> None:
    lambdas.accept("meta", load("meta", "messenger_message"))
    lambdas.accept("meta", load("meta", "messenger_echo"))
    lambdas.drain()
    [before] = store.cases_of_customer(PAGE, PSID)
    lambdas.accept("meta", load("meta", "messenger_reaction"))
    lambdas.drain()
    [after] = store.cases_of_customer(PAGE, PSID)
    assert after == before  # no reopen, no clock, no new version
    echo = next(e for e in store.thread(before.case_id) if e.platform_message_id == "m_echo_0T9sZGUe2tSZzUcsvtu")
    assert echo.reactions == {PSID: "❤️"}
    lambdas.accept("meta", load("meta", "messenger_unreact"))
    lambdas.drain()
    echo = next(e for e in store.thread(before.case_id) if e.platform_message_id == "m_echo_0T9sZGUe2tSZzUcsvtu")
    assert echo.reactions == {}
    assert store.cases_of_customer(PAGE, PSID) == [before]


def test_a_reaction_never_opens_a_case(lambdas: Lambdas) -> None:
    lambdas.accept("meta", load("meta", "whatsapp_reaction"))
    lambdas.drain()
    assert lambdas.items("case") == []
    [row] = lambdas.items("unmatched")
    assert row["reason"]["S"] == "target_never_arrived"


def test_a_whatsapp_reaction_and_its_removal(lambdas: Lambdas, store: CaseStore) -> None:
    text = load("meta", "whatsapp_text")
    mid = load("meta", "whatsapp_reaction")["entry"][0]["changes"][0]["value"]["messages"][0]["reaction"]["message_id"]
    text["entry"][0]["changes"][0]["value"]["messages"][0]["id"] = mid
    lambdas.accept("meta", text)
    lambdas.drain()
    lambdas.accept("meta", load("meta", "whatsapp_reaction"))
    lambdas.drain()
    [case] = store.cases_of_customer(PHONE_ID, "16505551234")
    [entry] = store.thread(case.case_id)
    assert entry.reactions == {"16505551234": "👍🏽"}
    lambdas.accept("meta", load("meta", "whatsapp_reaction_removed"))
    lambdas.drain()
    [entry] = store.thread(case.case_id)
    assert entry.reactions == {}


def test_a_number_change_joins_the_new_number_to_the_customers_case(lambdas: Lambdas, store: CaseStore) -> None:
    lambdas.accept("meta", load("meta", "whatsapp_text"))
    lambdas.drain()
    [case] = store.cases_of_customer(PHONE_ID, "16505551234")
    lambdas.accept("meta", load("meta", "whatsapp_system_number_change"))
    lambdas.drain()
    assert store.current_case(PHONE_ID, ["12195555358"]).case.case_id == case.case_id  # type: ignore[union-attr]
    system = [e for e in store.thread(case.case_id) if e.kind is EntryKind.SYSTEM]
    assert [(e.extra["change"], e.extra["new_ids"]) for e in system] == [
        ("identity", "12195555358, US.20000000000000000002")
    ]
    # The customer's next message, from the new number, joins the same case.
    later = load("meta", "whatsapp_text")
    value = later["entry"][0]["changes"][0]["value"]
    value["contacts"] = [{"profile": {"name": "Sheena Nelson"}, "wa_id": "12195555358"}]
    message = value["messages"][0]
    message.update({"from": "12195555358", "id": "wamid.NEWNUMBER0001", "timestamp": "1749417500"})
    message.pop("from_user_id", None)
    lambdas.accept("meta", later)
    lambdas.drain()
    assert [k.case_id for k in store.cases_of_customer(PHONE_ID, "16505551234")] == [case.case_id]
    assert store.get_case(case.case_id).message_count == 2
    assert store.cases_of_customer(PHONE_ID, "12195555358") == []


def test_an_identity_change_without_a_case_opens_none(lambdas: Lambdas) -> None:
    lambdas.accept("meta", load("meta", "whatsapp_system_user_id_change"))
    lambdas.drain()
    assert lambdas.items("case") == []
    assert [r["reason"]["S"] for r in lambdas.items("unmatched")] == ["identity_without_case"]


def test_a_standby_message_is_shown_but_starts_no_response_clock(lambdas: Lambdas, store: CaseStore) -> None:
    lambdas.accept("meta", load("meta", "messenger_standby_postback"))
    lambdas.drain()
    [case] = store.cases_of_customer(PAGE, PSID)
    [entry] = store.thread(case.case_id)
    assert entry.extra["standby"] == "true"
    assert entry.text
    assert (case.awaiting_reply_since_ms, case.response_due_at_ms) == (None, None)
    assert case.last_inbound_at_ms == 1749416681120  # the messaging window still counts it


def test_a_referral_is_kept_on_the_entry(lambdas: Lambdas, store: CaseStore) -> None:
    lambdas.accept("meta", load("meta", "whatsapp_referral"))
    lambdas.drain()
    [case] = store.cases_of_customer(PHONE_ID, "16505551234")
    [entry] = store.thread(case.case_id)
    assert entry.extra.get("referral_source") or entry.extra.get("referral_source_id")


def test_an_x_dm_without_a_time_takes_the_time_it_was_received(lambdas: Lambdas, store: CaseStore) -> None:
    receipt = lambdas.accept("x", load("x", "dm_without_timestamp"))
    lambdas.drain()
    [case] = [store.get_case(i["case_id"]["S"]) for i in lambdas.items("case")]
    [entry] = store.thread(case.case_id)
    assert entry.extra["timestamp_estimated"] == "true"
    assert entry.timestamp_ms > 1_700_000_000_000
    assert receipt["events"] == 1
