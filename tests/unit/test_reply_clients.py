"""Each reply client's calls, in the platform's real shape, and how it reads the platform's answers."""

from __future__ import annotations

import pytest
from socialcare.errors import ReplyRefused
from socialcare.model.events import Channel
from socialcare.model.outbound import OutboundRequest, ReplyMode
from socialcare.outbound.backoff import Backoff
from socialcare.outbound.clients import ReplyApiUrls, reply_clients
from socialcare.outbound.http import HttpResponse
from socialcare.outbound.replies import Accepted, CallOutcome, PlannedCall, Rejected, Retryable
from socialcare.outbound.x_client import weighted_length
from socialcare.platforms.credentials import PlatformCredentials

from tests.outbound_support import (
    BOT,
    CREDENTIALS,
    IG,
    PAGE,
    WA_PHONE,
    X_BRAND,
    FakeTransport,
    meta_error,
    meta_sent,
    reply_request,
    response,
    telegram_sent,
    whatsapp_sent,
    x_dm_sent,
    x_tweet_sent,
)

pytestmark = pytest.mark.unit

GRAPH = "https://graph.example.test/v21.0"
X_API = "https://x.example.test"
TG_API = "https://tg.example.test"
CLIENTS = reply_clients(ReplyApiUrls(GRAPH, X_API, TG_API))
NOW_MS = 1_767_225_600_000


def plan(
    request: OutboundRequest, *, tag: str | None = None, credentials: PlatformCredentials = CREDENTIALS
) -> list[PlannedCall]:
    return CLIENTS[request.channel].plan(request, tag=tag, credentials=credentials)


def send_all(request: OutboundRequest, transport: FakeTransport, *, tag: str | None = None) -> list[CallOutcome]:
    """Plan, call through the fake transport, interpret: what the sender does, without storage."""
    client = CLIENTS[request.channel]
    outcomes = []
    for call in client.plan(request, tag=tag, credentials=CREDENTIALS):
        outcomes.append(client.interpret(call, transport.send(call.request, timeout_s=5), now_ms=NOW_MS))
    return outcomes


# --- Messenger and Instagram DMs ------------------------------------------------------------
def test_messenger_text_is_a_send_api_response_with_the_page_token_as_bearer() -> None:
    transport = FakeTransport().script(meta_sent("m_abc", "psid-1"))
    outcomes = send_all(reply_request(Channel.MESSENGER, text="Hi Ann 👋"), transport)
    [request] = transport.requests
    assert (request.method, request.url) == ("POST", f"{GRAPH}/{PAGE}/messages")
    assert request.headers["Authorization"] == "Bearer page-token-fb"
    assert request.headers["Content-Type"].startswith("application/json")
    assert request.json() == {
        "recipient": {"id": "psid-1"},
        "messaging_type": "RESPONSE",
        "message": {"text": "Hi Ann 👋", "metadata": "socialcare:0000000000001#out-X"},  # the echo tag
    }
    assert outcomes == [Accepted("m_abc", "psid-1")]
    assert "page-token" not in request.url
    assert "page-token" not in repr(request)


def test_after_24_hours_the_message_carries_the_human_agent_tag() -> None:
    [call] = plan(reply_request(Channel.MESSENGER), tag="HUMAN_AGENT")
    assert call.request.json()["messaging_type"] == "MESSAGE_TAG"
    assert call.request.json()["tag"] == "HUMAN_AGENT"


def test_instagram_dm_goes_to_the_ig_account_with_its_token_and_attachments_as_separate_messages() -> None:
    request = reply_request(
        Channel.INSTAGRAM_DM,
        text="Here is the size chart",
        attachments=[("image", "https://cdn.example.com/chart.png"), ("file", "https://cdn.example.com/r.pdf")],
    )
    calls = plan(request)
    assert [c.request.url for c in calls] == [f"{GRAPH}/{IG}/messages"] * 3
    assert {c.request.headers["Authorization"] for c in calls} == {"Bearer page-token-ig"}
    assert [c.request.json()["message"] for c in calls] == [
        {"text": "Here is the size chart"},
        {
            "attachment": {
                "type": "image",
                "payload": {"url": "https://cdn.example.com/chart.png", "is_reusable": False},
            }
        },
        {"attachment": {"type": "file", "payload": {"url": "https://cdn.example.com/r.pdf", "is_reusable": False}}},
    ]
    assert [c.part for c in calls] == ["text", "attachment 1 of 2", "attachment 2 of 2"]


