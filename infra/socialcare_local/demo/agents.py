"""The demo's care team: people with tokens the stack issued, working cases through the agent API.

Each ``ApiAgent`` talks to the API over real HTTP, as an agent's browser or ``curl`` would: the
token in ``Authorization``, JSON bodies, an ``Idempotency-Key`` on every reply and note. A status
the scenario did not expect stops the step with the API's own ``code`` and ``message``.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from typing import Any

import requests

from socialcare_local.demo.errors import DemoStepFailed
from socialcare_local.stack import LocalStack


@dataclass(frozen=True)
class ApiAnswer:
    status: int
    doc: Any
    headers: dict[str, str]

    @property
    def code(self) -> str | None:
        """The API's machine-readable error code (4xx), if any."""
        return self.doc.get("code") if isinstance(self.doc, dict) else None


class ApiAgent:
    """One agent (or lead) at work: ``alice = ApiAgent(stack, "alice", "Alice Smith")``."""

    def __init__(
        self,
        stack: LocalStack,
        agent_id: str,
        name: str,
        *,
        role: str = "agent",
        teams: tuple[str, ...] = ("care",),
    ) -> None:
        self.agent_id = agent_id
        self.name = name
        self.role = role
        self.teams = teams
        self._base = stack.api_base_url
        self._session = requests.Session()
        self._session.headers["Authorization"] = stack.agent_token(agent_id, teams=teams, role=role, name=name)

    @property
    def first_name(self) -> str:
        return self.name.split()[0]

    def close(self) -> None:
        self._session.close()

    # --- HTTP ---------------------------------------------------------------------------------
    def call(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        *,
        expect: Collection[int] = (200,),
        params: dict[str, str] | None = None,
        idempotent: bool = False,
    ) -> ApiAnswer:
        headers = {"Idempotency-Key": f"demo-{uuid.uuid4().hex}"} if idempotent else {}
        response = self._session.request(
            method,
            self._base + path,
            json=body if method != "GET" else None,
            params=params,
            headers=headers,
            timeout=15,
        )
        try:
            doc: Any = response.json()
        except ValueError:
            doc = response.text
        answer = ApiAnswer(response.status_code, doc, dict(response.headers))
        if answer.status not in expect:
            detail = f"{answer.code}: {doc.get('message')}" if answer.code else str(doc)[:200]
            raise DemoStepFailed(
                f"{self.first_name}: {method} {path}: HTTP {answer.status}, expected {'/'.join(map(str, expect))} — {detail}"
            )
        return answer

    def get(self, path: str, *, expect: Collection[int] = (200,), params: dict[str, str] | None = None) -> ApiAnswer:
        return self.call("GET", path, expect=expect, params=params)

    # --- what an agent does -------------------------------------------------------------------
    def me(self) -> dict[str, Any]:
        return dict(self.get("/me").doc)

    def queue(self, team: str = "care", **filters: str) -> list[dict[str, Any]]:
        """Every case of the team's queue (following the cursor), most overdue first."""
        return [case for page in self.queue_pages(team, **filters) for case in page]

    def queue_pages(self, team: str = "care", **filters: str) -> Iterator[list[dict[str, Any]]]:
        params = dict(filters)
        while True:
            doc = self.get(f"/queues/{team}/cases", params=params).doc
            yield list(doc["cases"])
            if not doc.get("next_cursor"):
                return
            params["cursor"] = doc["next_cursor"]

    def find_case(self, user_id: str, team: str = "care", **filters: str) -> dict[str, Any]:
        """The customer's case in the team's queue (as an agent picks it from the list)."""
        matches = [case for case in self.queue(team, **filters) if case["customer"]["user_id"] == user_id]
        if len(matches) != 1:
            raise DemoStepFailed(f"{self.first_name}: {len(matches)} cases of customer {user_id} in the {team} queue")
        return matches[0]

    def case(self, case_id: str) -> dict[str, Any]:
        """The case and the newest page of its thread (newest first; the demo's threads fit one page)."""
        return dict(self.get(f"/cases/{case_id}").doc)

    def claim(self, case_id: str, *, expect: Collection[int] = (200,)) -> ApiAnswer:
        return self.call("POST", f"/cases/{case_id}/claim", {}, expect=expect)

    def assign(self, case_id: str, agent_id: str) -> dict[str, Any]:
        return dict(self.call("POST", f"/cases/{case_id}/assign", {"agent_id": agent_id}).doc)

    def reply(self, case_id: str, *, expect: Collection[int] = (202,), **body: Any) -> ApiAnswer:
        return self.call("POST", f"/cases/{case_id}/replies", body, expect=expect, idempotent=True)

    def move_to_private(self, case_id: str, **body: Any) -> dict[str, Any]:
        return dict(self.call("POST", f"/cases/{case_id}/move-to-private", body, expect=(202,), idempotent=True).doc)

    def note(self, case_id: str, text: str) -> dict[str, Any]:
        return dict(self.call("POST", f"/cases/{case_id}/notes", {"text": text}, idempotent=True).doc)

    def review_queue(self, team: str = "care") -> list[dict[str, Any]]:
        """The team's cases set aside as spam or troll (one page: the demo's are few)."""
        return list(self.get(f"/queues/{team}/review", params={"limit": "100"}).doc["cases"])

    def restore(self, case_id: str, reason: str) -> dict[str, Any]:
        return dict(self.call("POST", f"/cases/{case_id}/restore", {"reason": reason}).doc)

    def audit(self, case_id: str) -> list[dict[str, Any]]:
        return list(self.get(f"/cases/{case_id}/audit", params={"limit": "100"}).doc["records"])

    def routing_rules(self) -> dict[str, Any]:
        return dict(self.get("/admin/routing/rules").doc)

    def set_status(self, case_id: str, status: str, reason: str | None = None) -> dict[str, Any]:
        body = {"status": status, **({"reason": reason} if reason else {})}
        return dict(self.call("POST", f"/cases/{case_id}/status", body).doc)
