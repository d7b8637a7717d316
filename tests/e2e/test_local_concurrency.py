"""The local stack under concurrency: many simultaneous connections to each of its servers, and
functions running at the same moment in one process.

Every server answers 128+ connections opened at once (a listen backlog of 5 reset most of 100).
Two functions invoked at once write only whole JSON lines, and each function's metric lines are
its own: every execution environment is its own loaded copy of the function's module.
"""

from __future__ import annotations

import contextlib
import io
import json
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest
from socialcare_local.sandbox.channels import BrandChannels
from socialcare_local.stack import LocalStack

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

CONNECTIONS = 140  # more than the 128 waiting connections each server must accept
CONNECT_TIMEOUT_S = 10.0
SYN_RETRY_S = 0.9  # Linux retransmits a dropped SYN after one second
DELIVERIES = 48
SENDERS = 6


@dataclass
class Run:
    stack_output: str
    deliveries_accepted: int


@pytest.fixture(scope="module")
def run() -> Iterator[tuple[LocalStack, Run]]:
    """A stack whose stdout (the functions' logs and metric lines) is captured while the webhook
    function answers deliveries from several senders and the ingest function stores them."""
    captured = io.StringIO()
    with contextlib.redirect_stdout(captured), LocalStack() as stack:
        accepted = _deliver_concurrently(stack)
        stack.wait_until_idle(timeout_s=60)
        yield stack, Run(captured.getvalue(), accepted)


def _deliver_concurrently(stack: LocalStack) -> int:
    """``DELIVERIES`` WhatsApp deliveries from ``SENDERS`` threads at once; how many were accepted."""
    now = time.time_ns() // 1_000_000

    def send_share(sender: int) -> list[int]:
        sandbox = stack.sandbox()  # one HTTP session per sender
        brand = BrandChannels(sandbox)
        try:
            return [
                sandbox.send(
                    brand.whatsapp(f"3460099{n:04d}", f"Customer {n}", f"wamid.CONCURRENT{n}", f"message {n}", now)
                ).status_code
                for n in range(sender, DELIVERIES, SENDERS)
            ]
        finally:
            sandbox.close()

    with ThreadPoolExecutor(SENDERS) as pool:
        statuses = [status for share in pool.map(send_share, range(SENDERS)) for status in share]
    return sum(1 for status in statuses if status == 200)


# --- connections ----------------------------------------------------------------------------------
def _server_urls(stack: LocalStack) -> dict[str, str]:
    assert stack.reply_api is not None
    return {
        "webhook endpoints": f"{stack.webhook_base_url}/not-a-route",  # answered by the gateway: 404
        "agent API": f"{stack.api_base_url}/me",  # no token: 401 from the gateway's authorizer
        "platform reply APIs": f"{stack.reply_api.base_url}/_sandbox/calls",
    }


def _open_at_once(url: str, count: int) -> list[tuple[float, str]]:
    """``count`` connections opened at the same moment, then one request on each: for each, how long
    the connection took to be established and the status line of the answer."""
    split = urlsplit(url)
    host, port = split.hostname or "127.0.0.1", split.port or 80
    assert host == "127.0.0.1"
    ready = threading.Barrier(count, timeout=CONNECT_TIMEOUT_S * 2)
    connected = threading.Barrier(count, timeout=CONNECT_TIMEOUT_S * 2)
    request = f"GET {split.path} HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n\r\n".encode()

    def one() -> tuple[float, str]:
        ready.wait()
        started = time.monotonic()
        with socket.create_connection((host, port), timeout=CONNECT_TIMEOUT_S) as conn:
            took = time.monotonic() - started
            connected.wait()  # every connection is open before any request is sent
            conn.sendall(request)
            return took, conn.makefile("rb").readline().decode("ascii", "replace").strip()

    with ThreadPoolExecutor(count) as pool:
        futures = [pool.submit(one) for _ in range(count)]
        return [future.result(timeout=CONNECT_TIMEOUT_S * 3) for future in futures]


@pytest.mark.parametrize("server", ["webhook endpoints", "agent API", "platform reply APIs"])
def test_every_server_answers_many_simultaneous_connections(run: tuple[LocalStack, Run], server: str) -> None:
    stack, _ = run
    results = _open_at_once(_server_urls(stack)[server], CONNECTIONS)

    status_lines = [line for _, line in results]
    assert len(status_lines) == CONNECTIONS
    assert all(line.startswith("HTTP/1.1 ") for line in status_lines), set(status_lines)
    # The kernel completes a connection at once while the listen queue has room; a full queue drops
    # it, and the client's first retry comes after a second (or the connection is reset).
    slowest = max(took for took, _ in results)
    assert slowest < SYN_RETRY_S, f"a connection waited {slowest:.2f} s to be accepted: the listen queue overflowed"


# --- output lines and metrics -----------------------------------------------------------------------
def _lines(run: Run) -> list[str]:
    return [line for line in run.stack_output.splitlines() if line.strip()]


def _metric_docs(run: Run) -> list[dict[str, Any]]:
    return [doc for doc in map(json.loads, _lines(run)) if isinstance(doc, dict) and "_aws" in doc]


def _metric_names(doc: dict[str, Any]) -> set[str]:
    return {metric["Name"] for directive in doc["_aws"]["CloudWatchMetrics"] for metric in directive["Metrics"]}


def test_functions_running_at_once_write_only_whole_json_lines(run: tuple[LocalStack, Run]) -> None:
    _, result = run
    assert result.deliveries_accepted == DELIVERIES
    lines = _lines(result)
    for line in lines:
        doc = json.loads(line)  # two objects on one line would not parse
        assert isinstance(doc, dict), line
    services = {doc.get("service") for doc in _metric_docs(result)}
    assert {"webhook", "ingest"} <= services  # both functions ran and wrote metric lines


def test_each_metric_line_names_its_own_function_and_only_its_metrics(run: tuple[LocalStack, Run]) -> None:
    _, result = run
    docs = _metric_docs(result)
    services_of: dict[str, set[str]] = {}
    for doc in docs:
        service = doc.get("service")
        # the clock function's event metrics come from the case writes the deliveries make
        assert service in ("webhook", "ingest", "outbound", "clock"), doc
        for name in _metric_names(doc):
            services_of.setdefault(name, set()).add(str(service))
    mixed = {name: sorted(services) for name, services in services_of.items() if len(services) > 1}
    assert not mixed, f"metrics written under more than one function's service: {mixed}"
    webhook_metrics = {name for name, services in services_of.items() if services == {"webhook"}}
    assert "DeliveriesAccepted" in webhook_metrics
    accepted = sum(
        sum(value) if isinstance(value := doc["DeliveriesAccepted"], list) else value
        for doc in docs
        if doc.get("service") == "webhook" and "DeliveriesAccepted" in doc
    )
    assert accepted == DELIVERIES  # each acceptance counted once, in its own function's line