def test_private_reply_to_a_facebook_comment_names_the_comment_and_returns_the_psid() -> None:
    request = reply_request(
        Channel.FACEBOOK_COMMENT,
        mode=ReplyMode.PRIVATE_REPLY_TO_COMMENT,
        reply_to_id="104560123456789_555_777",
        recipient_id="commenter-1",
        text="We have sent you a message",
        attachments=[("image", "https://cdn.example.com/a.png")],
    )
    transport = FakeTransport().script(meta_sent("m_priv", "psid-of-ann"))
    outcomes = send_all(request, transport)
    [sent] = transport.requests
    assert sent.url == f"{GRAPH}/{PAGE}/messages"
    # One private reply per comment: an attachment travels as a link in the text.
    assert sent.json() == {
        "recipient": {"comment_id": "104560123456789_555_777"},
        "message": {"text": "We have sent you a message\n\nhttps://cdn.example.com/a.png"},
    }
    assert outcomes == [Accepted("m_priv", "psid-of-ann")]


@pytest.mark.parametrize(
    ("channel", "edge", "token"),
    [(Channel.FACEBOOK_COMMENT, "comments", "page-token-fb"), (Channel.INSTAGRAM_COMMENT, "replies", "page-token-ig")],
)
def test_public_comment_reply_posts_under_the_comment(channel: Channel, edge: str, token: str) -> None:
    transport = FakeTransport().script(response(200, {"id": "new-comment-9"}))
    outcomes = send_all(reply_request(channel, reply_to_id="c-1", text="Thanks!"), transport)
    [sent] = transport.requests
    assert sent.url == f"{GRAPH}/c-1/{edge}"
    assert sent.headers["Authorization"] == f"Bearer {token}"
    assert sent.json() == {"message": "Thanks!"}
    assert outcomes == [Accepted("new-comment-9")]


# --- WhatsApp -------------------------------------------------------------------------------
def test_whatsapp_text_quotes_the_customer_message_and_media_go_by_link() -> None:
    request = reply_request(
        Channel.WHATSAPP,
        recipient_id="16505551234",
        reply_to_id="wamid.IN1",
        text="Your invoice:",
        attachments=[("file", "https://cdn.example.com/invoice.pdf"), ("image", "https://cdn.example.com/p.jpg")],
    )
    transport = FakeTransport().script(whatsapp_sent("wamid.A"), whatsapp_sent("wamid.B"), whatsapp_sent("wamid.C"))
    outcomes = send_all(request, transport)
    assert [r.url for r in transport.requests] == [f"{GRAPH}/{WA_PHONE}/messages"] * 3
    assert transport.requests[0].headers["Authorization"] == "Bearer page-token-wa"
    base = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": "16505551234"}
    assert transport.bodies == [
        {
            **base,
            "type": "text",
            "text": {"body": "Your invoice:", "preview_url": False},
            "context": {"message_id": "wamid.IN1"},
        },
        {**base, "type": "document", "document": {"link": "https://cdn.example.com/invoice.pdf"}},
        {**base, "type": "image", "image": {"link": "https://cdn.example.com/p.jpg"}},
    ]
    assert outcomes == [Accepted("wamid.A"), Accepted("wamid.B"), Accepted("wamid.C")]


def test_whatsapp_template_is_sent_as_given() -> None:
    template = {
        "name": "order_update",
        "language": {"code": "en_US"},
        "components": [{"type": "body", "parameters": []}],
    }
    [call] = plan(reply_request(Channel.WHATSAPP, recipient_id="1650", template=template))
    assert call.request.json()["type"] == "template"
    assert call.request.json()["template"] == template
    with pytest.raises(ReplyRefused, match="name and a language"):
        plan(reply_request(Channel.WHATSAPP, template={"name": "x"}))


