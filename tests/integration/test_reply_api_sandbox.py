"""The platform sandbox's reply API on its own, over real HTTP: it checks calls as the platforms do,
answers and errs in their shapes, records what it got, can be told to throttle or fail, and sends
back signed echo webhooks that the real adapters read as the brand's own messages."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests
from socialcare.model.events import EventKind
from socialcare.platforms.base import Verification
from socialcare.platforms.credentials import PlatformCredentials
from socialcare.platforms.meta import MetaAdapter
from socialcare.platforms.x import XAdapter
from socialcare_local.config import load_config
from socialcare_local.emulator.pollers import wait_until
from socialcare_local.sandbox import payloads as p
from socialcare_local.sandbox.reply_api import ReplyApi

pytestmark = pytest.mark.integration

CONFIG = load_config(None)
ACCOUNTS = CONFIG.accounts
PAGE, IG, PHONE = ACCOUNTS.facebook_page_id, ACCOUNTS.instagram_account_id, ACCOUNTS.whatsapp_phone_number_id
BRAND, BOT = ACCOUNTS.x_user_id, ACCOUNTS.telegram_bot_id
TOKENS = CONFIG.credentials.meta.page_tokens  # type: ignore[union-attr]
X_TOKEN = CONFIG.credentials.x.user_tokens[BRAND]  # type: ignore[union-attr,index]
BOT_TOKEN = CONFIG.credentials.telegram_bots[0].bot_token
NOW = 1_767_225_600_000
HOUR = 3_600_000


@dataclass
class Receiver:
    """Stands in for the stack's webhook endpoints: records every POST."""

    posts: list[tuple[str, dict[str, str], bytes]] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}"


@dataclass
class Clock:
    now_ms: int = NOW

    def __call__(self) -> int:
        return self.now_ms


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length") or 0))
            found.posts.append((self.path, {k.lower(): v for k, v in self.headers.items()}, body))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    found.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=found.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    yield found
    found.server.shutdown()
    found.server.server_close()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def api(receiver: Receiver, clock: Clock) -> Iterator[ReplyApi]:
    running = ReplyApi(CONFIG, clock=clock, echo_delay_s=0, webhook_base_url=receiver.url).start()
    yield running
    running.stop()


def graph(api: ReplyApi, path: str, doc: Any, token: str | None) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.post(f"{api.meta_graph_url}/{path}", json=doc, headers=headers, timeout=5)


def customer_writes_on_messenger(api: ReplyApi, psid: str, at_ms: int) -> None:
    api.observe(
        "meta",
        p.encode_meta(
            p.meta_delivery("page", [p.meta_entry(PAGE, [p.messenger_message(PAGE, psid, "m_in", "hi", at_ms)])])
        ),
    )


def echoes(api: ReplyApi, receiver: Receiver, count: int) -> list[tuple[str, dict[str, str], bytes]]:
    assert wait_until(lambda: api.is_idle() and len(receiver.posts) >= count, timeout_s=5)
    return receiver.posts


def error_of(response: requests.Response) -> tuple[int, int, int | None]:
    error = response.json()["error"]
    return response.status_code, error["code"], error.get("error_subcode")


# --- Meta: Send API -------------------------------------------------------------------------------
def test_a_messenger_reply_is_answered_in_meta_shape_and_echoed_signed(api: ReplyApi, receiver: Receiver) -> None:
    customer_writes_on_messenger(api, "psid-1", NOW - HOUR)
    body = {"recipient": {"id": "psid-1"}, "messaging_type": "RESPONSE", "message": {"text": "Hello 👋"}}
    response = graph(api, f"{PAGE}/messages", body, TOKENS[PAGE])
    assert response.status_code == 200
    answer = response.json()
    assert answer["recipient_id"] == "psid-1"
    assert answer["message_id"].startswith("m_")

    [(path, headers, raw)] = echoes(api, receiver, 1)
    assert path == "/webhooks/meta"
    credentials = PlatformCredentials.from_dict(CONFIG.secret_document)
    MetaAdapter().verify(headers, raw, credentials)  # signed with the app secret, like any delivery
    [event] = MetaAdapter().parse(raw, Verification()).events
    assert (event.kind, event.message_id, event.customer.user_id, event.text) == (
        EventKind.ECHO,
        answer["message_id"],
        "psid-1",
        "Hello 👋",
    )  # type: ignore[union-attr]
    [call] = api.calls()
    assert (call.platform, call.endpoint, call.status, call.body) == ("meta", "messenger", 200, body)
    assert call.echoes == [(f"page message echo {answer['message_id']}", 200)]


