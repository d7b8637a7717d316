"""How a status change is written down, by a person (the agent API) or by an automation (the
follow-up's auto-resolve): the thread's line and the audit record's details, the same for both."""

from __future__ import annotations

from socialcare.ids import new_ulid
from socialcare.model.case import Case, CaseStatus, EntryKind, ThreadEntry


def status_change_entry(
    case: Case, target: CaseStatus, *, author: str, author_name: str, now_ms: int, reason: str | None
) -> ThreadEntry:
    """The thread's line recording ``case`` moving to ``target`` (and why, when a reason is given)."""
    return ThreadEntry(
        case_id=case.case_id,
        entry_id=f"{now_ms:013d}#status-{new_ulid(now_ms)}",
        kind=EntryKind.STATUS_CHANGE,
        timestamp_ms=now_ms,
        author=author,
        text=reason,
        extra={"from": case.status.value, "to": target.value, "agent_name": author_name},
    )


def status_change_details(case: Case, target: CaseStatus, reason: str | None) -> dict[str, str]:
    """The audit record's details of the same change."""
    details = {"from": case.status.value, "to": target.value}
    if reason:
        details["reason"] = reason
    return details
