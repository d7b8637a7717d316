"""Webhook function, behind its function URL: GET handshakes and POST deliveries for /webhooks/<platform>.

Thin: translates the function URL's event (payload format 2.0, routeKey "$default", no pathParameters)
into one call of the core's WebhookService and maps domain errors to status codes in one place
(ERROR_STATUS). A function URL sends every path and method here: any other path is 404, any other
method on a webhook path 405. One ``webhook request`` line per request replaces a gateway's access log.

No Powertools Tracer here, on purpose: the X-Ray SDK it imports took ~260 ms of a ~400 ms
cold import, on the path a platform waits on (`make bench` prints the import time). Lambda's
active tracing still records every invocation; boto3 is imported on the first request only.
"""

from __future__ import annotations

import base64
import json
import os
import sys
import time
from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import LambdaFunctionUrlResolver, Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit
from aws_lambda_powertools.metrics.functions import is_metrics_disabled
from socialcare import constants as c
from socialcare import errors
from socialcare.aws.wiring import AwsClients, Wiring
from socialcare.clock import Clock
from socialcare.environment import required_settings
from socialcare.webhook.paths import WEBHOOK_PREFIX, platform_of

if TYPE_CHECKING:
    from socialcare.webhook.service import WebhookService

logger = Logger(service="webhook")
app = LambdaFunctionUrlResolver()
WEBHOOK_ROUTE = WEBHOOK_PREFIX + "<platform>"
ALLOWED_METHODS = "GET, POST"
# What a function URL answers when the function raises (the request line logs it so).
FUNCTION_ERROR_STATUS = 502
# This invocation's metrics (see ``handler``): Powertools ``Metrics`` instances share one metric set
# per process, so functions or invocations sharing a process would mix theirs.
_metrics: ContextVar[EphemeralMetrics] = ContextVar("webhook_metrics")

ERROR_STATUS: dict[type[errors.SocialCareError], int] = {
    errors.UnknownPlatform: 404,
    errors.SignatureMissing: 401,
    errors.SignatureInvalid: 403,
    errors.HandshakeRejected: 403,
    errors.HandshakeUnsupported: 405,
    errors.MalformedPayload: 400,
    errors.PayloadTooLarge: 413,
}


@dataclass(frozen=True)
class WebhookConfig:
    queue_url: str
    raw_bucket: str
    secret_id: str

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> WebhookConfig:
        env = os.environ if env is None else env
        return cls(
            **required_settings(
                env, queue_url=c.ENV_INBOUND_QUEUE_URL, raw_bucket=c.ENV_RAW_BUCKET, secret_id=c.ENV_PLATFORM_SECRET_ARN
            )
        )


def _build(clients: AwsClients, clock: Clock) -> WebhookService:
    from socialcare.aws.delivery_queue import DeliveryQueue
    from socialcare.aws.raw_store import RawDeliveryStore
    from socialcare.aws.secrets import SecretCredentials
    from socialcare.webhook.service import WebhookService

    config = WebhookConfig.from_env()
    return WebhookService(
        credentials=SecretCredentials(config.secret_id, client=clients("secretsmanager"), clock=clock),
        raw_store=RawDeliveryStore(config.raw_bucket, client=clients("s3")),
        queue=DeliveryQueue(config.queue_url, client=clients("sqs")),
        clock=clock,
    )


_wiring: Wiring[WebhookService] = Wiring(_build)


def wire(*, clients: Mapping[str, Any] | None = None, clock: Clock | None = None) -> None:
    """Run on these boto3 clients (by service name: "s3", "sqs", "secretsmanager") and this clock;
    ``wire()`` restores the defaults. Tests reuse their clients; nothing calls it in AWS."""
    _wiring.wire(clients=clients, clock=clock)


@app.get(WEBHOOK_ROUTE)
def handshake(platform: str) -> Response[str]:
    query = app.current_event.query_string_parameters or {}
    reply = _wiring.get().handshake(platform, query)
    logger.info("handshake answered", extra={"platform": platform, "status": reply.status})
    return Response(status_code=reply.status, content_type=reply.content_type, body=reply.body.decode("utf-8"))


@app.post(WEBHOOK_ROUTE)
def deliver(platform: str) -> Response[str]:
    event = app.current_event
    raw = event.body or ""
    body = base64.b64decode(raw) if event.is_base64_encoded else raw.encode("utf-8")
    receipt = _wiring.get().receive(platform, dict(event.headers or {}), body)
    metrics = _metrics.get()
    metrics.add_dimension(name="platform", value=platform)
    metrics.add_metric(name="DeliveriesAccepted", unit=MetricUnit.Count, value=1)
    metrics.add_metric(name="EventsReceived", unit=MetricUnit.Count, value=receipt.event_count)
    logger.info(
        "delivery accepted",
        extra={
            "platform": platform,
            "delivery_id": receipt.delivery_id,
            "events": receipt.event_count,
            "bytes": len(body),
            "inline": receipt.inline,
        },
    )
    return _json(200, {"status": "accepted", "delivery_id": receipt.delivery_id, "events": receipt.event_count})


@app.exception_handler(errors.SocialCareError)  # type: ignore[untyped-decorator]
def refuse(exc: errors.SocialCareError) -> Response[str]:
    status = ERROR_STATUS.get(type(exc), 400)
    platform = platform_of(app.current_event.raw_path) or "?"
    logger.warning("delivery refused", extra={"platform": platform, "status": status, "code": exc.code})
    _metrics.get().add_metric(name="DeliveriesRefused", unit=MetricUnit.Count, value=1)
    return _json(status, {"error": exc.code, "message": exc.message})


@app.route(WEBHOOK_ROUTE, method=["PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"])
def other_method(platform: str) -> Response[str]:
    response = _json(405, {"error": "method_not_allowed", "message": f"webhooks accept {ALLOWED_METHODS} only"})
    response.headers["Allow"] = ALLOWED_METHODS
    return response


@app.not_found
def not_found(_: Exception) -> Response[str]:
    return _json(404, {"error": "not_found", "message": "no such route; webhooks live at /webhooks/<platform>"})


def _json(status: int, doc: dict[str, Any]) -> Response[str]:
    return Response(status_code=status, content_type="application/json", body=json.dumps(doc))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.LAMBDA_FUNCTION_URL)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    started = time.perf_counter()
    status = FUNCTION_ERROR_STATUS
    metrics = EphemeralMetrics(namespace=c.METRICS_NAMESPACE, service="webhook")
    token = _metrics.set(metrics)
    try:
        result = app.resolve(event, context)
        status = int(result["statusCode"])
        return result
    finally:
        _metrics.reset(token)
        _publish(metrics)
        _log_request(event, status, started)


def _log_request(event: Mapping[str, Any], status: int, started: float) -> None:
    """The request's access line: never its query string (Meta's verify token and X's CRC token
    travel there), headers or body."""
    context = event.get("requestContext") or {}
    path = str(event.get("rawPath") or "")
    logger.info(
        "webhook request",
        extra={
            "method": (context.get("http") or {}).get("method"),
            "path": path,
            "status": status,
            "platform": platform_of(path),
            "elapsed_ms": round((time.perf_counter() - started) * 1000, 1),
            "request_id": context.get("requestId"),
        },
    )


def _publish(metrics: EphemeralMetrics) -> None:
    """The invocation's EMF document as one line, in one write: a line of another function's
    running concurrently in the process can never land in the middle of it."""
    if metrics.metric_set and not is_metrics_disabled():
        sys.stdout.write(json.dumps(metrics.serialize_metric_set(), separators=(",", ":")) + "\n")
    metrics.clear_metrics()