@pytest.mark.parametrize(
    ("token", "expected"),
    [(None, (400, 104, None)), ("wrong-token", (400, 190, None)), (TOKENS.get(IG), (400, 190, None))],
)
def test_the_page_token_must_be_the_accounts_own(
    api: ReplyApi, token: str | None, expected: tuple[int, int, None]
) -> None:
    customer_writes_on_messenger(api, "psid-1", NOW)
    body = {"recipient": {"id": "psid-1"}, "messaging_type": "RESPONSE", "message": {"text": "hi"}}
    assert error_of(graph(api, f"{PAGE}/messages", body, token)) == expected


def test_the_send_api_knows_its_users_and_their_window(api: ReplyApi, clock: Clock) -> None:
    body = {"recipient": {"id": "psid-2"}, "messaging_type": "RESPONSE", "message": {"text": "hi"}}
    assert error_of(graph(api, f"{PAGE}/messages", body, TOKENS[PAGE])) == (400, 100, 2018001)
    customer_writes_on_messenger(api, "psid-2", NOW)
    clock.now_ms = NOW + 25 * HOUR
    assert error_of(graph(api, f"{PAGE}/messages", body, TOKENS[PAGE])) == (400, 10, 2018278)
    tagged = {**body, "messaging_type": "MESSAGE_TAG", "tag": "HUMAN_AGENT"}
    assert graph(api, f"{PAGE}/messages", tagged, TOKENS[PAGE]).status_code == 200
    clock.now_ms = NOW + 8 * 24 * HOUR
    assert error_of(graph(api, f"{PAGE}/messages", tagged, TOKENS[PAGE])) == (400, 10, 2018278)


@pytest.mark.parametrize(
    "message",
    [
        {"text": "x" * 2001},
        {"text": "both", "attachment": {"type": "image", "payload": {"url": "https://a.example/i.png"}}},
        {"attachment": {"type": "sticker", "payload": {"url": "https://a.example/i.png"}}},
        {"attachment": {"type": "image", "payload": {"url": "ftp://a.example/i.png"}}},
    ],
)
def test_the_send_api_refuses_malformed_messages(api: ReplyApi, message: dict[str, Any]) -> None:
    customer_writes_on_messenger(api, "psid-3", NOW)
    body = {"recipient": {"id": "psid-3"}, "messaging_type": "RESPONSE", "message": message}
    assert error_of(graph(api, f"{PAGE}/messages", body, TOKENS[PAGE]))[:2] == (400, 100)


