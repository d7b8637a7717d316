"""Replies end to end on the local stack, over real HTTP: a customer writes in through the sandbox's
webhooks, a reply is stored PENDING and queued (the agent API's contract), the outbound function
sends it to the sandbox's reply API in the right channel and shape, and the echo the sandbox then
sends back is recognised, not counted as a customer message."""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from socialcare.aws.case_store import CaseStore, MessageRef
from socialcare.aws.outbound_store import OutboundEntry, OutboundStore
from socialcare.model.case import Case, EntryKind
from socialcare.model.events import Channel, DeliveryState
from socialcare.model.outbound import OutboundRequest, ReplyMode
from socialcare_local.emulator.pollers import PollerSettings
from socialcare_local.sandbox import Sandbox
from socialcare_local.sandbox import payloads as p
from socialcare_local.sandbox.reply_api import RecordedCall
from socialcare_local.stack import LocalStack

from tests.outbound_support import queue_reply, store_pending_reply
from tests.table_support import unmatched

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

_ids = itertools.count(1)


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def unique(prefix: str) -> str:
    return f"{prefix}{next(_ids)}{time.time_ns() % 1_000_000}"


@dataclass
class Env:
    stack: LocalStack
    sandbox: Sandbox
    store: CaseStore
    outbound: OutboundStore

    @property
    def accounts(self) -> Any:
        return self.stack.config.accounts

    def deliver(self, delivery: Any) -> None:
        response = self.sandbox.send(delivery)
        assert response.status_code == 200, response.text
        self.stack.wait_until_idle(timeout_s=30)

    def case(self, account: str, user: str) -> Case:
        case = self.store.current_case(account, [user]).case
        assert case is not None, f"no case for {user}"
        return case

    def reply(self, case: Case, channel: Channel, recipient: str, **kw: Any) -> OutboundRequest:
        kw.setdefault("text", f"Thanks for waiting, it ships today. — Alice (#{next(_ids)})")
        request = store_pending_reply(
            self.stack.client("dynamodb"),
            self.stack.resources.table_name,
            case,
            now_ms=now_ms(),
            channel=channel,
            recipient_id=recipient,
            **kw,
        )
        queue_reply(self.stack.client("sqs"), self.stack.resources.outbound_queue_url, request)
        self.stack.wait_until_idle(timeout_s=60)
        return request

    def entry(self, request: OutboundRequest) -> OutboundEntry:
        found = self.outbound.get(MessageRef(request.case_id, request.entry_id))
        assert found is not None
        return found

    def calls_for(self, request: OutboundRequest) -> list[RecordedCall]:
        """The sandbox calls whose accepted message is recorded on this reply (or that carry its text)."""
        entry = self.entry(request)
        return [
            call
            for call in self.stack.reply_api.calls()  # type: ignore[union-attr]
            if call.message_id in entry.platform_message_ids or request.text in str(call.body)
        ]

    def assert_sent_once_and_echo_not_counted(self, request: OutboundRequest, before: Case) -> Case:
        entry = self.entry(request)
        assert entry.entry.delivery_state in (DeliveryState.SENT, DeliveryState.DELIVERED), entry.entry.delivery_error
        [call] = self.calls_for(request)
        assert call.accepted
        assert entry.platform_message_ids == (call.message_id,)
        assert all(status == 200 for _, status in call.echoes), call.echoes
        after = self.store.get_case(before.case_id)
        assert after.message_count == before.message_count + 1  # the reply, and nothing for its echo
        assert after.first_response_at_ms is not None
        assert after.awaiting_reply_since_ms is None
        thread = self.store.thread(before.case_id)
        outbound = [e for e in thread if e.kind is EntryKind.OUTBOUND]
        assert request.entry_id in [e.entry_id for e in outbound]
        assert [e for e in outbound if e.author == "brand"] == []  # no line of its own for the echo
        assert len(self.store.cases_of_customer(before.account_id, before.customer.user_id)) == 1
        return after


@pytest.fixture(scope="module")
def env() -> Iterator[Env]:
    settings = PollerSettings(wait_time_s=1, retry_delay_s=1, concurrency=2)
    with LocalStack(poller_settings=settings) as stack:
        dynamodb = stack.client("dynamodb")
        yield Env(
            stack,
            stack.sandbox(),
            CaseStore(stack.resources.table_name, client=dynamodb),
            OutboundStore(stack.resources.table_name, client=dynamodb),
        )


