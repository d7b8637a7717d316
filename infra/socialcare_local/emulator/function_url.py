"""The local stand-in for the webhook function's URL (a Lambda function URL in AWS).

Every request, whatever its path and method, becomes the event a function URL sends (payload format
2.0: ``routeKey`` "$default", no ``pathParameters``, ``requestContext.domainName``
``<url-id>.lambda-url.<region>.on.aws``), the request bytes reaching the function unchanged: a body
that is valid UTF-8 travels as that exact string, anything else base64-encoded with
``isBase64Encoded: true``. The function routes it (404 for any other path, 405 for any other method).
Bodies above a function URL's 6 MB request limit are refused with 413 before the function runs (the
function applies the system's lower limit); a function that raises is answered 502.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
import uuid
from collections.abc import Mapping
from typing import Any
from urllib.parse import SplitResult, parse_qsl, urlsplit

from socialcare.webhook.paths import platform_of

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

log = get_logger("function-url")

# The function URL's id: the first label of its domain (AWS makes a 32-character one).
URL_ID = "local0webhook0function0url000000"
# A function URL's limit on a BUFFERED request body.
FUNCTION_URL_MAX_BODY_BYTES = 6 * 1024 * 1024


def function_url_domain(region: str = "us-east-1") -> str:
    return f"{URL_ID}.lambda-url.{region}.on.aws"


class WebhookFunctionUrl(FunctionGateway):
    """An HTTP server on ``host``:``port`` (0 = any free port) invoking ``handler`` for every request."""

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
            name="webhook-function-url",
            what="webhook endpoints",
            port_label="the webhook endpoints (--port)",
        )


class _RequestHandler(GatewayRequestHandler):
    server_version = "socialcare-local-function-url"
    log = log
    access_message = "http request"
    request_id_header = "x-amzn-requestid"
    failure_message = "webhook function failed"
    function_failed = (502, b'{"message":"Internal Server Error"}')
    max_body_bytes = FUNCTION_URL_MAX_BODY_BYTES

    def event(self, split: SplitResult, body: bytes) -> dict[str, Any] | None:
        gateway: WebhookFunctionUrl = self.server.owner
        return build_function_url_event(
            method=self.command,
            raw_path=split.path,
            raw_query=split.query,
            headers=[(name, value) for name, value in self.headers.items()],
            body=body,
            source_ip=self.client_address[0],
            request_id=self._request_id,
            region=gateway.function.region,
        )

    def response(self, result: Any) -> tuple[int, dict[str, str], bytes, list[str]]:
        return shape_response(result)

    def failure_fields(self, event: dict[str, Any]) -> dict[str, Any]:
        return {"path": event["rawPath"]}

    def access_fields(self) -> dict[str, Any]:
        return {
            "platform": platform_of(urlsplit(self.path).path),
            "bytes_in": int(self.headers.get("content-length") or 0),
        }


def build_function_url_event(
    *,
    method: str,
    raw_path: str,
    raw_query: str,
    headers: list[tuple[str, str]],
    body: bytes,
    source_ip: str = "127.0.0.1",
    request_id: str | None = None,
    region: str = "us-east-1",
    now_ms: int | None = None,
) -> dict[str, Any]:
    """The event a Lambda function URL (auth type NONE) sends for ``{method} {raw_path}?{raw_query}``."""
    now_ms = now_ms if now_ms is not None else time.time_ns() // 1_000_000
    domain = function_url_domain(region)

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
        "routeKey": "$default",
        "rawPath": raw_path,
        "rawQueryString": raw_query,
        "headers": merged,
        "requestContext": {
            "accountId": MOTO_ACCOUNT_ID,
            "apiId": URL_ID,
            "domainName": domain,
            "domainPrefix": URL_ID,
            "http": {
                "method": method,
                "path": raw_path,
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": merged.get("user-agent", ""),
            },
            "requestId": request_id or str(uuid.uuid4()),
            "routeKey": "$default",
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now_ms / 1000)),
            "timeEpoch": now_ms,
        },
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
    """Turn a function's return value into an HTTP response, as a function URL does."""
    if not isinstance(result, Mapping) or "statusCode" not in result:
        # Anything else is inferred as a response: 200 with the value as JSON.
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
            return 502, dict(JSON_CONTENT), b'{"message":"Internal Server Error"}', []
    else:
        payload = (body if isinstance(body, str) else json.dumps(body)).encode("utf-8")
    cookies = [str(cookie) for cookie in result.get("cookies") or ()]
    return int(result["statusCode"]), headers, payload, cookies
