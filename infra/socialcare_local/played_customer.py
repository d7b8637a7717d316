"""``socialcare customer``: a customer writes to the brand on a running local stack.

The message is sent to the stack's webhook endpoint exactly as the platform sends it (signed with
the config file's secrets, stamped with the current time), then shown to the platform sandbox
(``POST /_sandbox/deliveries/{platform}`` on the reply port) so that the sandbox knows the customer
and accepts replies to them, as the platform would. Unless ``--no-wait``, it then waits until the
ingest function has put the message in the customer's case (read with keyed queries on the stack's
AWS endpoint) and prints the case id. Nothing secret is printed.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Mapping
from datetime import UTC, datetime

import requests

from socialcare_local.config import ConfigError, LocalConfig
from socialcare_local.emulator.aws import resource_names, stack_client
from socialcare_local.emulator.inspect_table import CaseView, TableReader
from socialcare_local.sandbox.channels import BrandChannels
from socialcare_local.sandbox.client import Sandbox
from socialcare_local.sandbox.customers import NAMELESS, PlayedMessage, played_message

STAGE = "local"  # the stack's stage: its table is socialcare-local
WAIT_S = 20.0
HTTP_TIMEOUT_S = 10.0


class _Unreachable(Exception):
    """A server of the stack did not answer."""


def play_customer(config: LocalConfig, args: argparse.Namespace) -> int:
    stack = config.stack
    host = args.host or stack.host
    webhooks = f"http://{host}:{args.port or stack.port}"
    sandbox_url = f"http://{host}:{args.reply_port or stack.reply_port}"
    reader = _reader(f"http://{host}:{args.aws_port or stack.aws_port}", stack.region)
    sandbox = Sandbox(webhooks, config, timeout_s=HTTP_TIMEOUT_S, observer=lambda *d: _register(sandbox_url, *d))
    try:
        played = played_message(
            BrandChannels(sandbox), args.channel, name=args.name, text=args.text, customer_id=args.customer_id
        )
        before = 0 if args.no_wait else _inbound_count(reader, played)
        response = _send(sandbox, played, webhooks)
    except (ConfigError, _Unreachable) as exc:
        print(f"socialcare customer: {exc}", file=sys.stderr)
        return 2
    finally:
        sandbox.close()
    if response.status_code != 200:
        print(
            f"socialcare customer: the webhook answered HTTP {response.status_code}: {response.text}", file=sys.stderr
        )
        return 1
    case = None if args.no_wait else _wait_for_case(reader, played, before)
    if args.quiet:
        if case is not None:
            print(case.case_id)
    else:
        _print_played(played, response, case, waited=not args.no_wait)
    if not args.no_wait and case is None:
        print(
            f"socialcare customer: accepted, but no case held the message after {WAIT_S:.0f} s "
            "(the stack's logs say why)",
            file=sys.stderr,
        )
        return 1
    return 0


def _send(sandbox: Sandbox, played: PlayedMessage, webhooks: str) -> requests.Response:
    try:
        return sandbox.send(played.delivery)
    except requests.ConnectionError as exc:  # the sandbox's own refusal is an _Unreachable already
        raise _Unreachable(
            f"no local stack answers at {webhooks} (start one with `make local`, or give its --port / --config)"
        ) from exc


def _register(sandbox_url: str, platform: str, body: bytes, headers: Mapping[str, str]) -> None:
    """Show the accepted delivery to the platform sandbox: it learns the customer in it."""
    forwarded = {k: v for k, v in headers.items() if k.lower() in ("content-type", "x-telegram-bot-api-secret-token")}
    url = f"{sandbox_url}/_sandbox/deliveries/{platform}"
    try:
        response = requests.post(url, data=body, headers=forwarded, timeout=HTTP_TIMEOUT_S)
    except requests.ConnectionError as exc:
        raise _Unreachable(
            f"the message was delivered, but no platform sandbox answers at {sandbox_url} to learn the customer "
            "(give the stack's --reply-port)"
        ) from exc
    if response.status_code != 200:
        raise _Unreachable(f"the platform sandbox at {sandbox_url} answered HTTP {response.status_code}")


def _reader(endpoint_url: str, region: str) -> TableReader:
    return TableReader(stack_client("dynamodb", endpoint_url, region), resource_names(STAGE)["table"])


def _cases(reader: TableReader, played: PlayedMessage) -> list[CaseView]:
    try:
        return reader.customer_cases(played.account_id, [played.customer_id])
    except Exception as exc:  # botocore's connection and client errors alike
        raise _Unreachable(
            f"cannot read the stack's table at {reader.dynamodb.meta.endpoint_url} ({type(exc).__name__}); "
            "give the stack's --aws-port, or --no-wait"
        ) from exc


def _inbound_count(reader: TableReader, played: PlayedMessage) -> int:
    return sum(len(case.entries("inbound")) for case in _cases(reader, played))


def _wait_for_case(reader: TableReader, played: PlayedMessage, before: int) -> CaseView | None:
    """The customer's case holding the new message, once ingest has stored it."""
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        cases = _cases(reader, played)
        if sum(len(case.entries("inbound")) for case in cases) > before:
            return max(
                cases, key=lambda case: max((int(e["timestamp_ms"]) for e in case.entries("inbound")), default=0)
            )
        time.sleep(0.2)
    return None


def _print_played(played: PlayedMessage, response: requests.Response, case: CaseView | None, *, waited: bool) -> None:
    at = datetime.fromtimestamp(played.at_ms / 1000, tz=UTC).isoformat(timespec="seconds")
    named = "" if played.channel not in NAMELESS else " (this channel gives no name: the case shows the id)"
    print(f"channel   {played.channel} (brand account {played.account_id})")
    print(f"customer  {played.customer_name}, id {played.customer_id}{named}")
    print(f"message   {played.message_id}, sent {at}")
    print(f"webhook   HTTP {response.status_code} {response.json().get('status', '')}")
    print("sandbox   knows the customer: replies to them are accepted")
    if case is not None:
        print(
            f"case      {case.case_id} ({case.status}, team {case.team}, {len(case.entries('inbound'))} from the customer)"
        )
    elif not waited:
        print("case      not waited for (--no-wait)")