def messenger_customer(env: Env, psid: str, text: str = "Where is my order?") -> Case:
    page = env.accounts.facebook_page_id
    ts = now_ms()
    env.deliver(
        env.sandbox.meta(
            p.meta_delivery(
                "page", [p.meta_entry(page, [p.messenger_message(page, psid, unique("m_in"), text, ts)], time=ts)]
            )
        )
    )
    return env.case(page, psid)


# --- each channel -----------------------------------------------------------------------------------
def test_messenger_reply_goes_through_the_send_api_and_its_echo_is_a_duplicate(env: Env) -> None:
    psid = unique("psid")
    case = messenger_customer(env, psid)
    request = env.reply(case, Channel.MESSENGER, psid)
    [call] = env.calls_for(request)
    assert (call.platform, call.endpoint, call.method) == ("meta", "messenger", "POST")
    assert call.path == f"/graph/v21.0/{env.accounts.facebook_page_id}/messages"
    assert call.body == {
        "recipient": {"id": psid},
        "messaging_type": "RESPONSE",
        "message": {"text": request.text, "metadata": f"socialcare:{request.entry_id}"},  # handed back in the echo
    }
    assert call.response == {"recipient_id": psid, "message_id": call.message_id}
    env.assert_sent_once_and_echo_not_counted(request, case)


def test_instagram_dm_reply_with_an_attachment(env: Env) -> None:
    ig = env.accounts.instagram_account_id
    igsid = unique("igsid")
    ts = now_ms()
    env.deliver(
        env.sandbox.meta(
            p.meta_delivery(
                "instagram", [p.meta_entry(ig, [p.instagram_dm(ig, igsid, unique("ig_m"), "Size M?", ts)], time=ts)]
            )
        )
    )
    case = env.case(ig, igsid)
    request = env.reply(
        case, Channel.INSTAGRAM_DM, igsid, attachments=[("image", "https://cdn.example.com/size-chart.png")]
    )
    calls = [c for c in env.stack.reply_api.calls(endpoint="instagram_dm") if c.body["recipient"] == {"id": igsid}]  # type: ignore[union-attr]
    assert [c.body["message"] for c in calls] == [
        {"text": request.text},
        {
            "attachment": {
                "type": "image",
                "payload": {"url": "https://cdn.example.com/size-chart.png", "is_reusable": False},
            }
        },
    ]
    entry = env.entry(request)
    assert entry.platform_message_ids == tuple(c.message_id for c in calls)
    assert all(status == 200 for c in calls for _, status in c.echoes)
    after = env.store.get_case(case.case_id)
    assert after.message_count == case.message_count + 1
    assert [e.entry_id for e in env.store.thread(case.case_id) if e.kind is EntryKind.OUTBOUND] == [request.entry_id]


def test_whatsapp_reply_quotes_the_message_and_its_statuses_arrive(env: Env) -> None:
    phone = env.accounts.whatsapp_phone_number_id
    wa_id = str(16_505_550_000 + next(_ids))
    wamid = unique("wamid.IN")
    value = p.whatsapp_message(phone, wa_id, wamid, "Does it come in blue?", now_ms() // 1000)
    env.deliver(
        env.sandbox.meta(
            p.meta_delivery(
                "whatsapp_business_account", [p.meta_entry(env.accounts.whatsapp_business_account_id, [value])]
            )
        )
    )
    case = env.case(phone, wa_id)
    request = env.reply(case, Channel.WHATSAPP, wa_id, reply_to_id=wamid)
    [call] = env.calls_for(request)
    assert call.endpoint == "whatsapp"
    assert call.body == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": wa_id,
        "type": "text",
        "text": {"body": request.text, "preview_url": False},
        "context": {"message_id": wamid},
    }
    assert [label.split()[2] for label, _ in call.echoes] == ["sent", "delivered"]
    entry = env.entry(request)
    assert entry.entry.delivery_state is DeliveryState.DELIVERED  # the status webhook found the reply
    env.assert_sent_once_and_echo_not_counted(request, case)


def test_x_dm_reply_and_its_echo(env: Env) -> None:
    brand = env.accounts.x_user_id
    customer = str(125_505_000 + next(_ids))
    ts = now_ms()
    user = p.x_user(customer, f"joe{customer}")
    delivery = p.x_delivery(
        brand,
        users=[user],
        direct_message_events=[p.x_dm(unique("1"), customer, brand, "DM'ing you my order number", ts)],
    )
    env.deliver(env.sandbox.x(delivery))
    case = env.case(brand, customer)
    request = env.reply(case, Channel.X_DM, customer)
    [call] = env.calls_for(request)
    assert (call.endpoint, call.path, call.body) == (
        "x_dm",
        f"/x/2/dm_conversations/with/{customer}/messages",
        {"text": request.text},
    )
    env.assert_sent_once_and_echo_not_counted(request, case)