# --- Meta: comments ---------------------------------------------------------------------------------
def facebook_commenter(api: ReplyApi, comment_id: str = f"{PAGE}_1_10", at_s: int = NOW // 1000) -> str:
    change = p.facebook_comment(PAGE, f"{PAGE}_1", comment_id, "fb-ann", "Ann", "Price?", at_s)  # type: ignore[arg-type]
    api.observe("meta", p.encode_meta(p.meta_delivery("page", [p.meta_entry(PAGE, [change], time=at_s)])))  # type: ignore[arg-type]
    return comment_id


def test_a_private_reply_reaches_the_commenters_messenger_id_once(api: ReplyApi, receiver: Receiver) -> None:
    comment_id = facebook_commenter(api)
    body = {"recipient": {"comment_id": comment_id}, "message": {"text": "We sent you a DM"}}
    first = graph(api, f"{PAGE}/messages", body, TOKENS[PAGE])
    assert first.status_code == 200
    psid = first.json()["recipient_id"]
    assert psid == api.messenger_id_for("fb-ann") != "fb-ann"
    assert error_of(graph(api, f"{PAGE}/messages", body, TOKENS[PAGE])) == (400, 10900, None)
    [(_, _, raw)] = echoes(api, receiver, 1)
    [event] = MetaAdapter().parse(raw, Verification()).events
    assert (event.kind, event.customer.user_id) == (EventKind.ECHO, psid)  # type: ignore[union-attr]
    # The customer can now write in Messenger, and be answered there.
    customer_writes_on_messenger(api, psid, NOW)
    dm = {"recipient": {"id": psid}, "messaging_type": "RESPONSE", "message": {"text": "Thanks"}}
    assert graph(api, f"{PAGE}/messages", dm, TOKENS[PAGE]).status_code == 200


def test_comment_replies_need_a_comment_the_platform_knows_and_its_edge(api: ReplyApi, receiver: Receiver) -> None:
    assert error_of(graph(api, "999_999/comments", {"message": "hi"}, TOKENS[PAGE])) == (400, 100, 33)
    comment_id = facebook_commenter(api)
    assert error_of(graph(api, f"{comment_id}/replies", {"message": "hi"}, TOKENS[PAGE]))[:2] == (400, 100)
    response = graph(api, f"{comment_id}/comments", {"message": "It is 20 EUR"}, TOKENS[PAGE])
    assert response.status_code == 200
    [(_, _, raw)] = echoes(api, receiver, 1)
    [event] = MetaAdapter().parse(raw, Verification()).events
    assert (event.kind, event.message_id, event.reply_to_id) == (EventKind.ECHO, response.json()["id"], comment_id)


def test_an_instagram_comment_reply_echo_is_the_brands_comment(api: ReplyApi, receiver: Receiver) -> None:
    change = p.instagram_comment("1791", "igsid-1", "sana", "Size M?", "1817")
    api.observe("meta", p.encode_meta(p.meta_delivery("instagram", [p.meta_entry(IG, [change], time=NOW // 1000)])))  # type: ignore[arg-type]
    response = graph(api, "1791/replies", {"message": "Yes!"}, TOKENS[IG])
    assert response.status_code == 200
    [(_, _, raw)] = echoes(api, receiver, 1)
    [event] = MetaAdapter().parse(raw, Verification()).events
    assert (event.kind, event.message_id, event.reply_to_id) == (EventKind.ECHO, response.json()["id"], "1791")


# --- Meta: WhatsApp -----------------------------------------------------------------------------------
def test_whatsapp_needs_a_template_after_24_hours_and_reports_statuses(
    api: ReplyApi, receiver: Receiver, clock: Clock
) -> None:
    value = p.whatsapp_message(PHONE, "16505551234", "wamid.IN", "hi", NOW // 1000)  # type: ignore[arg-type]
    api.observe("meta", p.encode_meta(p.meta_delivery("whatsapp_business_account", [p.meta_entry("waba", [value])])))
    text = {"messaging_product": "whatsapp", "to": "16505551234", "type": "text", "text": {"body": "hello"}}
    sent = graph(api, f"{PHONE}/messages", text, TOKENS[PHONE])
    assert sent.status_code == 200
    wamid = sent.json()["messages"][0]["id"]
    posts = echoes(api, receiver, 2)
    statuses = [e for _, _, raw in posts for e in MetaAdapter().parse(raw, Verification()).events]
    assert [(e.kind, e.message_id, e.status.value) for e in statuses] == [  # type: ignore[union-attr]
        (EventKind.STATUS, wamid, "sent"),
        (EventKind.STATUS, wamid, "delivered"),
    ]
    clock.now_ms = NOW + 25 * HOUR
    assert error_of(graph(api, f"{PHONE}/messages", text, TOKENS[PHONE])) == (400, 131047, None)
    template = {**text, "type": "template", "template": {"name": "order_update", "language": {"code": "en_US"}}}
    del template["text"]
    accepted = graph(api, f"{PHONE}/messages", template, TOKENS[PHONE])
    assert accepted.status_code == 200
    assert accepted.json()["messages"][0]["message_status"] == "accepted"


# --- X ------------------------------------------------------------------------------------------------
def x_post(api: ReplyApi, path: str, doc: Any, token: str = X_TOKEN) -> requests.Response:
    return requests.post(f"{api.x_api_url}/{path}", json=doc, headers={"Authorization": f"Bearer {token}"}, timeout=5)


def test_x_dm_and_reply_with_their_echoes(api: ReplyApi, receiver: Receiver) -> None:
    joe = p.x_user("125505243", "joe")
    tweet = p.x_tweet("1444", joe, "@AcmeCare late again!", NOW)
    api.observe("x", p.encode_x(p.x_delivery(BRAND, tweet_create_events=[tweet])))  # type: ignore[arg-type]
    assert x_post(api, "2/dm_conversations/with/999/messages", {"text": "hi"}).status_code == 403
    dm = x_post(api, "2/dm_conversations/with/125505243/messages", {"text": "DM us?"})
    assert dm.status_code == 201
    event_id = dm.json()["data"]["dm_event_id"]
    reply = x_post(api, "2/tweets", {"text": "Sorry Joe!", "reply": {"in_reply_to_tweet_id": "1444"}})
    assert reply.status_code == 201
    assert reply.json()["data"]["text"] == "Sorry Joe!"
    posts = echoes(api, receiver, 2)
    events = [e for _, _, raw in posts for e in XAdapter().parse(raw, Verification()).events]
    assert {(e.kind, e.message_id, e.customer.user_id) for e in events} == {  # type: ignore[union-attr]
        (EventKind.ECHO, event_id, "125505243"),
        (EventKind.ECHO, reply.json()["data"]["id"], "125505243"),
    }
    assert x_post(api, "2/tweets", {"text": "x", "reply": {"in_reply_to_tweet_id": "404"}}).status_code == 403
    assert x_post(api, "2/tweets", {"text": "日本" * 141}).status_code == 400
    assert x_post(api, "2/tweets", {"text": "hi"}, token="stolen").json()["status"] == 401


def test_x_throttling_speaks_the_rate_limit_headers(api: ReplyApi, clock: Clock) -> None:
    api.throttle(1, platform="x", retry_after_s=30)
    response = x_post(api, "2/tweets", {"text": "hi"})
    assert response.status_code == 429
    assert response.headers["x-rate-limit-remaining"] == "0"
    assert int(response.headers["x-rate-limit-reset"]) == clock.now_ms // 1000 + 30
    assert x_post(api, "2/tweets", {"text": "hi"}).status_code == 201
    assert [(c.endpoint, c.fault) for c in api.calls(platform="x")] == [("x_reply", "throttle"), ("x_reply", None)]


# --- Telegram --------------------------------------------------------------------------------------------
def telegram(api: ReplyApi, method: str, doc: Any, token: str = BOT_TOKEN) -> requests.Response:
    return requests.post(f"{api.telegram_api_url}/bot{token}/{method}", json=doc, timeout=5)


def test_telegram_send_message_checks_chat_token_and_length(api: ReplyApi) -> None:
    user = p.telegram_user(3527065, "Nic")
    body = p.encode_telegram(p.telegram_message(1, 41, user, "hi", NOW // 1000))
    api.observe("telegram", body, {"X-Telegram-Bot-Api-Secret-Token": CONFIG.telegram_secret_token()})
    assert telegram(api, "sendMessage", {"chat_id": 3527065, "text": "hi"}, token="1:bad").json() == {
        "ok": False,
        "error_code": 401,
        "description": "Unauthorized",
    }
    assert (
        telegram(api, "sendMessage", {"chat_id": 42, "text": "hi"}).json()["description"]
        == "Bad Request: chat not found"
    )
    assert telegram(api, "sendMessage", {"chat_id": 3527065, "text": "x" * 4097}).status_code == 400
    missing = {"chat_id": 3527065, "text": "hi", "reply_parameters": {"message_id": 7}}
    assert telegram(api, "sendMessage", missing).json()["description"] == "Bad Request: message to be replied not found"
    sent = telegram(api, "sendMessage", {"chat_id": 3527065, "text": "hi", "reply_parameters": {"message_id": 41}})
    assert sent.json()["ok"] is True
    assert sent.json()["result"]["message_id"] == 42
    assert sent.json()["result"]["chat"]["id"] == 3527065
    photo = telegram(api, "sendPhoto", {"chat_id": 3527065, "photo": "https://cdn.example.com/p.jpg"})
    assert photo.json()["result"]["message_id"] == 43
    assert all(BOT_TOKEN not in call.path for call in api.calls(platform="telegram"))

    api.throttle(1, platform="telegram", retry_after_s=5)
    throttled = telegram(api, "sendMessage", {"chat_id": 3527065, "text": "hi"})
    assert (throttled.status_code, throttled.json()["parameters"]) == (429, {"retry_after": 5})


# --- faults and the operator's endpoints -------------------------------------------------------------------
def test_failures_in_each_platforms_shape_and_only_for_the_platform_asked(api: ReplyApi) -> None:
    customer_writes_on_messenger(api, "psid-9", NOW)
    api.fail(1, platform="meta", status=503)
    body = {"recipient": {"id": "psid-9"}, "messaging_type": "RESPONSE", "message": {"text": "hi"}}
    assert telegram(api, "sendMessage", {"chat_id": 1, "text": "x"}).status_code == 400  # not the one that fails
    failed = graph(api, f"{PAGE}/messages", body, TOKENS[PAGE])
    assert failed.status_code == 503
    assert failed.json()["error"]["is_transient"] is True
    assert graph(api, f"{PAGE}/messages", body, TOKENS[PAGE]).status_code == 200
    api.throttle(1, platform="meta", retry_after_s=120)
    throttled = graph(api, f"{PAGE}/messages", body, TOKENS[PAGE])
    assert error_of(throttled) == (400, 613, None)
    usage = json.loads(throttled.headers["x-business-use-case-usage"])
    assert usage[PAGE][0]["estimated_time_to_regain_access"] == 2
    with pytest.raises(ValueError, match="unknown platform"):
        api.throttle(1, platform="myspace")


def test_operators_see_the_calls_and_arm_faults_over_http(api: ReplyApi) -> None:
    telegram(api, "sendMessage", {"chat_id": 1, "text": "x"})
    listed = requests.get(f"{api.base_url}/_sandbox/calls", timeout=5).json()["calls"]
    assert [(c["platform"], c["endpoint"], c["status"]) for c in listed] == [("telegram", "telegram", 400)]
    armed = requests.post(f"{api.base_url}/_sandbox/fail", json={"count": 2, "platform": "x", "status": 502}, timeout=5)
    assert armed.status_code == 200
    assert x_post(api, "2/tweets", {"text": "hi"}).status_code == 502
    assert requests.post(f"{api.base_url}/_sandbox/throttle", json={"count": "many"}, timeout=5).status_code == 400