def test_whatsapp_template_from_the_agent_api_names_its_language_as_whatsapp_wants() -> None:
    """The agent API takes ``"language": "en_US"``; WhatsApp refuses anything but ``{"code": ...}``."""
    template = {"name": "order_update", "language": "en_US", "components": [{"type": "body", "parameters": []}]}
    [call] = plan(reply_request(Channel.WHATSAPP, recipient_id="1650", template=template))
    assert call.request.json()["template"] == {**template, "language": {"code": "en_US"}}
    with pytest.raises(ReplyRefused, match="name and a language"):
        plan(reply_request(Channel.WHATSAPP, template={"name": "x", "language": ""}))


# --- X --------------------------------------------------------------------------------------
def test_x_dm_goes_to_the_conversation_with_the_participant() -> None:
    transport = FakeTransport().script(x_dm_sent("1582838213808947203"))
    request = reply_request(
        Channel.X_DM, recipient_id="125505243", attachments=[("image", "https://cdn.example.com/i.png")]
    )
    outcomes = send_all(request, transport)
    [sent] = transport.requests
    assert sent.url == f"{X_API}/2/dm_conversations/with/125505243/messages"
    assert sent.headers["Authorization"] == "Bearer x-user-token"
    assert sent.json() == {"text": "Hi Ann, we are on it. — Alice\n\nhttps://cdn.example.com/i.png"}
    assert outcomes == [Accepted("1582838213808947203")]


def test_x_public_reply_is_a_post_in_reply_to_the_customer_post() -> None:
    transport = FakeTransport().script(x_tweet_sent("1445880548472328192"))
    outcomes = send_all(reply_request(Channel.X_POST, recipient_id="125505243", reply_to_id="1444"), transport)
    [sent] = transport.requests
    assert sent.url == f"{X_API}/2/tweets"
    assert sent.json() == {"text": "Hi Ann, we are on it. — Alice", "reply": {"in_reply_to_tweet_id": "1444"}}
    assert outcomes == [Accepted("1445880548472328192")]


def test_x_posts_are_measured_as_x_counts_them() -> None:
    assert weighted_length("hello") == 5
    assert weighted_length("see https://example.com/a/very/long/path/that/is/long") == 4 + 23
    assert weighted_length("日本") == 4
    assert weighted_length("🙂") == 2 * len("🙂")
    with pytest.raises(ReplyRefused, match="allows 280"):
        plan(reply_request(Channel.X_POST, reply_to_id="1", text="日本" * 71))
    plan(reply_request(Channel.X_POST, reply_to_id="1", text="日本" * 70))


# --- Telegram -------------------------------------------------------------------------------
def test_telegram_send_message_replies_to_the_customer_message_with_the_token_in_the_path_only() -> None:
    request = reply_request(
        Channel.TELEGRAM,
        recipient_id="3527065",
        conversation_ref="3527065",
        reply_to_id="3527065:41",
        attachments=[("image", "https://cdn.example.com/p.jpg"), ("file", "https://cdn.example.com/d.pdf")],
    )
    transport = FakeTransport().script(
        telegram_sent(3527065, 42), telegram_sent(3527065, 43), telegram_sent(3527065, 44)
    )
    outcomes = send_all(request, transport)
    urls = [r.url for r in transport.requests]
    assert urls == [f"{TG_API}/bot{BOT}:AAE-bot-token/{m}" for m in ("sendMessage", "sendPhoto", "sendDocument")]
    assert transport.bodies == [
        {
            "chat_id": 3527065,
            "text": "Hi Ann, we are on it. — Alice",
            "reply_parameters": {"message_id": 41, "allow_sending_without_reply": True},
        },
        {"chat_id": 3527065, "photo": "https://cdn.example.com/p.jpg"},
        {"chat_id": 3527065, "document": "https://cdn.example.com/d.pdf"},
    ]
    assert all("AAE-bot-token" not in r.safe_url and "AAE-bot-token" not in repr(r) for r in transport.requests)
    assert outcomes == [Accepted("3527065:42"), Accepted("3527065:43"), Accepted("3527065:44")]


