"""Local agent tokens and the config file's [api] and [brand] tables."""

from __future__ import annotations

import time

import pytest
from socialcare.agents.identity import Role, caller_from_claims
from socialcare.model.profile import SignatureStyle
from socialcare_local.cli import main
from socialcare_local.config import EXAMPLE_CONFIG_PATH, ConfigError, config_from_dict, load_config
from socialcare_local.emulator.tokens import (
    LOCAL_ISSUER,
    TokenInvalid,
    agent_claims,
    gateway_claims,
    issue_token,
    parse_duration,
    verify_token,
)

pytestmark = pytest.mark.unit


def test_a_token_carries_the_claims_of_a_cognito_id_token() -> None:
    claims = agent_claims("alice", teams=["care", "billing"], role="lead", name="Alice Smith", now_s=1000, ttl_s=60)
    assert claims["cognito:username"] == "alice"
    assert claims["cognito:groups"] == ["leads"]
    assert claims["custom:teams"] == "care,billing"
    assert (claims["token_use"], claims["iss"], claims["iat"], claims["exp"]) == ("id", LOCAL_ISSUER, 1000, 1060)
    verified = verify_token(issue_token(claims, "s" * 20), "s" * 20, now_s=1059)
    assert verified == claims
    with pytest.raises(TokenInvalid, match="expired"):
        verify_token(issue_token(claims, "s" * 20), "s" * 20, now_s=1060)


def test_the_app_reads_the_gateways_string_claims_as_the_tokens_own() -> None:
    claims = agent_claims("bob", teams=["care"], role=Role.ADMIN, name="Bob Li")
    assert caller_from_claims(gateway_claims(claims)) == caller_from_claims(claims)
    assert gateway_claims(claims)["iat"].endswith(time.strftime("%Y"))


def test_bad_agents_teams_and_durations() -> None:
    with pytest.raises(ValueError, match="agent id"):
        agent_claims("not ok", teams=["care"])
    with pytest.raises(ValueError, match="team"):
        agent_claims("alice", teams=["Care Team"])
    assert parse_duration("8h") == 8 * 3600
    assert parse_duration("90") == 90
    for bad in ("8 hours", "0s", "30d"):
        with pytest.raises(ValueError, match=r"duration|lives"):
            parse_duration(bad)


def test_socialcare_token_prints_a_token_the_gateway_accepts(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "token",
            "--agent",
            "alice",
            "--team",
            "care",
            "--team",
            "billing",
            "--role",
            "lead",
            "--name",
            "Alice Smith",
            "--ttl",
            "15m",
        ]
    )
    assert code == 0
    token = capsys.readouterr().out.strip()
    claims = verify_token(token, load_config(None).api.token_secret)
    caller = caller_from_claims(gateway_claims(claims))
    assert (caller.agent_id, caller.role, caller.teams, caller.display_name) == (
        "alice",
        Role.LEAD,
        frozenset({"care", "billing"}),
        "Alice Smith",
    )
    assert claims["exp"] - claims["iat"] == 900


def test_socialcare_token_refuses_bad_input(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["token", "--agent", "alice", "--team", "care", "--ttl", "forever"]) == 2
    assert "duration" in capsys.readouterr().err


def test_the_example_file_is_the_built_in_defaults() -> None:
    example = load_config(EXAMPLE_CONFIG_PATH)
    defaults = load_config(None)
    assert example.api == defaults.api
    assert example.brand == defaults.brand
    assert example.stack.api_port == defaults.stack.api_port == 8081
    profile = defaults.brand_profile("104560123456789")
    assert profile.brand_name == "Acme Outfitters"
    assert profile.signature_style is SignatureStyle.FIRST_NAME
    assert profile.human_agent_tag is True
    assert [r.response_id for r in profile.canned_responses] == ["late-order", "refund-started", "thanks"]


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ({"api": {"token_secret": "short"}}, "token_secret"),
        ({"api": {"colour": "red"}}, "unknown key"),
        ({"brand": {"canned_responses": [{"id": "a", "text": "Hi {nme}"}]}}, "unknown placeholder"),
        ({"brand": {"signature_style": "emoji"}}, "signature_style"),
        ({"stack": {"api_port": 70000}}, "api_port"),
    ],
)
def test_bad_api_and_brand_tables_are_config_errors(doc: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        config_from_dict(doc)
