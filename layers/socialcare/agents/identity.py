"""Who is calling: the claims of a verified Cognito ID token, as an immutable ``Caller``.

API Gateway's Cognito authorizer (and the local stack's stand-in for it) verifies the token and
hands the claims over; this module only reads them. Claim values arrive in several shapes —
``cognito:groups`` as a JSON list (the token itself, Chalice's test client), a comma-separated
string, or API Gateway's ``"[agents leads]"`` rendering of a list — and all are accepted.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from socialcare import constants as c
from socialcare.errors import ForbiddenRole, NotAuthenticated

AGENT_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}$")
TEAM_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


class Role(StrEnum):
    AGENT = "agent"
    LEAD = "lead"
    ADMIN = "admin"


ROLE_GROUPS: Mapping[Role, str] = {Role.AGENT: c.GROUP_AGENTS, Role.LEAD: c.GROUP_LEADS, Role.ADMIN: c.GROUP_ADMINS}
_ROLE_OF_GROUP = {group: role for role, group in ROLE_GROUPS.items()}
_RANK = {Role.AGENT: 0, Role.LEAD: 1, Role.ADMIN: 2}


@dataclass(frozen=True, slots=True)
class Caller:
    agent_id: str  # the Cognito username
    role: Role
    teams: frozenset[str]
    display_name: str
    email: str | None = None

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    @property
    def is_lead_or_admin(self) -> bool:
        return self.role in (Role.LEAD, Role.ADMIN)

    def in_team(self, team: str) -> bool:
        return self.is_admin or team in self.teams

    @property
    def first_name(self) -> str:
        return self.display_name.split()[0] if self.display_name.split() else self.agent_id

    @property
    def initials(self) -> str:
        words = [w for w in re.split(r"[\s.\-_]+", self.display_name) if w]
        if not words:
            return self.agent_id[:1].upper()
        picked = words if len(words) == 1 else [words[0], words[-1]]
        return "".join(w[0].upper() for w in picked)


def split_claim(value: Any) -> tuple[str, ...]:
    """A list-valued claim in any of its shapes, as a tuple of non-empty strings."""
    if value is None:
        return ()
    if isinstance(value, (list, tuple)):
        items: Iterable[Any] = value
    else:
        text = str(value).strip()
        if text.startswith("[") and text.endswith("]"):
            text = text[1:-1]
        items = re.split(r"[,\s]+", text)
    return tuple(dict.fromkeys(str(i).strip().strip('"') for i in items if str(i).strip().strip('"')))


def caller_from_claims(claims: Mapping[str, Any] | None) -> Caller:
    """The caller the claims describe; NotAuthenticated or ForbiddenRole when they do not make one."""
    if not claims:
        raise NotAuthenticated("no verified identity: send a Cognito ID token in the Authorization header")
    token_use = claims.get("token_use")
    if token_use is not None and token_use != "id":  # noqa: S105 - a claim value, not a secret
        raise NotAuthenticated("the agent API takes Cognito ID tokens (token_use id), not access tokens")
    agent_id = str(claims.get("cognito:username") or "").strip()
    if not AGENT_ID_PATTERN.match(agent_id):
        raise NotAuthenticated("the token carries no usable cognito:username")
    roles = [_ROLE_OF_GROUP[g] for g in split_claim(claims.get("cognito:groups")) if g in _ROLE_OF_GROUP]
    if not roles:
        raise ForbiddenRole(
            f"{agent_id} is in none of the groups {', '.join(ROLE_GROUPS.values())}; ask an admin to add them"
        )
    role = max(roles, key=_RANK.__getitem__)
    teams = frozenset(t for t in split_claim(claims.get(c.TEAMS_CLAIM)) if TEAM_PATTERN.match(t))
    name = str(claims.get("name") or "").strip()
    if not name:
        name = " ".join(str(claims.get(k) or "").strip() for k in ("given_name", "family_name")).strip()
    email = claims.get("email")
    return Caller(
        agent_id=agent_id,
        role=role,
        teams=teams,
        display_name=name or agent_id,
        email=str(email) if email else None,
    )
