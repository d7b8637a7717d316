"""Shared pieces of the agent API tests: a moto-backed world, customers writing in through the real
ingest path, agents' tokens carrying the claims API Gateway passes on, and a test client that checks
every response against ``chalice_config/openapi.yaml``."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator
from socialcare.aws import schema
from socialcare.aws.case_store import CaseStore
from socialcare.clock import ManualClock
from socialcare.ingest.service import Ingestor, IngestSettings
from socialcare.model.case import Case
from socialcare.model.events import Channel, Customer, EventKind, ParsedDelivery, PublicKind

from tests.event_support import message_event

REPO = Path(__file__).resolve().parents[1]
SPEC_PATH = REPO / "chalice_config" / "openapi.yaml"
T0 = 1_767_258_000_000  # 2026-01-01T09:00:00Z
MINUTE = 60_000
HOUR = 3_600_000

# The brand account each channel belongs to in these tests, and which team its cases go to.
ACCOUNTS: Mapping[Channel, str] = {
    Channel.MESSENGER: "page-1",
    Channel.FACEBOOK_COMMENT: "page-1",
    Channel.INSTAGRAM_DM: "ig-1",
    Channel.INSTAGRAM_COMMENT: "ig-1",
    Channel.WHATSAPP: "wa-1",
    Channel.X_POST: "x-1",
    Channel.X_DM: "x-1",
    Channel.TELEGRAM: "tg-1",
}
BILLING_ACCOUNT = "page-billing"  # a second Facebook page whose cases go to team billing
CURSOR_KEY = "test-cursor-key-0123456789abcdef"
# What /me answers to Alice Smith, lead of care and billing (through Chalice's test client or the gateway).
ALICE_ME = {
    "agent_id": "alice",
    "name": "Alice Smith",
    "initials": "AS",
    "role": "lead",
    "teams": ["billing", "care"],
    "email": "alice@agents.local",
}


# Callers by role, as ``ApiClient.call`` takes them (``**ADMIN``).
ADMIN: dict[str, Any] = {"agent": "root", "role": "admin"}
LEAD: dict[str, Any] = {"agent": "lena", "role": "lead"}
AGENT: dict[str, Any] = {"agent": "alice", "role": "agent"}


# ---- tokens ------------------------------------------------------------------------------------
def claims_for(
    agent: str, *, teams: tuple[str, ...] = ("care",), role: str = "agent", name: str | None = None
) -> dict[str, str]:
    """The claims as API Gateway's Cognito authorizer hands them to the app (every value a string)."""
    from socialcare_local.emulator.tokens import agent_claims, gateway_claims

    return gateway_claims(agent_claims(agent, teams=teams, role=role, name=name, now_s=T0 // 1000))


def chalice_token(agent: str, **kw: Any) -> str:
    """A token for Chalice's test client, which base64-decodes a JWT's claims without verifying them:
    we give it exactly the claims the local API gateway would pass on."""
    from socialcare_local.emulator.tokens import unsigned_token

    return unsigned_token(claims_for(agent, **kw))


# ---- the OpenAPI contract ------------------------------------------------------------------------
@cache
def spec() -> dict[str, Any]:
    return yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))


def spec_routes() -> list[tuple[str, str]]:
    """(method, path template) of every operation in the spec."""
    return [(method.upper(), path) for path, ops in spec()["paths"].items() for method in ops]


def _template_of(path: str) -> str:
    bare = path.split("?", 1)[0]
    for template in spec()["paths"]:
        pattern = "^" + re.sub(r"\{[^/]+\}", "[^/]+", template) + "$"
        if re.match(pattern, bare):
            return template
    raise AssertionError(f"{bare} is not a path of the OpenAPI spec")


