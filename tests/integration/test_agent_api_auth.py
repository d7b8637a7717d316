"""Who may call what: every route of the OpenAPI spec × every kind of caller, over HTTP through the
local API gateway (which verifies tokens as API Gateway's Cognito authorizer does) to the real app."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
import requests
from socialcare import constants as c
from socialcare.aws import schema
from socialcare.model.events import Channel
from socialcare_local.emulator.api_gateway import AgentApiGateway
from socialcare_local.emulator.tokens import LOCAL_ISSUER, agent_claims, issue_token

from tests.agent_api_support import (
    ALICE_ME,
    World,
    api_environment,
    app_module,
    build_service,
    check_response_against_spec,
    make_world,
    moto_session,
    spec_routes,
    world_clients,
)

pytestmark = pytest.mark.integration

SECRET = "matrix-token-secret-0123456789"


@dataclass
class Matrix:
    world: World
    base_url: str


@pytest.fixture(scope="module")
def matrix() -> Iterator[Matrix]:
    with moto_session() as clients:
        resources = clients.fresh()
        world = make_world(resources)
        module = app_module()
        from chalicelib import wiring
        from socialcare_local.emulator.agent_api import route_table

        sfn = boto3.client("stepfunctions", region_name="us-east-1")
        machine = sfn.create_state_machine(
            name="department-escalation",
            definition='{"StartAt": "S", "States": {"S": {"Type": "Succeed"}}}',
            roleArn="arn:aws:iam::123456789012:role/d",
        )
        with pytest.MonkeyPatch.context() as environment:
            for name, value in api_environment(world).items():
                environment.setenv(name, value)
            environment.setenv(c.ENV_DEPARTMENT_ESCALATION_ARN, machine["stateMachineArn"])
            wiring.wire(clients=world_clients(world, stepfunctions=sfn), clock=world.clock)
            gateway = AgentApiGateway(module.app, route_table(module.app), token_secret=SECRET)
            gateway.start()
            try:
                yield Matrix(world, gateway.base_url)
            finally:
                gateway.stop()
                wiring.wire()


# --- callers --------------------------------------------------------------------------------------
def token(agent: str, teams: tuple[str, ...], role: str, *, secret: str = SECRET, **overrides: Any) -> str:
    claims = agent_claims(agent, teams=teams, role=role)
    claims.update(overrides)
    return issue_token(claims, secret)


INVALID: dict[str, Any] = {
    "no token": lambda: None,
    "not a JWT": lambda: "let-me-in",
    "expired": lambda: token("alice", ("care",), "agent", exp=1_600_000_000),
    "forged signature": lambda: token("alice", ("care",), "admin", secret="someone-elses-secret-000"),
    "foreign issuer": lambda: token("alice", ("care",), "agent", iss="https://cognito-idp.eu-west-1.amazonaws.com/x"),
    "access token": lambda: token("alice", ("care",), "agent", token_use="access"),
}

CALLERS: dict[str, tuple[str, tuple[str, ...], str]] = {
    "outsider agent": ("olga", ("billing",), "agent"),
    "outsider lead": ("oscar", ("billing",), "lead"),
    "colleague": ("bob", ("care",), "agent"),
    "owner": ("alice", ("care",), "agent"),
    "lead": ("lena", ("care",), "lead"),
    "admin": ("root", (), "admin"),
}

# The department answer link's routes take no token (the link's own signed token is the credential).
PUBLIC_ROUTES = {r for r in spec_routes() if r[1].startswith("/answers/")}
AUTHORIZED_ROUTES = [r for r in spec_routes() if r not in PUBLIC_ROUTES]
CASE_ROUTES = {r for r in spec_routes() if r[1].startswith("/cases/")}
QUEUE_ROUTES = {("GET", "/queues/{team}/cases"), ("GET", "/queues/{team}/review")}
PROFILE_ROUTES = {r for r in spec_routes() if r[1].startswith("/accounts/")}
OWNER_ONLY = {
    ("POST", "/cases/{case_id}/release"),
    ("POST", "/cases/{case_id}/status"),
    ("POST", "/cases/{case_id}/replies"),
    ("POST", "/cases/{case_id}/move-to-private"),
    ("POST", "/cases/{case_id}/route"),  # an agent re-routes only a case they own
    ("POST", "/cases/{case_id}/mark"),
    ("POST", "/cases/{case_id}/restore"),
    ("POST", "/cases/{case_id}/entries/{entry_id}/hide"),
    ("POST", "/cases/{case_id}/escalations"),
}
ASSIGN = {("POST", "/cases/{case_id}/assign")}
CRISIS_ROUTES = {r for r in spec_routes() if r[1].startswith("/admin/crises")}  # admins only
CONFIG_READS = {
    r for r in spec_routes() if r[1].startswith("/admin/") and r[0] == "GET"
} - CRISIS_ROUTES  # leads, admins
CONFIG_WRITES = {r for r in spec_routes() if r[1].startswith("/admin/") and r[0] == "PUT"} | CRISIS_ROUTES  # admins
REPORTS = {r for r in spec_routes() if r[1].startswith("/reports/")}  # leads and admins, of every team

# The routes each caller is refused (403); every other route lets them through (whatever it then says).
FORBIDDEN: dict[str, set[tuple[str, str]]] = {
    "outsider agent": CASE_ROUTES | QUEUE_ROUTES | PROFILE_ROUTES | CONFIG_READS | CONFIG_WRITES | REPORTS,
    "outsider lead": CASE_ROUTES | QUEUE_ROUTES | PROFILE_ROUTES | CONFIG_WRITES,
    "colleague": OWNER_ONLY | ASSIGN | PROFILE_ROUTES | CONFIG_READS | CONFIG_WRITES | REPORTS,
    "owner": ASSIGN | PROFILE_ROUTES | CONFIG_READS | CONFIG_WRITES | REPORTS,
    "lead": PROFILE_ROUTES | CONFIG_WRITES,
    "admin": set(),
}

BODIES: dict[tuple[str, str], Any] = {
    ("POST", "/cases/{case_id}/claim"): {},
    ("POST", "/cases/{case_id}/release"): {},
    ("POST", "/cases/{case_id}/assign"): {"agent_id": "dana"},
    ("POST", "/cases/{case_id}/status"): {"status": "pending_internal"},
    ("POST", "/cases/{case_id}/replies"): {"text": "Hello from the matrix"},
    ("POST", "/cases/{case_id}/move-to-private"): {},
    ("POST", "/cases/{case_id}/notes"): {"text": "matrix note"},
    ("POST", "/cases/{case_id}/route"): {"team": "care", "priority": "urgent", "reason": "matrix"},
    ("POST", "/cases/{case_id}/mark"): {"kind": "troll", "reason": "matrix"},
    ("POST", "/cases/{case_id}/restore"): {},
    ("POST", "/cases/{case_id}/entries/{entry_id}/hide"): {},
    ("PUT", "/admin/routing/rules"): {"rules": [{"name": "all", "when": {}, "then": {"team": "care"}}]},
    ("POST", "/cases/{case_id}/escalations"): {"department": "billing", "question": "Charged twice?"},
    ("POST", "/escalations/{escalation_id}/answer"): {"text": "Refunded"},
    ("POST", "/answers/{token}"): {"text": "Refunded"},
    ("PUT", "/accounts/{account_id}/profile"): {"signature_style": "initials"},
    ("PUT", "/admin/sla/calendars/{name}"): {"time_zone": "UTC", "always_open": True},
    ("PUT", "/admin/sla/policies"): {
        "policies": [{"name": "default", "calendar": "always", "match": {}, "targets_minutes": {"first_response": 60}}]
    },
    ("POST", "/admin/crises"): {"name": "Matrix storm"},
    ("POST", "/admin/crises/{crisis_id}/end"): {},
    ("POST", "/admin/crises/{crisis_id}/held/release"): {
        "case_id": "x",
        "entry_id": "1767258000000#auto-acknowledgement",
    },
    ("POST", "/admin/crises/{crisis_id}/held/discard"): {
        "case_id": "x",
        "entry_id": "1767258000000#auto-acknowledgement",
    },
    ("PUT", "/admin/departments/{department_id}"): {
        "name": "Billing",
        "contacts": [{"name": "Desk", "email": "billing@acme.example"}],
        "manager": {"name": "Mia", "email": "mia@acme.example"},
    },
}


@pytest.fixture
def empty_table(matrix: Matrix) -> None:
    """Each call starts on an empty table (moto copies the whole table on every transaction)."""
    dynamodb = matrix.world.aws.dynamodb
    dynamodb.delete_table(TableName=matrix.world.table)
    dynamodb.create_table(**schema.create_table_kwargs(matrix.world.table))


def call(
    matrix: Matrix, route: tuple[str, str], authorization: str | None, *, real_case: bool = True
) -> requests.Response:
    """Call ``route`` on a fresh case of team care owned by alice (an X post she has not answered yet)."""
    case_id = "01JGZ8Q5K2M3N4P5Q6R7S8T9V0"  # the gateway refuses bad tokens before any case is read
    if real_case:
        from socialcare.agents.identity import caller_from_claims

        from tests.agent_api_support import claims_for

        case_id = matrix.world.writes(Channel.X_POST, "x-joe", "@brand help").case_id
        build_service(matrix.world).claim(caller_from_claims(claims_for("alice")), case_id)
    method, template = route
    path = template.replace("{case_id}", case_id).replace("{team}", "care").replace("{account_id}", "x-1")
    path = path.replace("{name}", "always").replace("{department_id}", "billing").replace("{entry_id}", "0%23m1")
    path = path.replace("{token}", "forged.link").replace("{escalation_id}", f"{case_id}-01KAAAAAAAAAAAAAAAAAAAAAAA")
    path = path.replace("{crisis_id}", "01JGZ8Q5K2M3N4P5Q6R7S8T9V1")  # none: an admin gets 404, others 403
    headers = {"content-type": "application/json"}
    if authorization is not None:
        headers["Authorization"] = authorization
    body = BODIES.get(route)
    return requests.request(
        method, matrix.base_url + path, headers=headers, data=json.dumps(body) if body is not None else None, timeout=10
    )


@pytest.mark.parametrize("route", AUTHORIZED_ROUTES, ids=lambda r: f"{r[0]} {r[1]}")
@pytest.mark.parametrize("invalid", list(INVALID))
def test_without_a_valid_token_every_route_is_401(matrix: Matrix, route: tuple[str, str], invalid: str) -> None:
    response = call(matrix, route, INVALID[invalid](), real_case=False)
    assert response.status_code == 401
    assert response.json() == {"message": "Unauthorized"}
    check_response_against_spec(route[0], route[1], 401, response.content)


@pytest.mark.parametrize("route", AUTHORIZED_ROUTES, ids=lambda r: f"{r[0]} {r[1]}")
@pytest.mark.parametrize("who", list(CALLERS))
def test_each_caller_reaches_exactly_the_routes_their_role_and_teams_allow(
    matrix: Matrix, empty_table: None, route: tuple[str, str], who: str
) -> None:
    agent, teams, role = CALLERS[who]
    response = call(matrix, route, token(agent, teams, role))
    check_response_against_spec(route[0], route[1], response.status_code, response.content)
    if route in FORBIDDEN[who]:
        assert response.status_code == 403, response.text
        assert response.json()["code"] in ("forbidden_team", "forbidden_role", "not_case_owner")
    else:
        assert response.status_code not in (401, 403), response.text
        assert response.status_code < 500, response.text


@pytest.mark.parametrize("route", sorted(PUBLIC_ROUTES), ids=lambda r: f"{r[0]} {r[1]}")
@pytest.mark.parametrize("invalid", list(INVALID))
def test_the_answer_link_needs_no_token_and_refuses_a_link_it_did_not_sign(
    matrix: Matrix, route: tuple[str, str], invalid: str
) -> None:
    """Past the gateway whatever the Authorization header holds: the link's token decides (here, a forged one)."""
    response = call(matrix, route, INVALID[invalid](), real_case=False)
    check_response_against_spec(route[0], route[1], response.status_code, response.content)
    assert (response.status_code, response.json()["code"]) == (403, "answer_link_invalid")


