"""What every HTTP endpoint of the local stack shares: a threaded server on 127.0.0.1, run in a daemon
thread, whose request handler answers every method through one ``handle_request``; and the in-process
function an API Gateway (or function URL) stand-in invokes, one event at a time.

Used by the webhook function URL, the agent API gateway (REST API) and the platform sandbox's
reply APIs; ``GatewayRequestHandler`` is what the function URL and API Gateway stand-ins' requests share.
"""

from __future__ import annotations

import base64
import errno
import logging
import threading
import time
import uuid
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import MappingProxyType
from typing import Any, ClassVar
from urllib.parse import SplitResult, urlsplit

from socialcare_local.emulator.aws import PortInUse
from socialcare_local.emulator.functions import FunctionEnvironments, Handler, LambdaContext
from socialcare_local.emulator.logs import get_logger

log = get_logger("http")

# Connections each server lets wait to be accepted.
LISTEN_BACKLOG = 512

# API Gateway's own limit on a request body (a function URL's is lower: it says its own), and what
# either answers, itself, to a body over it.
API_GATEWAY_MAX_BODY_BYTES = 10 * 1024 * 1024
TOO_LARGE = b'{"message":"Request Entity Too Large"}'
JSON_CONTENT: Mapping[str, str] = MappingProxyType({"content-type": "application/json"})


def event_body(body: bytes) -> tuple[str, bool]:
    """A request body as API Gateway puts it into an event: (text, False), or (base64, True) when
    the body is not UTF-8."""
    try:
        return body.decode("utf-8"), False
    except UnicodeDecodeError:
        return base64.b64encode(body).decode("ascii"), True


class LocalHttpServer:
    """``handler_class`` served on ``host``:``port`` (0 = any free port); ``owner`` is what its
    requests reach as ``self.server.owner``; ``what`` names the server (and its option) when its
    port is taken."""

    def __init__(
        self,
        handler_class: type[RequestHandler],
        *,
        owner: Any,
        host: str = "127.0.0.1",
        port: int = 0,
        name: str,
        what: str = "",
    ) -> None:
        self.name = name
        try:
            self._server = _Server((host, port), handler_class)
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE:
                raise
            raise PortInUse(f"{host}:{port} is already in use; choose another port for {what or name}") from exc
        self._server.owner = owner
        self._thread: threading.Thread | None = None

    @property
    def host(self) -> str:
        return str(self._server.server_address[0])

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name=self.name, daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # Connections waiting to be accepted: the default backlog of 5 reset most of 100 simultaneous
    # clients (a platform's burst of retries, a load test); the kernel caps it at somaxconn.
    request_queue_size = LISTEN_BACKLOG
    owner: Any


class RequestHandler(BaseHTTPRequestHandler):
    """Every method goes to ``handle_request``; access lines are the subclass's JSON logs."""

    protocol_version = "HTTP/1.1"
    server: _Server

    def handle_request(self) -> None:
        raise NotImplementedError

    def _any_method(self) -> None:
        self.handle_request()

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _any_method

    def log_message(self, format: str, *args: Any) -> None:
        """Silenced: the subclasses log each request as JSON (without secrets in paths)."""

    def read_body(self, limit: int) -> bytes | None:
        """The request body (``Content-Length`` or chunked); None when it is over ``limit`` bytes."""
        if "chunked" in (self.headers.get("transfer-encoding") or "").lower():
            return self._read_chunked(limit)
        length = int(self.headers.get("content-length") or 0)
        if length > limit:
            return None
        return self.rfile.read(length) if length else b""

    def _read_chunked(self, limit: int) -> bytes | None:
        parts: list[bytes] = []
        total = 0
        while True:
            size_line = self.rfile.readline(1024).split(b";", 1)[0].strip()
            size = int(size_line or b"0", 16)
            if size == 0:
                while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                break
            total += size
            if total > limit:
                return None
            parts.append(self.rfile.read(size))
            self.rfile.readline(8)  # CRLF after each chunk
        return b"".join(parts)

    def send_payload(
        self,
        status: int,
        headers: Mapping[str, str],
        payload: bytes,
        *,
        cookies: list[str] | tuple[str, ...] = (),
        extra: Mapping[str, str] | None = None,
    ) -> None:
        """Answer with ``payload``; framing headers are this server's own, never the function's."""
        self.send_response(status)
        for name, value in headers.items():
            if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                self.send_header(name, value)
        for cookie in cookies:
            self.send_header("Set-Cookie", cookie)
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)