def check_response_against_spec(method: str, path: str, status: int, body: bytes) -> None:
    """The response's status is documented for the operation and its JSON body matches the schema."""
    template = _template_of(path)
    operation = spec()["paths"][template][method.lower()]
    responses = operation["responses"]
    assert str(status) in responses, f"{method} {template} answered {status}, which the spec does not document"
    response = responses[str(status)]
    if "$ref" in response:
        response = spec()["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
    schema_doc = response["content"]["application/json"]["schema"]
    wrapper = {**schema_doc, "$id": "urn:socialcare-agent-api", "components": spec()["components"]}
    errors = sorted(Draft202012Validator(wrapper).iter_errors(json.loads(body)), key=str)
    assert not errors, f"{method} {path} -> {status}: {errors[0].message} at {list(errors[0].absolute_path)}"


# ---- a world of moto resources, the service and its customers ---------------------------------------
@dataclass
class World:
    aws: Any
    clock: ManualClock
    table: str
    queue_url: str
    secret_arn: str
    store: CaseStore
    ingestor: Ingestor
    _ids: Iterator[int] = field(default_factory=lambda: iter(range(1, 10**9)))

    def writes(
        self,
        channel: Channel,
        user: str = "joe",
        text: str = "Where is my order?",
        *,
        at_ms: int | None = None,
        name: str | None = "Joe Bloggs",
        handle: str | None = None,
        account: str | None = None,
        reply_to: str | None = None,
        conversation: str | None = None,
    ) -> Case:
        """The customer writes (through the real ingest path); the case it lands in."""
        number = next(self._ids)
        public = channel.is_public
        event = message_event(
            channel,
            account or ACCOUNTS[channel],
            f"m{number}",
            self.clock.now_ms if at_ms is None else at_ms,
            kind=EventKind.PUBLIC_POST if public else EventKind.MESSAGE,
            customer=Customer(user, name=name, handle=handle),
            text=text,
            public_kind=PublicKind.COMMENT if public else None,
            reply_to_id=reply_to,
            conversation_ref=conversation or (f"post-{number}" if public else None),
        )
        self.ingestor.ingest(ParsedDelivery(channel.platform, (event,)))
        current = self.store.current_case(event.account_id, [user]).case
        assert current is not None
        return current

    def outbound_messages(self) -> list[dict[str, Any]]:
        """Every message on the outbound queue (received and left in flight)."""
        found = []
        while True:
            resp = self.aws.sqs.receive_message(
                QueueUrl=self.queue_url, MaxNumberOfMessages=10, VisibilityTimeout=60, WaitTimeSeconds=0
            )
            batch = resp.get("Messages", [])
            if not batch:
                return found
            found.extend(json.loads(m["Body"]) for m in batch)


@dataclass
class MotoClients:
    """Clients of one moto session, shared by a module's tests (each test gets its own table)."""

    dynamodb: Any
    sqs: Any
    secrets: Any
    table_name: str = ""
    _count: Iterator[int] = field(default_factory=lambda: iter(range(1, 10**9)))

    def fresh(self) -> MotoClients:
        """The same clients over a new, empty table."""
        table = f"agent-api-{next(self._count)}"
        self.dynamodb.create_table(**schema.create_table_kwargs(table))
        return MotoClients(self.dynamodb, self.sqs, self.secrets, table, self._count)

    def drop(self) -> None:
        # moto copies every table on each transaction: a module's tables must not pile up
        self.dynamodb.delete_table(TableName=self.table_name)


@contextmanager
def moto_session() -> Iterator[MotoClients]:
    """A moto session with fake credentials, for a whole test module."""
    import boto3
    from moto import mock_aws

    env = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
    }
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        patch.delenv("AWS_ENDPOINT_URL", raising=False)
        patch.delenv("AWS_PROFILE", raising=False)
        with mock_aws():
            session = boto3.session.Session(region_name="us-east-1")
            yield MotoClients(session.client("dynamodb"), session.client("sqs"), session.client("secretsmanager"))


