"""The whole inbound pipeline on the local stack, with the real functions, over real HTTP.

Deliveries are signed by the platform sandbox exactly as each platform signs them; the outcome is
read back the way an operator reads it, with keyed queries (``inspect_table.TableReader``).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from typing import Any

import pytest
from socialcare import constants as c
from socialcare.aws import keys
from socialcare.aws.raw_store import RawDeliveryStore
from socialcare.webhook.service import raw_key_for
from socialcare_local.emulator.inspect_table import CaseView, TableReader
from socialcare_local.sandbox import Sandbox
from socialcare_local.sandbox import payloads as p
from socialcare_local.sandbox.channels import BrandChannels, MessengerMessage
from socialcare_local.stack import LocalStack

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

T0 = 1_767_600_000_000  # 2026-01-05 08:00 UTC, in ms


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    with LocalStack() as running:
        yield running


@pytest.fixture(scope="module")
def sandbox(stack: LocalStack) -> Iterator[Sandbox]:
    sandbox = stack.sandbox()
    yield sandbox
    sandbox.close()


@pytest.fixture(scope="module")
def brand(sandbox: Sandbox) -> BrandChannels:
    return BrandChannels(sandbox)


@pytest.fixture(scope="module")
def reader(stack: LocalStack) -> TableReader:
    return TableReader(stack.client("dynamodb"), stack.resources.table_name)


def _accepted(response: Any) -> None:
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "accepted"


def _only_case(reader: TableReader, account_id: str, user_id: str) -> CaseView:
    cases = reader.customer_cases(account_id, [user_id])
    assert len(cases) == 1, [case.item for case in cases]
    return cases[0]


def _texts(case: CaseView) -> list[str]:
    return [entry.get("text", "") for entry in case.thread]


def _platform_message(stack: LocalStack, platform: str, account_id: str, message_id: str) -> dict[str, Any] | None:
    key = {
        c.PARTITION_KEY: {"S": keys.platform_message_pk(platform, account_id, message_id)},
        c.SORT_KEY: {"S": keys.PMSG_SK},
    }
    response = stack.client("dynamodb").get_item(TableName=stack.resources.table_name, Key=key, ConsistentRead=True)
    item: dict[str, Any] | None = response.get("Item")
    return item


def _raw_kept(stack: LocalStack, platform: str, body: bytes) -> bytes | None:
    """The delivery as replay reads it: its own object in the raw bucket, or its copy in the raw archive."""
    key = raw_key_for(platform, int(time.time() * 1000), hashlib.sha256(body).hexdigest())
    return RawDeliveryStore(stack.resources.raw_bucket, client=stack.client("s3")).find(key)


def _raw_object_exists(stack: LocalStack, platform: str, body: bytes) -> bool:
    return _raw_kept(stack, platform, body) is not None


# --- every channel ----------------------------------------------------------------------------
def test_a_message_on_every_channel_becomes_a_case_on_that_channel(
    stack: LocalStack, sandbox: Sandbox, brand: BrandChannels, reader: TableReader
) -> None:
    accounts = stack.config.accounts
    ana = p.x_user("2244994945", "ana_runs", "Ana Ruiz")
    dmitri = p.x_user("2244994946", "dmitri_k", "Dmitri K")
    lena = p.telegram_user(5511223344, "Lena", last_name="Vogel", username="lenav")
    sent = [
        ("messenger", accounts.facebook_page_id, "psid-e2e-ch1", "My jacket arrived torn"),
        ("facebook_comment", accounts.facebook_page_id, "fb-e2e-ch2", "Still waiting for my refund!"),
        ("instagram_dm", accounts.instagram_account_id, "igsid-e2e-ch3", "Do you ship to Norway? 🇳🇴"),
        ("instagram_comment", accounts.instagram_account_id, "ig-e2e-ch4", "Size guide is wrong on this one"),
        ("whatsapp", accounts.whatsapp_phone_number_id, "34600000005", "¿Dónde está mi pedido?"),
        ("x_post", accounts.x_user_id, ana["id_str"], "@AcmeCare my order never came"),
        ("x_dm", accounts.x_user_id, dmitri["id_str"], "Can I change my delivery address?"),
        ("telegram", accounts.telegram_bot_id, str(lena["id"]), "Hallo, meine Bestellung fehlt"),
    ]
    deliveries = [
        brand.messenger("psid-e2e-ch1", "m_ch1", sent[0][3], T0),
        brand.facebook_comment("fb-e2e-ch2", "Priya Shah", "1001_9001", sent[1][3], T0 + 1000),
        brand.instagram_dm("igsid-e2e-ch3", "ig_m_ch3", sent[2][3], T0 + 2000),
        brand.instagram_comment("ig-e2e-ch4", "tom.k", "17850000000000004", sent[3][3], T0 + 3000),
        brand.whatsapp("34600000005", "Sheena Nelson", "wamid.E2E_CH5", sent[4][3], T0 + 4000),
        brand.x_post(ana, "1880000000000000006", sent[5][3], T0 + 5000),
        brand.x_dm(dmitri, "1880000000000000007", sent[6][3], T0 + 6000),
        brand.telegram(lena, 800001, 41, sent[7][3], T0 + 7000),
    ]
    for delivery in deliveries:
        _accepted(sandbox.send(delivery))
    stack.wait_until_idle()

    case_ids = set()
    for channel, account_id, user_id, text in sent:
        assert account_id is not None
        case = _only_case(reader, account_id, user_id)
        case_ids.add(case.case_id)
        assert case.channels == [channel]
        assert case.status == "open"
        assert case.message_count == 1
        [entry] = case.thread
        assert (entry["kind"], entry["channel"], entry["text"]) == ("inbound", channel, text)
        assert case.item["response_due_at_ms"] > entry["timestamp_ms"]
    assert case_ids <= {item["case_id"] for item in reader.queue(c.DEFAULT_TEAM)}  # the care team's queue


def test_joe_asked_to_dm_after_a_public_complaint_has_one_case_on_two_channels(
    stack: LocalStack, sandbox: Sandbox, brand: BrandChannels, reader: TableReader
) -> None:
    joe = p.x_user("3300000000000000001", "joe_average", "Joe Average")
    complaint = brand.x_post(joe, "1890000000000000001", "@AcmeCare 3 weeks and no parcel. Useless.", T0)
    ask_to_dm = brand.x_brand_reply(
        "1890000000000000002",
        joe,
        "1890000000000000001",
        "@joe_average Sorry Joe! Please DM us your order number.",
        T0 + 60_000,
    )
    dm = brand.x_dm(joe, "1890000000000000003", "Order 4471, shipped 3 weeks ago", T0 + 120_000)
    for delivery in (complaint, ask_to_dm, dm):
        _accepted(sandbox.send(delivery))
        stack.wait_until_idle()

    case = _only_case(reader, stack.config.accounts.x_user_id or "", joe["id_str"])
    assert case.channels == ["x_dm", "x_post"]
    assert [(e["kind"], e["channel"]) for e in case.thread] == [
        ("inbound", "x_post"),
        ("outbound", "x_post"),
        ("inbound", "x_dm"),
    ]
    assert case.item["first_response_at_ms"] == T0 + 60_000
    assert case.item["awaiting_reply_since_ms"] == T0 + 120_000  # the DM waits for an answer
    assert case.priority == "high"  # it started as a public complaint


def test_a_whatsapp_delivery_sent_twice_is_stored_once(
    stack: LocalStack, sandbox: Sandbox, brand: BrandChannels, reader: TableReader
) -> None:
    delivery = brand.whatsapp("34600000099", "Marta Gil", "wamid.E2E_TWICE", "My card was charged twice", T0)
    _accepted(sandbox.send(delivery))
    _accepted(sandbox.resend(delivery))  # Meta retries with the very same bytes and signature
    stack.wait_until_idle()

    case = _only_case(reader, stack.config.accounts.whatsapp_phone_number_id or "", "34600000099")
    assert case.message_count == 1
    assert _texts(case) == ["My card was charged twice"]
    # Kept raw: ingest archived the bytes its message carried through the stack's Firehose stream.
    assert _raw_kept(stack, "meta", delivery.body) == delivery.body


def test_fifty_messenger_messages_in_one_post_are_fifty_messages(
    stack: LocalStack, sandbox: Sandbox, brand: BrandChannels, reader: TableReader
) -> None:
    customers = [f"psid-e2e-batch-{n}" for n in range(10)]
    messages = [
        MessengerMessage(customers[i % 10], f"m_e2e_batch_{i}", f"message {i}", T0 + i * 1000) for i in range(50)
    ]
    _accepted(sandbox.send(brand.messenger_batch(messages)))
    stack.wait_until_idle()

    page = stack.config.accounts.facebook_page_id or ""
    cases = {psid: _only_case(reader, page, psid) for psid in customers}
    assert sum(case.message_count for case in cases.values()) == 50
    for n, psid in enumerate(customers):
        assert _texts(cases[psid]) == [f"message {i}" for i in range(n, 50, 10)]


def test_deliveries_out_of_order_read_in_platform_order(
    stack: LocalStack, sandbox: Sandbox, brand: BrandChannels, reader: TableReader
) -> None:
    psid = "psid-e2e-order"
    deliveries = [brand.messenger(psid, f"m_e2e_order_{i}", f"part {i}", T0 + i * 5_000) for i in range(5)]
    for response in sandbox.send_all(deliveries, order="reversed"):
        _accepted(response)
    stack.wait_until_idle()

    case = _only_case(reader, stack.config.accounts.facebook_page_id or "", psid)
    assert _texts(case) == [f"part {i}" for i in range(5)]
    assert case.item["awaiting_reply_since_ms"] == T0  # the wait started with the first message sent
    assert case.item["last_inbound_at_ms"] == T0 + 20_000


# --- refusals ---------------------------------------------------------------------------------
def test_a_bad_signature_is_refused_and_nothing_is_stored(
    stack: LocalStack, sandbox: Sandbox, brand: BrandChannels, reader: TableReader
) -> None:
    page = stack.config.accounts.facebook_page_id or ""
    forged = brand.messenger("psid-e2e-forged", "m_e2e_forged", "Send me every customer's address", T0).tampered()
    response = sandbox.send(forged)
    assert response.status_code == 403
    assert response.json()["error"] == "signature_invalid"
    unsigned = brand.messenger("psid-e2e-forged", "m_e2e_unsigned", "no signature at all", T0).unsigned()
    assert sandbox.send(unsigned).status_code == 401
    stack.wait_until_idle()

    assert reader.customer_cases(page, ["psid-e2e-forged"]) == []
    assert _platform_message(stack, "meta", page, "m_e2e_forged") is None
    assert not _raw_object_exists(stack, "meta", forged.body)
    assert not _raw_object_exists(stack, "meta", unsigned.body)


def test_a_signed_delivery_that_is_not_json_is_a_400_with_a_reason(stack: LocalStack, sandbox: Sandbox) -> None:
    broken = sandbox.meta(b'{"object": "page", "entry": [')
    response = sandbox.send(broken)
    assert response.status_code == 400
    assert response.json()["message"]
    assert not _raw_object_exists(stack, "meta", broken.body)


def test_an_unknown_platform_is_a_404(stack: LocalStack, sandbox: Sandbox) -> None:
    response = sandbox.post_raw("myspace", b'{"hello": "world"}', {"content-type": "application/json"})
    assert response.status_code == 404
    assert response.json()["error"] == "unknown_platform"
    assert not _raw_object_exists(stack, "myspace", b'{"hello": "world"}')


def test_an_oversized_body_is_a_413(stack: LocalStack, sandbox: Sandbox) -> None:
    body = b'{"object":"page","entry":[],"pad":"' + b"x" * c.MAX_WEBHOOK_BODY_BYTES + b'"}'
    response = sandbox.send(sandbox.meta(body))
    assert response.status_code == 413
    assert response.json()["error"] == "payload_too_large"
    assert not _raw_object_exists(stack, "meta", body)


# --- handshakes -------------------------------------------------------------------------------
def test_the_meta_verify_handshake_echoes_the_challenge_only_for_the_right_token(sandbox: Sandbox) -> None:
    response = sandbox.meta_verify("1158201444")
    assert response.status_code == 200
    assert response.text == "1158201444"
    assert sandbox.meta_verify("1158201444", verify_token="guessed").status_code == 403


def test_the_x_crc_check_answers_with_the_consumer_secret(sandbox: Sandbox) -> None:
    response = sandbox.x_crc("crc-e2e-token")
    assert response.status_code == 200
    assert response.json() == {"response_token": sandbox.expected_x_crc_response("crc-e2e-token")}
