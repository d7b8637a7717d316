"""The local stand-in for API Gateway (HTTP API): webhook routes in front of the webhook function.

``GET /webhooks/{platform}`` and ``POST /webhooks/{platform}`` become payload-format-2.0 events, the
request bytes reaching the function unchanged: a body that is valid UTF-8 travels as that exact
string, anything else base64-encoded with ``isBase64Encoded: true``. Any other route is answered the
way API Gateway answers it: 404 ``{"message":"Not Found"}``. Bodies above API Gateway's own 10 MB
limit are refused with 413 before the function runs; the function applies the system's lower limit.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
import uuid
from collections.abc import Mapping
from typing import Any
from urllib.parse import SplitResult, parse_qsl, unquote, urlsplit

from socialcare_local.emulator.aws import MOTO_ACCOUNT_ID
from socialcare_local.emulator.functions import FunctionEnvironments, Handler
from socialcare_local.emulator.local_http import (
    JSON_CONTENT,
    FunctionGateway,
    GatewayRequestHandler,
    InProcessFunction,
    event_body,
)
from socialcare_local.emulator.logs import get_logger

log = get_logger("gateway")

ROUTE_PREFIX = "/webhooks/"
ROUTE_METHODS = ("GET", "POST")
API_ID = "local"


class WebhookGateway(FunctionGateway):
    """An HTTP server on ``host``:``port`` (0 = any free port) routing webhooks to ``handler``."""

    def __init__(
        self,
        handler: Handler | FunctionEnvironments,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        function_name: str = "socialcare-webhook",
        region: str = "us-east-1",
        function_timeout_s: float = 30.0,
    ) -> None:
        function = InProcessFunction(handler, function_name=function_name, region=region, timeout_s=function_timeout_s)
        super().__init__(
            _RequestHandler,
            function,
            host=host,
            port=port,
            name="webhook-gateway",
            what="webhook endpoints",
            port_label="the webhook endpoints (--port)",
        )


class _RequestHandler(GatewayRequestHandler):
    server_version = "socialcare-local-gateway"
    log = log
    access_message = "http request"
    request_id_header = "apigw-requestid"
    failure_message = "webhook function failed"
    function_failed = (500, b'{"message":"Internal Server Error"}')

    def new_request_id(self) -> str:
        return _new_request_id()

    def event(self, split: SplitResult, body: bytes) -> dict[str, Any] | None:
        gateway: WebhookGateway = self.server.owner
        platform = _platform_of(split.path)
        if platform is None or self.command not in ROUTE_METHODS:
            self.respond(404, JSON_CONTENT, b'{"message":"Not Found"}')
            return None
        return build_http_api_event(
            method=self.command,
            raw_path=split.path,
            raw_query=split.query,
            headers=[(name, value) for name, value in self.headers.items()],
            body=body,
            platform=platform,
            source_ip=self.client_address[0],
            request_id=self._request_id,
            domain_name=self.domain_name(gateway),
        )

    def response(self, result: Any) -> tuple[int, dict[str, str], bytes, list[str]]:
        return shape_response(result)

    def failure_fields(self, event: dict[str, Any]) -> dict[str, Any]:
        return {"route": event["routeKey"]}

    def access_fields(self) -> dict[str, Any]:
        return {
            "platform": _platform_of(urlsplit(self.path).path),
            "bytes_in": int(self.headers.get("content-length") or 0),
        }


def build_http_api_event(
    *,
    method: str,
    raw_path: str,
    raw_query: str,
    headers: list[tuple[str, str]],
    body: bytes,
    platform: str,
    source_ip: str = "127.0.0.1",
    request_id: str | None = None,
    domain_name: str = "127.0.0.1",
    now_ms: int | None = None,
) -> dict[str, Any]:
    """An API Gateway HTTP API payload-format-2.0 event for the route ``{method} /webhooks/{platform}``."""
    now_ms = now_ms if now_ms is not None else time.time_ns() // 1_000_000
    request_id = request_id or _new_request_id()
    route_key = f"{method} {ROUTE_PREFIX}{{platform}}"

    merged: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in headers:
        key = name.lower()
        if key == "cookie":
            cookies.extend(part.strip() for part in value.split(";") if part.strip())
            continue
        merged[key] = f"{merged[key]},{value}" if key in merged else value

    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": raw_path,
        "rawQueryString": raw_query,
        "headers": merged,
        "requestContext": {
            "accountId": MOTO_ACCOUNT_ID,
            "apiId": API_ID,
            "domainName": domain_name,
            "domainPrefix": domain_name.split(".", 1)[0],
            "http": {
                "method": method,
                "path": raw_path,
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": merged.get("user-agent", ""),
            },
            "requestId": request_id,
            "routeKey": route_key,
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now_ms / 1000)),
            "timeEpoch": now_ms,
        },
        "pathParameters": {"platform": platform},
        "isBase64Encoded": False,
    }
    if cookies:
        event["cookies"] = cookies
    if raw_query:
        params: dict[str, str] = {}
        for key, value in parse_qsl(raw_query, keep_blank_values=True):
            params[key] = f"{params[key]},{value}" if key in params else value
        event["queryStringParameters"] = params
    if body:
        event["body"], event["isBase64Encoded"] = event_body(body)
    return event


def shape_response(result: Any) -> tuple[int, dict[str, str], bytes, list[str]]:
    """Turn a function's return value into an HTTP response, as API Gateway does for format 2.0."""
    if not isinstance(result, Mapping) or "statusCode" not in result:
        # Format 2.0 infers a response from anything else: 200 with the value as JSON.
        text = result if isinstance(result, str) else json.dumps(result)
        return 200, {"content-type": "application/json"}, text.encode("utf-8"), []
    headers = {str(k): str(v) for k, v in (result.get("headers") or {}).items()}
    if not any(k.lower() == "content-type" for k in headers):
        headers["content-type"] = "application/json"
    body = result.get("body")
    payload: bytes
    if body is None:
        payload = b""
    elif result.get("isBase64Encoded"):
        try:
            payload = base64.b64decode(body)
        except (binascii.Error, TypeError):
            return 502, {"content-type": "application/json"}, b'{"message":"Internal Server Error"}', []
    else:
        payload = (body if isinstance(body, str) else json.dumps(body)).encode("utf-8")
    cookies = [str(cookie) for cookie in result.get("cookies") or ()]
    return int(result["statusCode"]), headers, payload, cookies


def _platform_of(path: str) -> str | None:
    """The ``{platform}`` path parameter, when ``path`` matches ``/webhooks/{platform}``."""
    if not path.startswith(ROUTE_PREFIX):
        return None
    rest = path[len(ROUTE_PREFIX) :]
    if not rest or "/" in rest:
        return None
    return unquote(rest)


def _new_request_id() -> str:
    # API Gateway's ids look like "JKJaXmPLvHcESHA="; any unique string does.
    return base64.b64encode(uuid.uuid4().bytes[:10]).decode("ascii")