def test_x_public_reply_and_the_brand_post_echo(env: Env) -> None:
    brand = env.accounts.x_user_id
    customer = str(125_506_000 + next(_ids))
    user = p.x_user(customer, f"joe{customer}", "Joe")
    brand_user = p.x_user(brand, env.accounts.x_screen_name)
    tweet_id = str(1_900_000_000_000_000_000 + next(_ids))
    tweet = p.x_tweet(
        tweet_id, user, f"@{env.accounts.x_screen_name} my order is late!", now_ms(), mentions=[brand_user]
    )
    env.deliver(env.sandbox.x(p.x_delivery(brand, tweet_create_events=[tweet])))
    case = env.case(brand, customer)
    request = env.reply(
        case, Channel.X_POST, customer, reply_to_id=tweet_id, text="Sorry Joe! Please DM us your order number. — Alice"
    )
    [call] = env.calls_for(request)
    assert (call.endpoint, call.path) == ("x_reply", "/x/2/tweets")
    assert call.body == {"text": request.text, "reply": {"in_reply_to_tweet_id": tweet_id}}
    env.assert_sent_once_and_echo_not_counted(request, case)


def test_facebook_comment_public_reply_and_the_page_comment_echo(env: Env) -> None:
    page = env.accounts.facebook_page_id
    commenter = unique("fbu")
    comment_id = f"{page}_1_{next(_ids)}{time.time_ns() % 100_000}"
    change = p.facebook_comment(page, f"{page}_1", comment_id, commenter, "Ann", "Price?", now_ms() // 1000)
    env.deliver(env.sandbox.meta(p.meta_delivery("page", [p.meta_entry(page, [change], time=now_ms() // 1000)])))
    case = env.case(page, commenter)
    request = env.reply(case, Channel.FACEBOOK_COMMENT, commenter, reply_to_id=comment_id, text="It is 20 EUR. — Alice")
    [call] = env.calls_for(request)
    assert (call.endpoint, call.path, call.body) == (
        "facebook_comment_reply",
        f"/graph/v21.0/{comment_id}/comments",
        {"message": request.text},
    )
    env.assert_sent_once_and_echo_not_counted(request, case)
    # The Page's comment names no customer; it is known as this reply, not logged as unmatched.
    day = time.strftime("%Y-%m-%d", time.gmtime())
    assert [
        u
        for u in unmatched(env.stack.client("dynamodb"), env.stack.resources.table_name, "meta", day)
        if u.get("message_id") == call.message_id
    ] == []


def test_telegram_reply(env: Env) -> None:
    user_id = 3_527_000 + next(_ids)
    user = p.telegram_user(user_id, "Nic")
    env.deliver(
        env.sandbox.telegram(p.telegram_message(next(_ids) + 174_000_000, 41, user, "Hello bot", now_ms() // 1000))
    )
    bot = env.accounts.telegram_bot_id
    case = env.case(bot, str(user_id))
    request = env.reply(
        case, Channel.TELEGRAM, str(user_id), conversation_ref=str(user_id), reply_to_id=f"{user_id}:41"
    )
    [call] = env.calls_for(request)
    assert (call.endpoint, call.path) == ("telegram", "/telegram/bot<token>/sendMessage")
    assert call.body == {
        "chat_id": user_id,
        "text": request.text,
        "reply_parameters": {"message_id": 41, "allow_sending_without_reply": True},
    }
    env.assert_sent_once_and_echo_not_counted(request, case)


# --- move to private ----------------------------------------------------------------------------------
def test_private_reply_to_a_comment_then_the_customer_answers_in_messenger_in_the_same_case(env: Env) -> None:
    page = env.accounts.facebook_page_id
    commenter = unique("fbu")
    comment_id = f"{page}_2_{next(_ids)}{time.time_ns() % 100_000}"
    change = p.facebook_comment(
        page, f"{page}_2", comment_id, commenter, "Ann", "My parcel never came", now_ms() // 1000
    )
    env.deliver(env.sandbox.meta(p.meta_delivery("page", [p.meta_entry(page, [change], time=now_ms() // 1000)])))
    case = env.case(page, commenter)
    request = env.reply(
        case,
        Channel.FACEBOOK_COMMENT,
        commenter,
        mode=ReplyMode.PRIVATE_REPLY_TO_COMMENT,
        reply_to_id=comment_id,
        text="We sent you a message. — Alice",
    )
    [call] = env.calls_for(request)
    psid = env.stack.reply_api.messenger_id_for(commenter)  # type: ignore[union-attr]
    assert (call.endpoint, call.body["recipient"]) == ("private_reply", {"comment_id": comment_id})
    assert call.response["recipient_id"] == psid != commenter
    env.assert_sent_once_and_echo_not_counted(request, case)

    ts = now_ms()
    env.deliver(
        env.sandbox.meta(
            p.meta_delivery(
                "page",
                [p.meta_entry(page, [p.messenger_message(page, psid, unique("m_dm"), "Order 123", ts)], time=ts)],
            )
        )
    )
    assert env.case(page, psid).case_id == case.case_id
    final = env.store.get_case(case.case_id)
    assert final.channels == {Channel.FACEBOOK_COMMENT, Channel.MESSENGER}
    assert final.awaiting_reply_since_ms == ts

    # ...and the agent answers there, in Messenger, inside the window the customer just opened.
    follow_up = env.reply(final, Channel.MESSENGER, psid, text="Thanks Ann, a new parcel is on its way. — Alice")
    [dm] = env.calls_for(follow_up)
    assert (dm.endpoint, dm.body["recipient"]) == ("messenger", {"id": psid})
    env.assert_sent_once_and_echo_not_counted(follow_up, final)


# --- throttling and failures over HTTP ------------------------------------------------------------------
def test_a_throttled_reply_is_retried_after_the_platform_wait_and_sent_once(env: Env) -> None:
    psid = unique("psid")
    case = messenger_customer(env, psid)
    env.stack.reply_api.throttle(1, platform="x", retry_after_s=1)  # type: ignore[union-attr]
    customer = str(125_507_000 + next(_ids))
    brand = env.accounts.x_user_id
    env.deliver(
        env.sandbox.x(
            p.x_delivery(
                brand,
                users=[p.x_user(customer, "zed")],
                direct_message_events=[p.x_dm(unique("7"), customer, brand, "hi", now_ms())],
            )
        )
    )
    x_case = env.case(brand, customer)
    request = env.reply(x_case, Channel.X_DM, customer, text="Throttled once, then sent. — Alice")
    calls = env.calls_for(request)
    assert [(c.status, c.fault) for c in calls] == [(429, "throttle"), (201, None)]
    assert env.entry(request).entry.delivery_state is DeliveryState.SENT
    assert env.entry(request).attempts == 2
    del case


def test_a_refused_reply_is_failed_visibly_in_the_thread(env: Env) -> None:
    psid = unique("psid")
    case = messenger_customer(env, psid)
    stranger = unique("psid-stranger")  # never wrote to the page: the platform knows no such user
    request = env.reply(case, Channel.MESSENGER, stranger, text="To the wrong person. — Alice")
    [call] = env.calls_for(request)
    assert call.status == 400
    assert call.response["error"]["error_subcode"] == 2018001
    [outbound] = [e for e in env.store.thread(case.case_id) if e.kind is EntryKind.OUTBOUND]
    assert outbound.delivery_state is DeliveryState.FAILED
    assert outbound.delivery_error == "Meta refused it (error 100/2018001): (#100) No matching user found"
    assert env.store.get_case(case.case_id).first_response_at_ms is None


def test_the_sandbox_calls_are_inspectable_over_http(env: Env) -> None:
    import requests

    base = env.stack.reply_api.base_url  # type: ignore[union-attr]
    token = env.stack.config.credentials.telegram_bots[0].bot_token
    chat = requests.post(f"{base}/telegram/bot{token}/sendMessage", json={"chat_id": -1, "text": "x"}, timeout=5)
    assert chat.json() == {"ok": False, "error_code": 400, "description": "Bad Request: chat not found"}
    listing = requests.get(f"{base}/_sandbox/calls", params={"platform": "telegram"}, timeout=5).json()["calls"]
    assert listing[-1]["body"] == {"chat_id": -1, "text": "x"}
    assert all(call["platform"] == "telegram" for call in listing)
    assert all("AAE-local" not in call["path"] for call in listing)
    armed = requests.post(f"{base}/_sandbox/throttle", json={"count": 1, "platform": "telegram"}, timeout=5)
    assert armed.json() == {"status": "armed", "action": "throttle", "count": 1, "platform": "telegram"}
    env.stack.reply_api.clear_faults()  # type: ignore[union-attr]
