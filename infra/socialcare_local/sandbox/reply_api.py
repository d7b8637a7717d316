"""The platform sandbox's reply side: Meta's Graph API, the X API and the Telegram Bot API on one
local HTTP server, started by ``LocalStack`` next to the webhook endpoints.

    stack.reply_api.calls(platform="meta")            # every call it received, in order
    stack.reply_api.throttle(2, platform="x")          # the next 2 X calls get 429 + rate-limit headers
    stack.reply_api.fail(1, status=503)                # the next call of any platform fails with a 503

=========================  ==========================================================================
base URL (function env)    routes
=========================  ==========================================================================
``META_GRAPH_URL``         ``{base}/graph/v21.0``: ``POST /{page, IG or phone number id}/messages``,
                           ``POST /{comment id}/comments`` (Facebook), ``POST /{comment id}/replies`` (Instagram)
``X_API_URL``              ``{base}/x``: ``POST /2/dm_conversations/with/{participant_id}/messages``, ``POST /2/tweets``
``TELEGRAM_API_URL``       ``{base}/telegram``: ``POST /bot<token>/sendMessage`` (and sendPhoto, sendDocument...)
operators                  ``GET {base}/_sandbox/calls[?platform=meta]``, ``POST {base}/_sandbox/throttle``,
                           ``POST {base}/_sandbox/fail`` (JSON ``{"count", "platform", "retry_after_s", "status"}``)
=========================  ==========================================================================

Each call is checked as the platform would check it (``graph_api``, ``x_api``, ``telegram_api``): the token must be
the account's configured page/user/bot token, required fields present, lengths within limits, the
recipient someone who wrote to the brand (within the messaging window), the comment one the
platform delivered. It is answered in the platform's shape and recorded. Then, like the platforms,
the sandbox sends the webhooks about what it accepted back to the stack, signed like any other
delivery: the message echo (Messenger, Instagram), the brand's own DM (X) or comment/post (public
replies), WhatsApp's ``sent`` and ``delivered`` statuses.
"""

from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from socialcare import constants as c

from socialcare_local.config import LocalConfig
from socialcare_local.emulator.local_http import LocalHttpServer, RequestHandler
from socialcare_local.emulator.logs import get_logger
from socialcare_local.sandbox.graph_api import MetaGraph
from socialcare_local.sandbox.platform_api import PlatformApi
from socialcare_local.sandbox.platform_state import PlatformState, messenger_id_for, wall_clock_ms
from socialcare_local.sandbox.reply_platforms import Answer, Echo, Fault, Incoming, PlatformIds
from socialcare_local.sandbox.telegram_api import TelegramBotApi
from socialcare_local.sandbox.x_api import XApi

log = get_logger("reply_api")

GRAPH_VERSION = "v21.0"
MAX_BODY_BYTES = 1024 * 1024
MAX_CALLS_WAIT_S = 30.0  # the longest GET /_sandbox/calls?wait= holds a request


