"""The local stand-in for API Gateway (REST API) in front of the agent API, with its Cognito authorizer.

Requests are matched against the app's resources (``/cases/{case_id}/claim``...). On a route with
the authorizer, the ``Authorization`` header (the token, optionally after ``Bearer``) is verified as
the Cognito authorizer verifies an ID token — signature, expiry, issuer, ``token_use`` — and a
failure is answered as API Gateway answers it: 401 ``{"message":"Unauthorized"}``, without invoking
the function. Otherwise the request becomes a payload-format-1.0 (REST proxy) event whose
``requestContext.authorizer.claims`` holds the token's claims as API Gateway passes them (every
value a string), and the app runs as a Lambda handler. An unknown resource or method is answered
403 ``{"message":"Missing Authentication Token"}``, as a REST API does; a crashed function 502.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from typing import Any
from urllib.parse import SplitResult, parse_qsl, unquote

from socialcare_local.emulator.aws import MOTO_ACCOUNT_ID
from socialcare_local.emulator.function_url import shape_response
from socialcare_local.emulator.functions import FunctionEnvironments, Handler
from socialcare_local.emulator.local_http import (
    JSON_CONTENT,
    FunctionGateway,
    GatewayRequestHandler,
    InProcessFunction,
    event_body,
)
from socialcare_local.emulator.logs import get_logger
from socialcare_local.emulator.tokens import LOCAL_ISSUER, TokenInvalid, gateway_claims, verify_token

log = get_logger("api_gateway")

API_ID = "localapi"
STAGE = "local"
UNAUTHORIZED = b'{"message":"Unauthorized"}'
MISSING_TOKEN = b'{"message":"Missing Authentication Token"}'


class ResourceMatcher:
    """Finds the resource a path belongs to; literal segments win over ``{parameters}``."""

    def __init__(self, resources: Mapping[str, Mapping[str, bool]]) -> None:
        self._resources = {path: dict(methods) for path, methods in resources.items()}
        self._templates = sorted(
            ((path, path.strip("/").split("/")) for path in self._resources),
            key=lambda item: [seg.startswith("{") for seg in item[1]],
        )

    def match(self, path: str) -> tuple[str, dict[str, str]] | None:
        segments = [unquote(s) for s in path.strip("/").split("/")]
        for template, parts in self._templates:
            if len(parts) != len(segments):
                continue
            params: dict[str, str] = {}
            for part, seg in zip(parts, segments, strict=True):
                if part.startswith("{") and part.endswith("}"):
                    if not seg:
                        break
                    params[part[1:-1]] = seg
                elif part != seg:
                    break
            else:
                return template, params
        return None

    def methods(self, resource: str) -> Mapping[str, bool]:
        return self._resources[resource]


class AgentApiGateway(FunctionGateway):
    """An HTTP server on ``host``:``port`` (0 = any free port) in front of the agent API handler."""

    def __init__(
        self,
        handler: Handler | FunctionEnvironments,
        routes: Mapping[str, Mapping[str, bool]],
        *,
        token_secret: str,
        issuer: str = LOCAL_ISSUER,
        host: str = "127.0.0.1",
        port: int = 0,
        function_name: str = "socialcare-api",
        region: str = "us-east-1",
        function_timeout_s: float = 30.0,
    ) -> None:
        self.matcher = ResourceMatcher(routes)
        self._token_secret = token_secret
        self.issuer = issuer
        function = InProcessFunction(handler, function_name=function_name, region=region, timeout_s=function_timeout_s)
        super().__init__(
            _RequestHandler,
            function,
            host=host,
            port=port,
            name="api-gateway",
            what="agent API",
            port_label="the agent API (--api-port)",
        )

    def authorize(self, authorization: str | None) -> dict[str, str]:
        """The claims API Gateway would pass on; TokenInvalid when it would answer 401."""
        return gateway_claims(verify_token(authorization, self._token_secret, issuer=self.issuer))


class _RequestHandler(GatewayRequestHandler):
    server_version = "socialcare-local-api-gateway"
    log = log
    access_message = "api request"
    request_id_header = "x-amzn-RequestId"
    failure_message = "agent API function failed"
    function_failed = (502, b'{"message": "Internal server error"}')
    _resource: str | None = None

    def event(self, split: SplitResult, body: bytes) -> dict[str, Any] | None:
        gateway: AgentApiGateway = self.server.owner
        matched = gateway.matcher.match(split.path)
        methods = gateway.matcher.methods(matched[0]) if matched else {}
        if matched is None or self.command not in methods:
            self.respond(403, JSON_CONTENT, MISSING_TOKEN)
            return None
        self._resource, path_params = matched
        claims: dict[str, str] | None = None
        if methods[self.command]:
            try:
                claims = gateway.authorize(self.headers.get("authorization"))
            except TokenInvalid as exc:
                log.info("token refused", extra={"correlation_id": self._request_id, "reason": str(exc)})
                self.respond(401, JSON_CONTENT, UNAUTHORIZED)
                return None
        return build_rest_api_event(
            method=self.command,
            resource=self._resource,
            path=split.path,
            raw_query=split.query,
            headers=list(self.headers.items()),
            body=body,
            path_parameters=path_params,
            claims=claims,
            source_ip=self.client_address[0],
            request_id=self._request_id,
            domain_name=self.domain_name(gateway),
        )

    def response(self, result: Any) -> tuple[int, dict[str, str], bytes, list[str]]:
        status, headers, payload, _ = shape_response(result)
        for name, values in (result.get("multiValueHeaders") or {}).items() if isinstance(result, dict) else ():
            headers[name] = ",".join(str(v) for v in values)
        return status, headers, payload, []

    def access_fields(self) -> dict[str, Any]:
        return {"resource": self._resource}


def build_rest_api_event(
    *,
    method: str,
    resource: str,
    path: str,
    raw_query: str,
    headers: list[tuple[str, str]],
    body: bytes,
    path_parameters: Mapping[str, str],
    claims: Mapping[str, str] | None,
    source_ip: str = "127.0.0.1",
    request_id: str | None = None,
    domain_name: str = "127.0.0.1",
    now_ms: int | None = None,
) -> dict[str, Any]:
    """An API Gateway REST API (Lambda proxy, payload format 1.0) event."""
    now_ms = now_ms if now_ms is not None else time.time_ns() // 1_000_000
    request_id = request_id or str(uuid.uuid4())
    single: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for name, value in headers:
        single[name] = value
        multi.setdefault(name, []).append(value)
    query_multi: dict[str, list[str]] = {}
    for key, value in parse_qsl(raw_query, keep_blank_values=True):
        query_multi.setdefault(key, []).append(value)
    context: dict[str, Any] = {
        "resourceId": "local",
        "resourcePath": resource,
        "httpMethod": method,
        "extendedRequestId": request_id,
        "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now_ms / 1000)),
        "path": f"/{STAGE}{path}",
        "accountId": MOTO_ACCOUNT_ID,
        "protocol": "HTTP/1.1",
        "stage": STAGE,
        "domainPrefix": domain_name.split(".", 1)[0],
        "requestTimeEpoch": now_ms,
        "requestId": request_id,
        "identity": {"sourceIp": source_ip, "userAgent": single.get("User-Agent") or single.get("user-agent")},
        "domainName": domain_name,
        "apiId": API_ID,
    }
    if claims is not None:
        context["authorizer"] = {"claims": dict(claims)}
    event: dict[str, Any] = {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": single or None,
        "multiValueHeaders": multi or None,
        "queryStringParameters": {k: v[-1] for k, v in query_multi.items()} or None,
        "multiValueQueryStringParameters": query_multi or None,
        "pathParameters": dict(path_parameters) or None,
        "stageVariables": None,
        "requestContext": context,
        "body": None,
        "isBase64Encoded": False,
    }
    if body:
        event["body"], event["isBase64Encoded"] = event_body(body)
    return event
