"""Configuration from the environment and the agent service built from it, once per process.

Tests and the local stack inject their own service (``use_service``) or clients (``build_service``).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from socialcare import constants as c
from socialcare.agents.cursor import CursorCodec
from socialcare.agents.service import AgentService
from socialcare.clock import Clock, system_clock
from socialcare.environment import required

DEFAULT_BRAND_NAME = "our team"  # used until an admin stores the account's profile


@dataclass(frozen=True, slots=True)
class ApiConfig:
    table_name: str
    outbound_queue_url: str
    api_secret_arn: str

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ApiConfig:
        env = os.environ if environ is None else environ
        return cls(
            table_name=required(env, c.ENV_TABLE_NAME),
            outbound_queue_url=required(env, c.ENV_OUTBOUND_QUEUE_URL),
            api_secret_arn=required(env, c.ENV_API_SECRET_ARN),
        )


def build_service(
    config: ApiConfig,
    *,
    dynamodb: Any = None,
    sqs: Any = None,
    secretsmanager: Any = None,
    clock: Clock = system_clock,
) -> AgentService:
    """The service over the configured table and queue; clients made here unless given."""
    from socialcare.aws.agent_store import AgentStore
    from socialcare.aws.api_secret import load_cursor_key
    from socialcare.aws.outbound_queue import OutboundQueue

    if dynamodb is None or sqs is None or secretsmanager is None:
        import boto3

        session = boto3.session.Session()
        dynamodb = dynamodb or session.client("dynamodb")
        sqs = sqs or session.client("sqs")
        secretsmanager = secretsmanager or session.client("secretsmanager")
    return AgentService(
        AgentStore(config.table_name, client=dynamodb),
        OutboundQueue(config.outbound_queue_url, client=sqs),
        clock=clock,
        cursors=CursorCodec(load_cursor_key(config.api_secret_arn, client=secretsmanager)),
        default_brand_name=DEFAULT_BRAND_NAME,
    )


class _Holder:
    """The process's service, built on first use (a Lambda container keeps it between requests)."""

    lock = threading.Lock()
    service: AgentService | None = None


def service() -> AgentService:
    with _Holder.lock:
        if _Holder.service is None:
            _Holder.service = build_service(ApiConfig.from_env())
        return _Holder.service


def use_service(injected: AgentService | None) -> None:
    """Replace the service (tests); None makes the next request build it from the environment."""
    with _Holder.lock:
        _Holder.service = injected


def reset() -> None:
    use_service(None)