@dataclass
class RecordedCall:
    """One call the sandbox received, as a test or the demo inspects it (tokens never kept)."""

    platform: str  # meta, x, telegram
    endpoint: str  # messenger, instagram_dm, private_reply, facebook_comment_reply, instagram_comment_reply,
    #                facebook_comment_hide, instagram_comment_hide, whatsapp, x_dm, x_reply, telegram
    #                ("" when the call was refused before it was known)
    method: str
    path: str  # Telegram's token replaced by <token>
    body: Any  # the JSON body (or its text when it was not JSON)
    status: int
    response: Any
    account_id: str | None = None
    message_id: str | None = None
    fault: str | None = None  # "throttle" / "fail" when an injected fault answered it
    at_ms: int = 0
    echoes: list[tuple[str, int]] = field(default_factory=list)  # (label, the stack's HTTP status)

    @property
    def accepted(self) -> bool:
        return 200 <= self.status < 300

    @property
    def recipient(self) -> str | None:
        """Who or what the call answers, as the platform names it: a user id (PSID, IGSID, WhatsApp
        number, X user, Telegram chat) or, for a comment or post reply, ``comment <id>`` / ``post <id>``."""
        body = self.body if isinstance(self.body, dict) else {}
        segments = [s for s in self.path.split("/") if s]
        if self.endpoint in ("messenger", "instagram_dm"):
            return _text_at(body, "recipient", "id")
        if self.endpoint == "private_reply":
            comment = _text_at(body, "recipient", "comment_id")
            return f"comment {comment}" if comment else None
        if self.endpoint in ("facebook_comment_reply", "instagram_comment_reply") and len(segments) >= 2:
            return f"comment {segments[-2]}"
        if self.endpoint in ("facebook_comment_hide", "instagram_comment_hide") and segments:
            return f"comment {segments[-1]}"
        if self.endpoint == "whatsapp":
            return _text_at(body, "to")
        if self.endpoint == "x_dm" and len(segments) >= 2:
            return segments[-2]
        if self.endpoint == "x_reply":
            post = _text_at(body, "reply", "in_reply_to_tweet_id")
            return f"post {post}" if post else None
        if self.endpoint == "telegram":
            return _text_at(body, "chat_id")
        return None

    @property
    def text(self) -> str | None:
        """What the customer reads: the message text, a WhatsApp template's name, or the media URL."""
        body = self.body if isinstance(self.body, dict) else {}
        if self.endpoint in ("messenger", "instagram_dm", "private_reply"):
            message = body.get("message")
            if isinstance(message, dict) and "text" in message:
                return _text_at(message, "text")
            url = _text_at(message, "attachment", "payload", "url")
            return f"[{_text_at(message, 'attachment', 'type')}] {url}" if url else None
        if self.endpoint in ("facebook_comment_reply", "instagram_comment_reply"):
            return _text_at(body, "message")
        if self.endpoint == "whatsapp":
            kind = body.get("type", "text")
            if kind == "text":
                return _text_at(body, "text", "body")
            if kind == "template":
                name, language = _text_at(body, "template", "name"), _text_at(body, "template", "language", "code")
                return f"[template {name} ({language})]"
            return f"[{kind}] {_text_at(body, kind, 'link')}"
        return _text_at(body, "text") or _text_at(body, "caption")


def _text_at(doc: Any, *path: str) -> str | None:
    for key in path:
        if not isinstance(doc, dict):
            return None
        doc = doc.get(key)
    return None if doc is None or isinstance(doc, (dict, list)) else str(doc)


@dataclass
class _FaultRule:
    fault: Fault
    platform: str | None
    remaining: int