def make_world(aws: Any) -> World:
    """moto resources beside the ``aws`` fixture's: the outbound queue and the API's secret."""
    name = aws.table_name
    dlq_url = aws.sqs.create_queue(QueueName=f"{name}-outbound-dlq")["QueueUrl"]
    dlq_arn = aws.sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    queue_url = aws.sqs.create_queue(
        QueueName=f"{name}-outbound", Attributes=schema.outbound_queue_attributes(dlq_arn)
    )["QueueUrl"]
    secret_arn = aws.secrets.create_secret(
        Name=f"socialcare/api/{name}", SecretString=json.dumps({"cursor_key": CURSOR_KEY})
    )["ARN"]
    clock = ManualClock(T0)
    store = CaseStore(aws.table_name, client=aws.dynamodb)
    ingestor = Ingestor(store, clock=clock, settings=IngestSettings(account_teams={BILLING_ACCOUNT: "billing"}))
    return World(aws, clock, aws.table_name, queue_url, secret_arn, store, ingestor)


@contextmanager
def fresh_world(moto: MotoClients) -> Iterator[World]:
    """A world on fresh tables in the module's moto session, dropped after the test."""
    resources = moto.fresh()
    yield make_world(resources)
    resources.drop()


def configured_wiring(world: World, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The app's wiring, configured for ``world`` (as Lambda's environment would be)."""
    app_module()
    from chalicelib import wiring

    for name, value in api_environment(world).items():
        monkeypatch.setenv(name, value)
    return wiring


def world_clients(world: World, **overrides: Any) -> dict[str, Any]:
    """The boto3 clients the agent API runs on in ``world``, by service name (some replaced)."""
    clients = {"dynamodb": world.aws.dynamodb, "sqs": world.aws.sqs, "secretsmanager": world.aws.secrets}
    return {**clients, **overrides}


REPORTS_BUCKET = "socialcare-reports-test"


def api_environment(world: World) -> dict[str, str]:
    """The environment the agent API's configuration reads, for ``world``."""
    from socialcare import constants as c

    return {
        c.ENV_TABLE_NAME: world.table,
        c.ENV_OUTBOUND_QUEUE_URL: world.queue_url,
        c.ENV_API_SECRET_ARN: world.secret_arn,
        c.ENV_REPORTS_BUCKET: REPORTS_BUCKET,  # the report routes' stored reports (created where they are read)
    }


def build_service(world: World, **clients: Any) -> Any:
    """Another agent service over the world (another Lambda instance), built as the Chalice app builds its own."""
    from chalicelib.wiring import ApiConfig
    from chalicelib.wiring import build_service as build
    from socialcare.aws.wiring import AwsClients

    config = ApiConfig(table_name=world.table, outbound_queue_url=world.queue_url, api_secret_arn=world.secret_arn)
    return build(config, AwsClients(world_clients(world, **clients)), world.clock)


def app_module() -> Any:
    from socialcare_local.emulator.agent_api import load_app_module

    return load_app_module()


# ---- a Chalice test client that checks every answer against the spec ----------------------------
@dataclass
class Answer:
    status: int
    headers: Mapping[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def code(self) -> str | None:
        doc = self.json
        return doc.get("code") if isinstance(doc, dict) else None


class ApiClient:
    """``chalice.test.Client`` with the agent's claims attached and the OpenAPI contract checked."""

    def __init__(self, app: Any) -> None:
        from chalice.test import Client

        self._client = Client(app, stage_name="dev", project_dir=str(REPO / "chalice_config"))

    def call(
        self,
        method: str,
        path: str,
        *,
        agent: str | None = "alice",
        teams: tuple[str, ...] = ("care",),
        role: str = "agent",
        name: str | None = None,
        body: Any = None,
        raw: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Answer:
        sent = {"Content-Type": "application/json", **(headers or {})}
        if agent is not None:
            sent["Authorization"] = chalice_token(agent, teams=teams, role=role, name=name)
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else b"")
        response = self._client.http.request(method, path, headers=sent, body=data)
        answer = Answer(response.status_code, dict(response.headers), response.body)
        check_response_against_spec(method, path, answer.status, answer.body)
        return answer

    def get(self, path: str, **kw: Any) -> Answer:
        return self.call("GET", path, **kw)

    def post(self, path: str, body: Any = None, **kw: Any) -> Answer:
        return self.call("POST", path, body=body, **kw)

    def put(self, path: str, body: Any = None, **kw: Any) -> Answer:
        return self.call("PUT", path, body=body, **kw)
