"""Webhook function: GET handshakes and POST deliveries for /webhooks/{platform}.

Thin: translates the HTTP API event into one call of the core's WebhookService and maps
domain errors to status codes in one place (ERROR_STATUS).

No Powertools Tracer here, on purpose: the X-Ray SDK it imports took ~260 ms of a ~400 ms
cold import, on the path a platform waits on (`make bench` prints the import time). Lambda's
active tracing still records every invocation; boto3 is imported on the first request only.
"""

from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass
from functools import cache
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from socialcare import errors
from socialcare.clock import system_clock
from socialcare.environment import required

logger = Logger(service="webhook")
metrics = Metrics(namespace="socialcare", service="webhook")
app = APIGatewayHttpResolver()

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
    def from_env(cls) -> WebhookConfig:
        return cls(
            queue_url=required(os.environ, "INBOUND_QUEUE_URL"),
            raw_bucket=required(os.environ, "RAW_BUCKET"),
            secret_id=required(os.environ, "PLATFORM_SECRET_ARN"),
        )


# boto3 clients given by the caller instead of made here, by service name ("s3", "sqs",
# "secretsmanager"): tests reuse theirs; nothing sets them in AWS.
_client_overrides: dict[str, Any] = {}


def use_clients(**clients: Any) -> None:
    """Run on these boto3 clients (by service name) instead of making its own; forgets cached wiring."""
    _service.cache_clear()
    _client_overrides.clear()
    _client_overrides.update(clients)


@cache
def _service() -> Any:
    import boto3
    from socialcare.aws.delivery_queue import DeliveryQueue
    from socialcare.aws.raw_store import RawDeliveryStore
    from socialcare.aws.secrets import SecretCredentials
    from socialcare.webhook.service import WebhookService

    config = WebhookConfig.from_env()
    session = boto3.session.Session()

    def client(service: str) -> Any:
        return _client_overrides.get(service) or session.client(service)

    return WebhookService(
        credentials=SecretCredentials(config.secret_id, client=client("secretsmanager"), clock=system_clock),
        raw_store=RawDeliveryStore(config.raw_bucket, client=client("s3")),
        queue=DeliveryQueue(config.queue_url, client=client("sqs")),
        clock=system_clock,
    )


def reset() -> None:
    """Forget cached clients, client overrides and configuration (tests, the local stack)."""
    _service.cache_clear()
    _client_overrides.clear()


@app.get("/webhooks/<platform>")
def handshake(platform: str) -> Response[str]:
    query = app.current_event.query_string_parameters or {}
    reply = _service().handshake(platform, query)
    logger.info("handshake answered", extra={"platform": platform, "status": reply.status})
    return Response(status_code=reply.status, content_type=reply.content_type, body=reply.body.decode("utf-8"))


@app.post("/webhooks/<platform>")
def deliver(platform: str) -> Response[str]:
    event = app.current_event
    raw = event.body or ""
    body = base64.b64decode(raw) if event.is_base64_encoded else raw.encode("utf-8")
    receipt = _service().receive(platform, dict(event.headers or {}), body)
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
    platform = (app.current_event.path_parameters or {}).get("platform", "?")
    logger.warning("delivery refused", extra={"platform": platform, "status": status, "code": exc.code})
    metrics.add_metric(name="DeliveriesRefused", unit=MetricUnit.Count, value=1)
    return _json(status, {"error": exc.code, "message": exc.message})


@app.not_found
def not_found(_: Exception) -> Response[str]:
    return _json(404, {"error": "not_found", "message": "no such route; webhooks live at /webhooks/{platform}"})


def _json(status: int, doc: dict[str, Any]) -> Response[str]:
    return Response(status_code=status, content_type="application/json", body=json.dumps(doc))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