class GatewayRequestHandler(RequestHandler):
    """A request to an API Gateway (or function URL) stand-in: its body read within ``max_body_bytes``
    (413 beyond it, before the function runs), routed and made the function's event (``event``, the subclass),
    the function invoked and its result made the response (``response``); one access line is
    logged whatever happens, with the status last answered (500 if none)."""

    log: ClassVar[logging.Logger]
    access_message: ClassVar[str]  # the access line's message
    request_id_header: ClassVar[str]  # the response header naming the request id
    failure_message: ClassVar[str]  # logged when the function raises
    function_failed: ClassVar[tuple[int, bytes]]  # what the service in front answers then
    max_body_bytes: ClassVar[int] = API_GATEWAY_MAX_BODY_BYTES
    _request_id = ""
    _status = 500

    def new_request_id(self) -> str:
        return str(uuid.uuid4())

    def event(self, split: SplitResult, body: bytes) -> dict[str, Any] | None:
        """The function's event; None when the request was answered without it (no such route...)."""
        raise NotImplementedError

    def response(self, result: Any) -> tuple[int, dict[str, str], bytes, list[str]]:
        """The function's result as API Gateway answers it: status, headers, payload, cookies."""
        raise NotImplementedError

    def failure_fields(self, event: dict[str, Any]) -> dict[str, Any]:
        return {}

    def answer(self, split: SplitResult, body: bytes) -> None:
        event = self.event(split, body)
        if event is None:
            return
        try:
            result = self.server.owner.invoke(event)
        except Exception:
            extra = {"correlation_id": self._request_id, **self.failure_fields(event)}
            self.log.exception(self.failure_message, extra=extra)
            status, payload = self.function_failed
            self.respond(status, JSON_CONTENT, payload)
            return
        self.respond(*self.response(result))

    def access_fields(self) -> dict[str, Any]:
        """The subclass's own fields of the access line (what it routed the request to)."""
        return {}

    def handle_request(self) -> None:
        started = time.monotonic()
        self._request_id = self.new_request_id()
        self._status = 500
        split = urlsplit(self.path)
        try:
            body = self.read_body(self.max_body_bytes)
            if body is None:
                self.respond(413, JSON_CONTENT, TOO_LARGE)
                self.close_connection = True
                return
            self.answer(split, body)
        finally:
            fields: dict[str, Any] = {"correlation_id": self._request_id, "method": self.command, "path": split.path}
            fields |= self.access_fields()
            fields["status"] = self._status
            fields["elapsed_ms"] = round((time.monotonic() - started) * 1000, 1)
            self.log.info(self.access_message, extra=fields)

    def respond(
        self, status: int, headers: Mapping[str, str], payload: bytes, cookies: list[str] | None = None
    ) -> None:
        self._status = status
        self.send_payload(
            status, headers, payload, cookies=cookies or (), extra={self.request_id_header: self._request_id}
        )

    def domain_name(self, gateway: FunctionGateway) -> str:
        """The Host the request was sent to, as API Gateway puts it into the event."""
        return self.headers.get("host") or f"{gateway.host}:{gateway.port}"


class InProcessFunction:
    """A Lambda function run in this process, in its execution environments (``FunctionEnvironments``):
    each runs one invocation at a time, since Powertools and Chalice keep the current event in
    module globals. A plain handler is one environment, so its invocations take turns."""

    def __init__(
        self, handler: Handler | FunctionEnvironments, *, function_name: str, region: str, timeout_s: float
    ) -> None:
        self.environments = FunctionEnvironments.of(handler)
        self.function_name = function_name
        self.region = region
        self.timeout_s = timeout_s

    def invoke(self, event: dict[str, Any]) -> Any:
        context = LambdaContext(function_name=self.function_name, region=self.region, timeout_s=self.timeout_s)
        return self.environments.invoke(event, context)


class FunctionGateway:
    """An API Gateway stand-in: ``handler_class`` serves HTTP on ``host``:``port`` and invokes the
    function (``invoke``); ``what`` names it in the logs, ``port_label`` when its port is taken."""

    def __init__(
        self,
        handler_class: type[RequestHandler],
        function: InProcessFunction,
        *,
        host: str,
        port: int,
        name: str,
        what: str,
        port_label: str = "",
    ) -> None:
        self.function = function
        self._what = what
        self._http = LocalHttpServer(handler_class, owner=self, host=host, port=port, name=name, what=port_label)

    @property
    def function_name(self) -> str:
        return self.function.function_name

    @property
    def host(self) -> str:
        return self._http.host

    @property
    def port(self) -> int:
        return self._http.port

    @property
    def base_url(self) -> str:
        return self._http.base_url

    def start(self) -> None:
        self._http.start()
        log.info(f"{self._what} listening", extra={"base_url": self.base_url})

    def stop(self) -> None:
        self._http.stop()
        log.info(f"{self._what} stopped", extra={"base_url": self.base_url})

    def invoke(self, event: dict[str, Any]) -> Any:
        return self.function.invoke(event)