# --- refusals before any call ---------------------------------------------------------------
@pytest.mark.parametrize(
    ("request_", "message"),
    [
        (reply_request(Channel.MESSENGER, text="x" * 2001), "at most 2000"),
        (reply_request(Channel.MESSENGER, mode=ReplyMode.PUBLIC), "always private"),
        (
            reply_request(Channel.FACEBOOK_COMMENT, mode=ReplyMode.PRIVATE, reply_to_id="c"),
            "private reply to the comment",
        ),
        (reply_request(Channel.FACEBOOK_COMMENT, reply_to_id=None), "needs the id of the comment"),
        (reply_request(Channel.X_POST, mode=ReplyMode.PRIVATE), "direct message"),
        (reply_request(Channel.X_POST, reply_to_id=None), "needs the id of the post"),
        (reply_request(Channel.MESSENGER, text="", attachments=()), "neither text nor attachments"),
        (reply_request(Channel.MESSENGER, attachments=[("image", "file:///etc/passwd")]), "not an http"),
        (reply_request(Channel.MESSENGER, account_id="999"), "no Meta access token"),
        (reply_request(Channel.X_DM, account_id="999"), "no X user token"),
        (reply_request(Channel.TELEGRAM, account_id="999"), "no Telegram bot token"),
    ],
)
def test_replies_that_cannot_go_out_are_refused_before_any_call(request_: OutboundRequest, message: str) -> None:
    with pytest.raises(ReplyRefused, match=message):
        plan(request_)


# --- answers: throttling, server errors, refusals -------------------------------------------
def interpret(channel: Channel, answer: HttpResponse) -> CallOutcome:
    request = reply_request(channel, reply_to_id="1", recipient_id="1")
    client = CLIENTS[channel]
    [call, *_] = client.plan(request, tag=None, credentials=CREDENTIALS)
    return client.interpret(call, answer, now_ms=NOW_MS)


@pytest.mark.parametrize("code", [4, 17, 32, 613, 80007, 130429, 131056])
def test_meta_rate_limit_codes_are_retryable_throttling(code: int) -> None:
    outcome = interpret(Channel.MESSENGER, meta_error(code, "Calls to this api have exceeded the rate limit."))
    assert isinstance(outcome, Retryable)
    assert outcome.throttled
    assert f"code {code}" in outcome.reason


def test_meta_usage_header_says_how_long_to_wait() -> None:
    usage = '{"104560123456789":[{"type":"messenger","call_count":100,"estimated_time_to_regain_access":3}]}'
    outcome = interpret(Channel.MESSENGER, meta_error(613, headers={"x_business_use_case_usage": usage}))
    assert isinstance(outcome, Retryable)
    assert outcome.retry_after_s == 180


@pytest.mark.parametrize(
    "answer",
    [
        meta_error(2, "An unexpected error has occurred. Please retry your request later.", status=500),
        meta_error(1, "An unknown error occurred"),
        meta_error(131000, "Something went wrong", is_transient=True),
        HttpResponse(502, {}, b"<html>Bad Gateway</html>"),
    ],
)
def test_meta_server_side_failures_are_retryable(answer: HttpResponse) -> None:
    assert isinstance(interpret(Channel.MESSENGER, answer), Retryable)


@pytest.mark.parametrize(
    ("channel", "answer", "reason"),
    [
        (Channel.MESSENGER, meta_error(10, "outside window", subcode=2018278), "outside the messaging window"),
        (Channel.WHATSAPP, meta_error(131047, "Re-engagement message"), "only an approved template"),
        (Channel.MESSENGER, meta_error(190, "Invalid OAuth access token"), "access token"),
        (Channel.MESSENGER, meta_error(100, "No matching user found", subcode=2018001), "No matching user found"),
        (Channel.MESSENGER, meta_error(200, "Requires pages_messaging permission"), "permission"),
        (Channel.FACEBOOK_COMMENT, meta_error(10900, "Activity already replied to"), "one private reply"),
    ],
)
def test_meta_refusals_are_terminal_with_a_reason_an_agent_can_read(
    channel: Channel, answer: HttpResponse, reason: str
) -> None:
    outcome = interpret(channel, answer)
    assert isinstance(outcome, Rejected)
    assert reason in outcome.reason