class ReplyApi:
    def __init__(
        self,
        config: LocalConfig,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        clock: Callable[[], int] = wall_clock_ms,
        echo_delay_s: float = 0.05,
        webhook_base_url: str | None = None,
    ) -> None:
        self.config = config
        self.state = PlatformState(config, clock=clock)
        self.echo_delay_s = echo_delay_s
        self.webhook_base_url = webhook_base_url
        ids = PlatformIds()
        self._platforms: dict[str, PlatformApi] = {
            "graph": MetaGraph(config, self.state, ids),
            "x": XApi(config, self.state, ids),
            "telegram": TelegramBotApi(config, self.state, ids),
        }
        self._lock = threading.Lock()
        self._calls: list[RecordedCall] = []
        self._faults: list[_FaultRule] = []
        self._echo_queue: queue.Queue[tuple[RecordedCall, Echo] | None] = queue.Queue()
        self._echoes_pending = 0
        self._sandbox: Any = None
        self._http = LocalHttpServer(
            _Handler, owner=self, host=host, port=port, name="reply-api", what="the platform reply APIs (--reply-port)"
        )
        self._echo_thread: threading.Thread | None = None

    # --- lifecycle ----------------------------------------------------------------------------
    def start(self) -> ReplyApi:
        self._http.start()
        self._echo_thread = threading.Thread(target=self._send_echoes, name="reply-api-echoes", daemon=True)
        self._echo_thread.start()
        log.info("platform reply APIs listening", extra={"base_url": self.base_url})
        return self

    def stop(self) -> None:
        self._echo_queue.put(None)
        self._http.stop()
        if self._echo_thread is not None:
            self._echo_thread.join(timeout=5)
            self._echo_thread = None
        if self._sandbox is not None:
            self._sandbox.close()
        log.info("platform reply APIs stopped", extra={"base_url": self.base_url})

    # --- where it is --------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return self._http.base_url

    @property
    def meta_graph_url(self) -> str:
        return f"{self.base_url}/graph/{GRAPH_VERSION}"

    @property
    def x_api_url(self) -> str:
        return f"{self.base_url}/x"

    @property
    def telegram_api_url(self) -> str:
        return f"{self.base_url}/telegram"

    def environment(self) -> dict[str, str]:
        """The functions' base URLs of the platforms, pointing here."""
        return {
            c.ENV_META_GRAPH_URL: self.meta_graph_url,
            c.ENV_X_API_URL: self.x_api_url,
            c.ENV_TELEGRAM_API_URL: self.telegram_api_url,
        }

    # --- what tests and the demo use ----------------------------------------------------------
    def calls(self, platform: str | None = None, endpoint: str | None = None) -> list[RecordedCall]:
        with self._lock:
            return [
                call
                for call in self._calls
                if (platform is None or call.platform == platform) and (endpoint is None or call.endpoint == endpoint)
            ]

    def throttle(self, count: int = 1, *, platform: str | None = None, retry_after_s: float = 1.0) -> None:
        """The next ``count`` calls (of ``platform``, or any) are rate-limited the platform's way."""
        self._add_fault(Fault("throttle", retry_after_s=retry_after_s), platform, count)

    def fail(self, count: int = 1, *, platform: str | None = None, status: int = 500) -> None:
        """The next ``count`` calls fail with ``status`` (5xx: the platform's transient error)."""
        self._add_fault(Fault("fail", status=status), platform, count)

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def observe(self, platform: str, body: bytes, headers: Any = None) -> None:
        """Learn from a webhook delivery the sandbox made (the customer messages it can answer)."""
        self.state.observe(platform, body, headers)

    def messenger_id_for(self, commenter_id: str, page_id: str | None = None) -> str:
        """The Messenger id (PSID) a private reply to this Facebook commenter reaches."""
        page = page_id or self.config.accounts.facebook_page_id
        assert page is not None, "no Facebook page is configured"
        return messenger_id_for(page, commenter_id)

    def is_idle(self) -> bool:
        with self._lock:
            return self._echoes_pending == 0

    def set_webhook_base_url(self, url: str) -> None:
        self.webhook_base_url = url.rstrip("/")

    # --- internals ----------------------------------------------------------------------------
    def _add_fault(self, fault: Fault, platform: str | None, count: int) -> None:
        if platform not in (None, "meta", "x", "telegram"):
            raise ValueError(f"unknown platform {platform!r}; use meta, x or telegram")
        if count < 1:
            raise ValueError("count must be at least 1")
        with self._lock:
            self._faults.append(_FaultRule(fault, platform, count))

    def _take_fault(self, platform: str) -> Fault | None:
        with self._lock:
            for rule in self._faults:
                if rule.platform in (None, platform):
                    rule.remaining -= 1
                    if rule.remaining <= 0:
                        self._faults.remove(rule)
                    return rule.fault
        return None

    def serve(self, incoming: Incoming) -> tuple[RecordedCall | None, Answer]:
        segments = [s for s in incoming.path.split("/") if s]
        if segments and segments[0] == "_sandbox":
            return None, self._operator(incoming, segments[1:])
        root = segments[0] if segments else ""
        platform = {"graph": "meta", "x": "x", "telegram": "telegram"}.get(root)
        if platform is None:
            return None, Answer(404, {"message": "no such platform API here; see /graph, /x, /telegram"})
        answer = self._platforms[root].handle(incoming, segments[1:], self._take_fault)
        path = incoming.path
        if platform == "telegram" and len(segments) > 1:
            path = "/" + "/".join(["telegram", "bot<token>", *segments[2:]])
        try:
            body: Any = incoming.json()
        except ValueError:
            body = incoming.body.decode("utf-8", "replace")
        call = RecordedCall(
            platform=platform,
            endpoint=answer.endpoint,
            method=incoming.method,
            path=path,
            body=body,
            status=answer.status,
            response=answer.doc,
            account_id=answer.account_id,
            message_id=answer.message_id,
            fault=answer.fault,
            at_ms=self.state.clock(),
        )
        with self._lock:
            self._calls.append(call)
            self._echoes_pending += len(answer.echoes)
        for echo in answer.echoes:
            self._echo_queue.put((call, echo))
        return call, answer

    def _operator(self, incoming: Incoming, segments: list[str]) -> Answer:
        """Inspect and steer the sandbox over HTTP (``socialcare local`` users, the demo)."""
        action = segments[0] if segments else ""
        if incoming.method == "GET" and action == "calls":
            return self._calls_answer(incoming.query)
        if incoming.method == "POST" and action in ("throttle", "fail"):
            try:
                doc = incoming.json() or {}
                count = int(doc.get("count", 1))
                platform = doc.get("platform")
                if action == "throttle":
                    self.throttle(count, platform=platform, retry_after_s=float(doc.get("retry_after_s", 1.0)))
                else:
                    self.fail(count, platform=platform, status=int(doc.get("status", 500)))
            except (ValueError, TypeError, AttributeError) as exc:
                return Answer(400, {"error": str(exc)})
            return Answer(200, {"status": "armed", "action": action, "count": count, "platform": platform})
        if incoming.method == "POST" and action == "deliveries" and len(segments) == 2:
            return self._observed(segments[1], incoming)
        return Answer(
            404,
            {
                "error": "use GET /_sandbox/calls, POST /_sandbox/throttle, POST /_sandbox/fail "
                "or POST /_sandbox/deliveries/{meta,x,telegram}"
            },
        )

    def _calls_answer(self, query: Mapping[str, str]) -> Answer:
        """``GET /_sandbox/calls[?platform=..][&endpoint=..][&wait=S]``: the calls received; with
        ``wait``, answered as soon as one matches, or after S seconds (at most 30) with none."""
        platform, endpoint = query.get("platform"), query.get("endpoint")
        try:
            wait_s = min(float(query.get("wait") or 0), MAX_CALLS_WAIT_S)
        except ValueError:
            return Answer(400, {"error": "wait must be a number of seconds"})
        deadline = time.monotonic() + wait_s
        calls = self.calls(platform, endpoint)
        while not calls and time.monotonic() < deadline:
            time.sleep(0.1)
            calls = self.calls(platform, endpoint)
        return Answer(200, {"calls": [asdict(call) for call in calls]})

    def _observed(self, platform: str, incoming: Incoming) -> Answer:
        """``POST /_sandbox/deliveries/{platform}``: a delivery made to the webhooks from outside the
        sandbox (``socialcare customer``), body and headers as sent; the customers in it become known,
        so replies to them are accepted."""
        if platform not in ("meta", "x", "telegram"):
            return Answer(400, {"error": f"unknown platform {platform!r}; use meta, x or telegram"})
        self.observe(platform, incoming.body, incoming.headers)
        return Answer(200, {"status": "observed", "platform": platform})

    def _send_echoes(self) -> None:
        while True:
            job = self._echo_queue.get()
            if job is None:
                return
            call, echo = job
            try:
                if self.echo_delay_s:
                    time.sleep(self.echo_delay_s)
                status = self._deliver(echo)
            except Exception:  # the stack may be stopping; an echo is best effort, like the platforms'
                log.warning("echo webhook could not be delivered", extra={"label": echo.label}, exc_info=True)
                status = 0
            with self._lock:
                call.echoes.append((echo.label, status))
                self._echoes_pending -= 1

    def _deliver(self, echo: Echo) -> int:
        if self.webhook_base_url is None:
            return 0
        if self._sandbox is None:
            from socialcare_local.sandbox.client import Sandbox

            self._sandbox = Sandbox(self.webhook_base_url, self.config)
        delivery = getattr(self._sandbox, echo.platform)(echo.payload, label=echo.label)
        response = self._sandbox.send(delivery)
        log.info("echo webhook sent", extra={"label": echo.label, "status": response.status_code})
        return int(response.status_code)