def test_the_bearer_prefix_is_accepted(matrix: Matrix) -> None:
    raw = token("alice", ("care",), "agent")
    for header in (raw, f"Bearer {raw}", f"bearer {raw}"):
        response = requests.get(matrix.base_url + "/me", headers={"Authorization": header}, timeout=5)
        assert response.status_code == 200
        assert response.json()["agent_id"] == "alice"


def test_the_gateway_passes_claims_as_api_gateway_does(matrix: Matrix) -> None:
    raw = token("alice", ("care", "billing"), "lead", name="Alice Smith")
    me = requests.get(matrix.base_url + "/me", headers={"Authorization": raw}, timeout=5).json()
    assert me == ALICE_ME


def test_a_token_without_a_role_group_is_403(matrix: Matrix) -> None:
    raw = token("eve", ("care",), "agent", **{"cognito:groups": ["marketing"]})
    response = requests.get(matrix.base_url + "/me", headers={"Authorization": raw}, timeout=5)
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden_role"


def test_unknown_routes_and_methods_are_refused_as_a_rest_api_does(matrix: Matrix) -> None:
    raw = token("alice", ("care",), "agent")
    for method, path in (("GET", "/nothing"), ("DELETE", "/me"), ("GET", "/cases"), ("GET", "/cases/x/y/z")):
        response = requests.request(method, matrix.base_url + path, headers={"Authorization": raw}, timeout=5)
        assert response.status_code == 403
        assert response.json() == {"message": "Missing Authentication Token"}


def test_the_issuer_is_the_local_pools(matrix: Matrix) -> None:
    assert LOCAL_ISSUER.startswith("https://cognito-idp.")