def test_x_429_waits_until_the_rate_limit_window_resets() -> None:
    reset = NOW_MS // 1000 + 42
    answer = response(
        429, {"title": "Too Many Requests", "status": 429}, x_rate_limit_reset=str(reset), x_rate_limit_remaining="0"
    )
    outcome = interpret(Channel.X_DM, answer)
    assert isinstance(outcome, Retryable)
    assert outcome.throttled
    assert outcome.retry_after_s == pytest.approx(42)


@pytest.mark.parametrize(
    ("answer", "kind", "reason"),
    [
        (response(503, {"title": "Service Unavailable"}), Retryable, "HTTP 503"),
        (response(401, {"title": "Unauthorized", "status": 401}), Rejected, "user token"),
        (
            response(403, {"detail": "You are not permitted to send Direct Messages to this user.", "status": 403}),
            Rejected,
            "not permitted to send Direct Messages",
        ),
        (
            response(400, {"errors": [{"message": "text is too long"}], "title": "Invalid Request"}),
            Rejected,
            "too long",
        ),
    ],
)
def test_x_answers(answer: HttpResponse, kind: type, reason: str) -> None:
    outcome = interpret(Channel.X_DM, answer)
    assert isinstance(outcome, kind)
    assert reason in outcome.reason


def test_telegram_429_honours_retry_after() -> None:
    answer = response(
        429,
        {
            "ok": False,
            "error_code": 429,
            "description": "Too Many Requests: retry after 7",
            "parameters": {"retry_after": 7},
        },
    )
    outcome = interpret(Channel.TELEGRAM, answer)
    assert isinstance(outcome, Retryable)
    assert (outcome.retry_after_s, outcome.throttled) == (7, True)


@pytest.mark.parametrize(
    ("answer", "kind", "reason"),
    [
        (
            response(403, {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user"}),
            Rejected,
            "blocked",
        ),
        (
            response(400, {"ok": False, "error_code": 400, "description": "Bad Request: chat not found"}),
            Rejected,
            "chat not found",
        ),
        (response(401, {"ok": False, "error_code": 401, "description": "Unauthorized"}), Rejected, "bot token"),
        (response(502, {"ok": False, "error_code": 502, "description": "Bad Gateway"}), Retryable, "HTTP 502"),
    ],
)
def test_telegram_answers(answer: HttpResponse, kind: type, reason: str) -> None:
    outcome = interpret(Channel.TELEGRAM, answer)
    assert isinstance(outcome, kind)
    assert reason in outcome.reason


# --- backoff ----------------------------------------------------------------------------------
def test_backoff_grows_exponentially_with_jitter_and_honours_the_platform_wait() -> None:
    low, high = Backoff(base_s=2, max_s=900, jitter=lambda: 0.0), Backoff(base_s=2, max_s=900, jitter=lambda: 0.999)
    assert [low.delay_s(n) for n in range(1, 6)] == [1, 2, 4, 8, 16]
    assert [high.delay_s(n) for n in range(1, 6)] == [2, 4, 8, 16, 32]
    assert low.delay_s(30) == 450  # capped at max_s, half of it at least
    assert low.delay_s(1, retry_after_s=7.2) == 9
    assert low.delay_s(1, retry_after_s=0) == 1
    assert low.delay_s(1, retry_after_s=10 * 3600) == 3600


def test_base_urls_are_the_real_platforms_by_default() -> None:
    urls = ReplyApiUrls()
    assert urls.meta_graph.startswith("https://graph.facebook.com/")
    assert urls.x_api == "https://api.x.com"
    assert urls.telegram_api == "https://api.telegram.org"
    [call] = reply_clients()[Channel.X_DM].plan(reply_request(Channel.X_DM), tag=None, credentials=CREDENTIALS)
    assert call.request.url.startswith("https://api.x.com/2/dm_conversations/with/")
    assert X_BRAND not in call.request.url
