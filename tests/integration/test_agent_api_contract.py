"""The agent API's contract: the OpenAPI file is valid and describes exactly the app's routes, every
route is behind the Cognito authorizer, and ``chalice package`` builds the deployable API offline."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from openapi_spec_validator import validate
from socialcare import constants as c

from tests.agent_api_support import REPO, app_module, spec, spec_routes

pytestmark = pytest.mark.integration


# The department answer link's routes: without the authorizer, the signed token is the credential.
PUBLIC_ROUTES = {("GET", "/answers/{token}"), ("POST", "/answers/{token}")}


def app_routes() -> set[tuple[str, str]]:
    return {(method, path) for path, methods in app_module().app.routes.items() for method in methods}


def test_the_openapi_file_is_valid_openapi_3_1() -> None:
    validate(spec())
    assert spec()["openapi"].startswith("3.1")


def test_the_spec_and_the_app_have_the_same_routes_and_methods() -> None:
    assert set(spec_routes()) == app_routes()


def test_every_route_but_the_answer_links_is_behind_the_cognito_authorizer() -> None:
    app = app_module().app
    public = set()
    for path, methods in app.routes.items():
        for method, entry in methods.items():
            if entry.authorizer is None:
                public.add((method, path))
            else:
                assert entry.authorizer.name == c.AGENT_API_AUTHORIZER_NAME
    assert public == PUBLIC_ROUTES
    assert spec()["security"] == [{c.AGENT_API_AUTHORIZER_NAME: []}]
    documented_public = {
        (m.upper(), p) for p, ops in spec()["paths"].items() for m, op in ops.items() if op.get("security") == []
    }
    assert documented_public == PUBLIC_ROUTES


def test_every_error_status_the_api_maps_is_documented() -> None:
    from chalicelib.http import ERROR_STATUS

    documented = {status for ops in spec()["paths"].values() for op in ops.values() for status in op["responses"]}
    assert {str(s) for s in ERROR_STATUS.values()} <= documented


def test_every_route_documents_401_and_403() -> None:
    for path, ops in spec()["paths"].items():
        for method, op in ops.items():
            expected = {"403"} if (method.upper(), path) in PUBLIC_ROUTES else {"401", "403"}
            assert expected <= set(op["responses"]), f"{method.upper()} {path}"


@pytest.mark.infra
def test_chalice_package_builds_the_api_offline(tmp_path: Path) -> None:
    chalice = Path(sys.executable).with_name("chalice")
    env = {**os.environ, "AWS_DEFAULT_REGION": "us-east-1"}
    env.pop("AWS_ENDPOINT_URL", None)
    for stage in ("dev", "prod"):
        out = tmp_path / stage
        result = subprocess.run(
            [str(chalice), "package", "--stage", stage, str(out)],
            cwd=REPO / "chalice_config",
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        template = json.loads((out / "sam.json").read_text())
        function = template["Resources"]["APIHandler"]["Properties"]
        assert function["Handler"] == "app.app"
        body = template["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]
        assert c.AGENT_API_AUTHORIZER_NAME in body["securityDefinitions"]
        packaged = {(m.upper(), p) for p, ops in body["paths"].items() for m in ops if m != "options"}
        assert packaged == app_routes()
        for path, ops in body["paths"].items():
            for method, op in ops.items():
                if (method.upper(), path) not in PUBLIC_ROUTES and method != "options":
                    assert op["security"] == [{c.AGENT_API_AUTHORIZER_NAME: []}]
                elif method != "options":
                    assert "security" not in op, f"{method} {path} is public"
    assert template["Resources"]["APIHandler"]["Properties"]["MemorySize"] == 1024  # the prod stage's


def test_the_configuration_names_a_missing_variable() -> None:
    app_module()
    from chalicelib.wiring import ApiConfig

    env = {c.ENV_TABLE_NAME: "t", c.ENV_OUTBOUND_QUEUE_URL: "https://sqs/q", c.ENV_API_SECRET_ARN: "arn:secret"}
    assert ApiConfig.from_env(env) == ApiConfig("t", "https://sqs/q", "arn:secret")
    for missing in env:
        with pytest.raises(RuntimeError, match=missing):
            ApiConfig.from_env({k: v for k, v in env.items() if k != missing})
