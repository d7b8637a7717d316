"""The agent API's JSON documents of crisis mode: crises (with whether each is active now) and the
automated messages a crisis holds. Times as in ``views`` (ISO 8601 UTC with milliseconds, or null)."""

from __future__ import annotations

from typing import Any

from socialcare.agents.results import CrisisList, CrisisResult, HeldList, HeldResult
from socialcare.model.crisis import Crisis, HeldMessage

from chalicelib.views import iso


def handles(result: object) -> bool:
    return isinstance(result, CrisisResult | CrisisList | HeldList | HeldResult)


def version_of(result: object) -> int | None:
    """The ETag a result carries: a crisis's version."""
    return result.crisis.version if isinstance(result, CrisisResult) else None


def status_of(result: object) -> int:
    return 201 if isinstance(result, CrisisResult) and result.created else 200


def document(result: object) -> dict[str, Any]:
    if isinstance(result, CrisisResult):
        return crisis_view(result.crisis, result.now_ms)
    if isinstance(result, CrisisList):
        return {"crises": [crisis_view(crisis, result.now_ms) for crisis in result.crises]}
    if isinstance(result, HeldList):
        return {
            "crisis": crisis_view(result.crisis, result.now_ms),
            "messages": [held_view(held) for held in result.messages],
            "next_cursor": result.next_cursor,
        }
    if isinstance(result, HeldResult):
        return {"message": held_view(result.held), "queued": result.queued}
    raise TypeError(f"no document for {type(result).__name__}")


def crisis_view(crisis: Crisis, now_ms: int) -> dict[str, Any]:
    return {
        "crisis_id": crisis.crisis_id,
        "name": crisis.name,
        "version": crisis.version,
        "active": crisis.active_at(now_ms),
        "scope": {
            "accounts": sorted(crisis.scope.accounts),
            "languages": sorted(crisis.scope.languages),
            "keywords": list(crisis.scope.keywords),
        },
        "starts_at": iso(crisis.starts_at_ms),
        "ends_at": iso(crisis.ends_at_ms),
        "declared_by": crisis.declared_by,
        "declared_at": iso(crisis.declared_at_ms),
        "ended_at": iso(crisis.ended_at_ms),
        "ended_by": crisis.ended_by,
    }


def held_view(held: HeldMessage) -> dict[str, Any]:
    return {
        "crisis_id": held.crisis_id,
        "case_id": held.case_id,
        "entry_id": held.entry_id,
        "purpose": held.purpose,
        "channel": held.channel.value,
        "account_id": held.account_id,
        "text": held.text,
        "held_at": iso(held.held_at_ms),
        "state": held.state.value,
        "decided_by": held.decided_by,
        "decided_at": iso(held.decided_at_ms),
    }
