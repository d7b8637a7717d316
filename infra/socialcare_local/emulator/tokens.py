"""Local agent tokens: JWTs carrying the claims a Cognito ID token carries, signed HS256.

In AWS, agents sign in to the Cognito user pool and send its ID token; API Gateway's Cognito
authorizer verifies it and passes its claims to the API. Locally, ``socialcare token`` issues a
token with the same claims (``cognito:username``, ``cognito:groups``, ``custom:teams``, ``name``,
``token_use: id``...), signed with the ``[api] token_secret`` of the config file, and the local
API gateway verifies it the way the authorizer would: signature, expiry, issuer, token use.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import time
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from socialcare import constants as c
from socialcare.agents.identity import AGENT_ID_PATTERN, ROLE_GROUPS, TEAM_PATTERN, Role

LOCAL_ISSUER = "https://cognito-idp.local.socialcare/local_agents"  # where a Cognito pool would be
LOCAL_CLIENT_ID = "socialcare-local-agents"
DEFAULT_TTL_S = 8 * 3600
MAX_TTL_S = 7 * 24 * 3600
_DURATION = re.compile(r"^(\d+)([smhd]?)$")
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


class TokenInvalid(Exception):
    """The token is not one the authorizer would accept (the message says why; never shown to callers)."""


def parse_duration(text: str) -> int:
    """``90``, ``90s``, ``15m``, ``8h``, ``2d`` as seconds."""
    found = _DURATION.match(text.strip())
    if not found:
        raise ValueError(f"{text!r} is not a duration like 8h, 15m or 3600")
    seconds = int(found.group(1)) * _UNITS[found.group(2)]
    if not 1 <= seconds <= MAX_TTL_S:
        raise ValueError(f"a token lives from 1 second to {MAX_TTL_S // 86400} days")
    return seconds


def agent_claims(
    agent_id: str,
    *,
    teams: Iterable[str],
    role: Role | str = Role.AGENT,
    name: str | None = None,
    email: str | None = None,
    ttl_s: int = DEFAULT_TTL_S,
    now_s: int | None = None,
    issuer: str = LOCAL_ISSUER,
) -> dict[str, Any]:
    """The claims of a Cognito ID token for this agent."""
    if not AGENT_ID_PATTERN.match(agent_id):
        raise ValueError(f"agent id {agent_id!r} must match {AGENT_ID_PATTERN.pattern}")
    team_list = [t.strip() for team in teams for t in team.split(",") if t.strip()]
    for team in team_list:
        if not TEAM_PATTERN.match(team):
            raise ValueError(f"team {team!r} must match {TEAM_PATTERN.pattern}")
    role = Role(role)
    now = int(time.time()) if now_s is None else now_s
    return {
        "sub": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{issuer}/{agent_id}")),
        "cognito:groups": [ROLE_GROUPS[role]],
        "email_verified": True,
        "iss": issuer,
        "cognito:username": agent_id,
        "origin_jti": str(uuid.uuid4()),
        "aud": LOCAL_CLIENT_ID,
        "event_id": str(uuid.uuid4()),
        "token_use": "id",
        "auth_time": now,
        "name": name or agent_id,
        c.TEAMS_CLAIM: ",".join(dict.fromkeys(team_list)),
        "exp": now + ttl_s,
        "iat": now,
        "jti": str(uuid.uuid4()),
        "email": email or f"{agent_id}@agents.local",
    }


def issue_token(claims: Mapping[str, Any], secret: str) -> str:
    header = {"alg": "HS256", "typ": "JWT", "kid": "local"}
    signing_input = f"{_b64(json.dumps(header, separators=(',', ':')).encode())}.{_b64(json.dumps(dict(claims), separators=(',', ':')).encode())}"
    signature = hmac.new(secret.encode("utf-8"), signing_input.encode("ascii"), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"


def unsigned_token(claims: Mapping[str, Any]) -> str:
    """A JWT-shaped token whose claims anyone can read and no one verifies (Chalice's test client)."""
    header = _b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    return f"{header}.{_b64(json.dumps(dict(claims), separators=(',', ':')).encode())}."


def verify_token(
    authorization: str | None, secret: str, *, issuer: str = LOCAL_ISSUER, now_s: float | None = None
) -> dict[str, Any]:
    """The token's claims, checked as API Gateway's Cognito authorizer checks an ID token."""
    if not authorization or not authorization.strip():
        raise TokenInvalid("no Authorization header")
    token = authorization.strip()
    if token[:7].lower() == "bearer ":
        token = token[7:].strip()
    parts = token.split(".")
    if len(parts) != 3 or not token.isascii():
        raise TokenInvalid("not a JWT")
    try:
        header = json.loads(_unb64(parts[0]))
        claims = json.loads(_unb64(parts[1]))
        signature = _unb64(parts[2])
    except (binascii.Error, ValueError) as exc:
        raise TokenInvalid(f"undecodable JWT: {exc}") from exc
    if not isinstance(header, dict) or header.get("alg") != "HS256":
        raise TokenInvalid("unexpected signing algorithm")
    expected = hmac.new(secret.encode("utf-8"), f"{parts[0]}.{parts[1]}".encode("ascii"), hashlib.sha256).digest()
    if not hmac.compare_digest(signature, expected):
        raise TokenInvalid("bad signature")
    if not isinstance(claims, dict):
        raise TokenInvalid("claims are not an object")
    now = time.time() if now_s is None else now_s
    exp = claims.get("exp")
    if not isinstance(exp, (int, float)) or isinstance(exp, bool) or exp <= now:
        raise TokenInvalid("expired")
    if claims.get("iss") != issuer:
        raise TokenInvalid("wrong issuer")
    if claims.get("token_use") != "id":
        raise TokenInvalid("not an ID token")
    return claims


def gateway_claims(claims: Mapping[str, Any]) -> dict[str, str]:
    """The claims as a REST API's Cognito authorizer passes them on: every value a string.

    Lists are joined with commas, booleans are ``"true"``/``"false"``, and the time claims become
    dates in API Gateway's format (``"Thu Jan 01 08:00:00 UTC 2026"``).
    """
    result: dict[str, str] = {}
    for name, value in claims.items():
        if name in ("exp", "iat", "auth_time") and isinstance(value, (int, float)):
            result[name] = time.strftime("%a %b %d %H:%M:%S UTC %Y", time.gmtime(value))
        elif isinstance(value, bool):
            result[name] = "true" if value else "false"
        elif isinstance(value, (list, tuple)):
            result[name] = ",".join(str(v) for v in value)
        else:
            result[name] = str(value)
    return result


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
