"""Webhook function: time per delivery, from the function URL's event to the acknowledgement."""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from typing import Any

from tests.bench.setup import APP_SECRET, LambdaContext, load_function, messenger_delivery


@dataclass(frozen=True)
class WebhookFigures:
    label: str
    messages: int
    body_bytes: int
    median_ms: float
    p95_ms: float
    deliveries: int


def _function_url_event(body: bytes, headers: dict[str, str]) -> dict[str, Any]:
    from socialcare_local.emulator.function_url import build_function_url_event

    return build_function_url_event(
        method="POST",
        raw_path="/webhooks/meta",
        raw_query="",
        headers=[*headers.items(), ("content-type", "application/json")],
        body=body,
    )


def run() -> list[WebhookFigures]:
    """Signed Meta deliveries through the real handler: verify, parse, keep raw in S3, enqueue, ack."""
    from socialcare_local.sandbox.signing import meta_request

    webhook = load_function("webhook")
    webhook.wire()
    figures = []
    for label, count, repeats in (("1 message", 1, 200), ("1,000-entry Meta batch", 1000, 15)):
        events = []
        for r in range(repeats):
            body, headers = meta_request(APP_SECRET, messenger_delivery(r * count, count, customers=50))
            events.append(_function_url_event(body, headers))
        webhook.handler(events[0], LambdaContext())  # warm: secret fetched, clients built
        times = []
        for event in events:
            started = time.perf_counter()
            response = webhook.handler(event, LambdaContext())
            times.append(time.perf_counter() - started)
            if response["statusCode"] != 200:
                raise RuntimeError(f"the webhook refused a bench delivery: {response}")
        times.sort()
        figures.append(
            WebhookFigures(
                label=label,
                messages=count,
                body_bytes=len(events[0]["body"]),
                median_ms=statistics.median(times) * 1000,
                p95_ms=times[min(len(times) - 1, int(len(times) * 0.95))] * 1000,
                deliveries=repeats,
            )
        )
    return figures