class _Handler(RequestHandler):
    server_version = "socialcare-platform-sandbox"

    def handle_request(self) -> None:
        started = time.monotonic()
        split = urlsplit(self.path)
        body = self.read_body(MAX_BODY_BYTES)
        if body is None:
            self._send(Answer(413, {"error": "request too large"}))
            self.close_connection = True
            return
        incoming = Incoming(
            method=self.command,
            path=split.path,
            query=dict(parse_qsl(split.query, keep_blank_values=True)),
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
        )
        try:
            call, answer = self.server.owner.serve(incoming)
        except Exception:
            log.exception("reply API failed")
            answer, call = Answer(500, {"error": "sandbox failure"}), None
        self._send(answer)
        if call is not None:
            log.info(
                "platform call",
                extra={
                    "platform": call.platform,
                    "endpoint": call.endpoint,
                    "status": call.status,
                    "fault": call.fault,
                    "account_id": call.account_id,
                    "elapsed_ms": round((time.monotonic() - started) * 1000, 1),
                },
            )

    def _send(self, answer: Answer) -> None:
        payload = json.dumps(answer.doc, ensure_ascii=False).encode("utf-8")
        headers = {"Content-Type": "application/json; charset=UTF-8", **answer.headers}
        self.send_payload(answer.status, headers, payload)
