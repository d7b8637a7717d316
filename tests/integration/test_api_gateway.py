"""The local API Gateway (REST API) stand-in in front of the agent API: the events it builds, the
tokens it refuses, and how it answers for a crashed function — with a stand-in function."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from socialcare_local.emulator.api_gateway import AgentApiGateway, ResourceMatcher
from socialcare_local.emulator.tokens import agent_claims, issue_token

pytestmark = pytest.mark.integration

SECRET = "gateway-test-secret-0123456789"
ROUTES = {
    "/me": {"GET": True},
    "/cases/{case_id}": {"GET": True},
    "/cases/{case_id}/notes": {"POST": True},
    "/open": {"GET": False},
}


class Recorder:
    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    def __call__(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        self.events.append(event)
        if event["path"] == "/cases/crash":
            raise RuntimeError("the function crashed")
        return {
            "statusCode": 201,
            "headers": {"Content-Type": "application/json", "X-Function": context.function_name},
            "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"]},
            "body": json.dumps({"ok": True}),
            "isBase64Encoded": False,
        }


@pytest.fixture(scope="module")
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture(scope="module")
def gateway(recorder: Recorder) -> Iterator[AgentApiGateway]:
    running = AgentApiGateway(recorder, ROUTES, token_secret=SECRET, function_name="socialcare-local-api")
    running.start()
    yield running
    running.stop()


def token(**overrides: Any) -> str:
    claims = agent_claims("alice", teams=["care", "billing"], role="lead", name="Alice Smith")
    claims.update(overrides)
    return issue_token(claims, SECRET)


def test_a_request_becomes_a_rest_api_proxy_event_with_the_claims(gateway: AgentApiGateway, recorder: Recorder) -> None:
    body = '{"text": "Grüße 🙂"}'.encode()
    response = requests.post(
        f"{gateway.base_url}/cases/01ABC/notes?x=1&x=2&y=",
        data=body,
        headers={"Authorization": token(), "Content-Type": "application/json", "X-Trace": "t1"},
        timeout=5,
    )
    assert response.status_code == 201
    assert response.headers["X-Function"] == "socialcare-local-api"
    assert response.headers["x-amzn-RequestId"]
    event = recorder.events[-1]
    assert event["resource"] == "/cases/{case_id}/notes"
    assert event["path"] == "/cases/01ABC/notes"
    assert event["httpMethod"] == "POST"
    assert event["pathParameters"] == {"case_id": "01ABC"}
    assert event["queryStringParameters"] == {"x": "2", "y": ""}
    assert event["multiValueQueryStringParameters"] == {"x": ["1", "2"], "y": [""]}
    assert event["headers"]["X-Trace"] == "t1"
    assert event["body"].encode("utf-8") == body
    assert event["isBase64Encoded"] is False
    context = event["requestContext"]
    assert (context["resourcePath"], context["httpMethod"], context["stage"]) == (
        "/cases/{case_id}/notes",
        "POST",
        "local",
    )
    assert abs(context["requestTimeEpoch"] - time.time() * 1000) < 60_000
    claims = context["authorizer"]["claims"]
    assert claims["cognito:username"] == "alice"
    assert claims["cognito:groups"] == "leads"
    assert claims["custom:teams"] == "care,billing"
    assert claims["token_use"] == "id"
    assert claims["email_verified"] == "true"
    assert claims["exp"].endswith(time.strftime("%Y", time.gmtime(time.time() + 8 * 3600)))
    assert all(isinstance(v, str) for v in claims.values())


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer",
        "x.y.z",
        token(exp=int(time.time()) - 1),
        token(iss="https://cognito-idp.us-east-1.amazonaws.com/us-east-1_other"),
        token(token_use="access"),
        issue_token(agent_claims("alice", teams=["care"]), "not-the-secret-000000"),
        token()[:-4] + "AAAA",
    ],
    ids=["absent", "empty", "bearer-only", "garbage", "expired", "issuer", "access", "foreign-key", "tampered"],
)
def test_a_bad_token_is_401_and_the_function_never_runs(
    gateway: AgentApiGateway, recorder: Recorder, authorization: str | None
) -> None:
    before = len(recorder.events)
    headers = {} if authorization is None else {"Authorization": authorization}
    response = requests.get(f"{gateway.base_url}/me", headers=headers, timeout=5)
    assert response.status_code == 401
    assert response.json() == {"message": "Unauthorized"}
    assert len(recorder.events) == before


def test_a_tampered_claim_breaks_the_signature(gateway: AgentApiGateway) -> None:
    import base64

    header, payload, signature = token().split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["cognito:groups"] = ["admins"]
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    response = requests.get(
        f"{gateway.base_url}/me", headers={"Authorization": f"{header}.{forged}.{signature}"}, timeout=5
    )
    assert response.status_code == 401


def test_routes_without_the_authorizer_take_no_token(gateway: AgentApiGateway, recorder: Recorder) -> None:
    assert requests.get(f"{gateway.base_url}/open", timeout=5).status_code == 201
    assert "authorizer" not in recorder.events[-1]["requestContext"]


def test_a_crashed_function_is_a_502(gateway: AgentApiGateway) -> None:
    response = requests.get(f"{gateway.base_url}/cases/crash", headers={"Authorization": token()}, timeout=5)
    assert response.status_code == 502
    assert response.json() == {"message": "Internal server error"}


def test_literal_segments_win_over_parameters() -> None:
    matcher = ResourceMatcher({"/cases/{case_id}": {"GET": True}, "/cases/mine": {"GET": True}, "/": {"GET": False}})
    assert matcher.match("/cases/mine") == ("/cases/mine", {})
    assert matcher.match("/cases/01ABC") == ("/cases/{case_id}", {"case_id": "01ABC"})
    assert matcher.match("/cases/a%20b") == ("/cases/{case_id}", {"case_id": "a b"})
    assert matcher.match("/") == ("/", {})
    assert matcher.match("/cases") is None
    assert matcher.match("/cases/01ABC/extra") is None


def test_concurrent_requests_take_turns_in_the_function_instance() -> None:
    import threading

    active = 0
    overlap = False
    lock = threading.Lock()

    def slow(event: dict[str, Any], context: Any) -> dict[str, Any]:
        nonlocal active, overlap
        with lock:
            active += 1
            overlap = overlap or active > 1
        time.sleep(0.05)
        with lock:
            active -= 1
        return {"statusCode": 200, "body": event["requestContext"]["authorizer"]["claims"]["cognito:username"]}

    running = AgentApiGateway(slow, ROUTES, token_secret=SECRET)
    running.start()
    try:
        results: dict[str, str] = {}

        def call(agent: str) -> None:
            claims = agent_claims(agent, teams=["care"])
            response = requests.get(
                f"{running.base_url}/me", headers={"Authorization": issue_token(claims, SECRET)}, timeout=5
            )
            results[agent] = response.text

        threads = [threading.Thread(target=call, args=(f"agent{i}",)) for i in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        running.stop()
    assert results == {f"agent{i}": f"agent{i}" for i in range(4)}
    assert not overlap
