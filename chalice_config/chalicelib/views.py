"""The agent API's JSON documents of the core's results: cases (whole, or as a list shows them), thread
entries, audit records, profiles.

Times are ISO 8601 UTC strings with milliseconds ("2026-01-01T09:30:00.000Z"), or null.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from socialcare.agents.identity import Caller
from socialcare.agents.results import (
    ActionResult,
    AuditList,
    CannedList,
    CaseDetail,
    CaseList,
    ProfileResult,
    ThreadPage,
)
from socialcare.model.audit import AuditRecord
from socialcare.model.case import Case, CaseMark, ThreadEntry
from socialcare.model.crisis import Crisis
from socialcare.model.profile import profile_document
from socialcare.model.summary import CaseSummary
from socialcare.rules.crisis import crises_for
from socialcare.rules.sla import NOT_DUE_MS


def iso(ms: int | None) -> str | None:
    if ms is None:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms // 1000)) + f".{ms % 1000:03d}Z"


def case_view(case: Case, now_ms: int, crises: Sequence[Crisis] | None = None) -> dict[str, Any]:
    """The case; with ``crises`` (the active ones), also those whose scope covers it (``crises``)."""
    due = case.response_due_at_ms if case.response_due_at_ms != NOT_DUE_MS else None
    view = {
        "case_id": case.case_id,
        "version": case.version,
        "status": case.status.value,
        "priority": case.priority.value,
        "team": case.team,
        "owner": case.owner,
        "platform": case.platform.value,
        "account_id": case.account_id,
        "channels": sorted(ch.value for ch in case.channels),
        "customer": {"user_id": case.customer.user_id, "name": case.customer.name, "handle": case.customer.handle},
        "awaiting_reply_since": iso(case.awaiting_reply_since_ms),
        "response_due_at": iso(due),
        "overdue": due is not None and case.awaiting_reply_since_ms is not None and now_ms > due,
        "created_at": iso(case.created_at_ms),
        "updated_at": iso(case.updated_at_ms),
        "last_inbound_at": iso(case.last_inbound_at_ms),
        "last_outbound_at": iso(case.last_outbound_at_ms),
        "first_response_at": iso(case.first_response_at_ms),
        "resolved_at": iso(case.resolved_at_ms),
        "closed_at": iso(case.closed_at_ms),
        "message_count": case.message_count,
        "reopen_count": case.reopen_count,
        "follow_up_of": case.follow_up_of,
        "superseded_by": case.superseded_by,
        "case_clock": case_clock_view(case),
        "follow_up": follow_up_view(case),
        "routing": routing_view(case),
        "sensitive": sorted(case.sensitive),
        "automated_messages_allowed": case.automated_messages_allowed,
        "language": case.language,
        "mark": mark_view(case.mark),
        "restored_at": iso(case.restored_at_ms),
        "restored_by": case.restored_by,
    }
    if crises is not None:
        view["crises"] = [crisis_badge(crisis) for crisis in crises_for(case, crises, now_ms)]
    return view


def crisis_badge(crisis: Crisis) -> dict[str, Any]:
    """What a case in scope shows of an active crisis: its automated messages are held for review."""
    return {"crisis_id": crisis.crisis_id, "name": crisis.name, "ends_at": iso(crisis.ends_at_ms)}


def summary_view(summary: CaseSummary, now_ms: int, crises: Sequence[Crisis]) -> dict[str, Any]:
    """A case as its queue lists it (``model.summary``): what an agent picks the next case by, and the
    active crises whose scope covers it. ``finished_at``: history lists only."""
    due = summary.response_due_at_ms
    waiting = summary.awaiting_reply_since_ms
    return {
        "case_id": summary.case_id,
        "team": summary.team,
        "status": summary.status.value,
        "priority": summary.priority.value,
        "channel": summary.channel.value,
        "platform": summary.platform.value,
        "account_id": summary.account_id,
        "owner": summary.owner,
        "customer": {
            "user_id": summary.customer_id,
            "name": summary.customer_name,
            "handle": summary.customer_handle,
            "display_name": summary.customer_display,
        },
        "awaiting_reply_since": iso(waiting),
        "response_due_at": iso(due),
        "overdue": due is not None and waiting is not None and now_ms > due,
        "created_at": iso(summary.created_at_ms),
        "finished_at": iso(summary.finished_at_ms),
        "tags": list(summary.tags),
        "mark": mark_view(summary.mark),
        "sensitive": sorted(summary.sensitive),
        "sla_tier": summary.sla_tier.value if summary.sla_tier else None,
        "crises": [crisis_badge(crisis) for crisis in crises_for(summary, crises, now_ms)],
    }


def mark_view(mark: CaseMark | None) -> dict[str, Any] | None:
    """The spam/troll mark that set the case aside (null: in its team's queue)."""
    if mark is None:
        return None
    return {"kind": mark.kind, "reasons": list(mark.reasons), "by": mark.by, "at": iso(mark.at_ms)}


def routing_view(case: Case) -> dict[str, Any] | None:
    """Which rule routed the case and why: at ingest, or by hand (``manual``, who and when); null for a
    case from before triage."""
    routing = case.routing
    if routing is None:
        return None
    return {
        "rule": routing.rule,
        "reasons": list(routing.reasons),
        "tags": list(routing.tags),
        "rules_version": routing.rules_version,
        "overridden_rule": routing.overridden_rule,
        "routed_by": routing.routed_by,
        "routed_at": iso(routing.routed_at_ms),
    }


def case_clock_view(case: Case) -> dict[str, Any]:
    """The case clock's state: its schedule while an answer is awaited, and the tier it recorded."""
    schedule = case.escalation
    return {
        "generation": case.clock_generation,
        "clock": schedule.clock if schedule else None,
        "sla_tier": schedule.tier.value if schedule and schedule.tier else None,
        "tier_owner": schedule.tier_owner if schedule else None,
        "warn_at": iso(schedule.warn_at_ms) if schedule else None,
        "breach_at": iso(schedule.breach_at_ms) if schedule else None,
        "second_tier_at": iso(schedule.second_tier_at_ms) if schedule else None,
    }


def follow_up_view(case: Case) -> dict[str, Any]:
    """The follow-up of the case's current pending cycle (nudge and auto-resolve), while it waits for the customer."""
    schedule = case.follow_up
    return {
        "cycle": case.follow_up_cycle,
        "pending_since": iso(schedule.pending_since_ms) if schedule else None,
        "nudge_at": iso(schedule.nudge_at_ms) if schedule else None,
        "auto_resolve_at": iso(schedule.resolve_at_ms) if schedule else None,
    }


def entry_view(entry: ThreadEntry) -> dict[str, Any]:
    return {
        "entry_id": entry.entry_id,
        "kind": entry.kind.value,
        "at": iso(entry.timestamp_ms),
        "channel": entry.channel.value if entry.channel else None,
        "author": entry.author,
        "text": entry.text,
        "attachments": [{"kind": kind, "url": url} for kind, url in entry.attachments],
        "public": entry.public,
        "platform_message_id": entry.platform_message_id,
        "reply_to_id": entry.reply_to_id,
        "conversation_ref": entry.conversation_ref,
        "delivery_state": entry.delivery_state.value if entry.delivery_state else None,
        "delivery_state_at": iso(entry.delivery_state_at_ms),
        "delivery_error": entry.delivery_error,
        "edits": [{"at": iso(ts), "previous_text": text} for ts, text in entry.edits],
        "deleted_at": iso(entry.deleted_at_ms),
        "details": dict(entry.extra),
        "language": entry.language,
        "sentiment": (
            {
                "label": entry.sentiment.label,
                "score": entry.sentiment.score,
                "confidence": entry.sentiment.confidence,
                "method": entry.sentiment.method,
            }
            if entry.sentiment
            else None
        ),
        "hidden": entry.hidden_at_ms is not None,
        "hidden_at": iso(entry.hidden_at_ms),
        "hide_error": entry.hide_error,
    }


def audit_view(record: AuditRecord) -> dict[str, Any]:
    return {
        "record_id": record.record_id,
        "at": iso(record.at_ms),
        "actor": record.actor,
        "actor_role": record.actor_role,
        "action": record.action.value,
        "case_version": record.case_version,
        "details": dict(record.details),
    }


def caller_view(caller: Caller) -> dict[str, Any]:
    return {
        "agent_id": caller.agent_id,
        "name": caller.display_name,
        "initials": caller.initials,
        "role": caller.role.value,
        "teams": sorted(caller.teams),
        "email": caller.email,
    }


def document(result: object) -> dict[str, Any]:
    """The JSON document of any agent-service result."""
    if isinstance(result, CaseList):
        cases = [summary_view(k, result.now_ms, result.crises) for k in result.cases]
        return {"cases": cases, "next_cursor": result.next_cursor}
    if isinstance(result, CaseDetail):
        return {
            "case": case_view(result.case, result.now_ms, result.crises),
            "thread": [entry_view(e) for e in result.thread.entries],
            "thread_cursor": result.thread.next_cursor,
        }
    if isinstance(result, ThreadPage):
        return {"thread": [entry_view(e) for e in result.entries], "next_cursor": result.next_cursor}
    if isinstance(result, ActionResult):
        doc: dict[str, Any] = {"case": case_view(result.case, result.now_ms), "changed": result.changed}
        if result.entry is not None:
            doc["entry"] = entry_view(result.entry)
        if result.replayed:
            doc["replayed"] = True
        return doc
    if isinstance(result, AuditList):
        return {"records": [audit_view(r) for r in result.records], "next_cursor": result.next_cursor}
    if isinstance(result, CannedList):
        return {
            "case_id": result.case_id,
            "canned_responses": [
                {"id": r.response_id, "title": r.title, "text": r.text, "unavailable": r.unavailable}
                for r in result.responses
            ],
        }
    if isinstance(result, ProfileResult):
        return {
            **profile_document(result.profile),
            "updated_at": iso(result.profile.updated_at_ms),
            "updated_by": result.profile.updated_by,
        }
    if isinstance(result, Caller):
        return caller_view(result)
    raise TypeError(f"no document for {type(result).__name__}")
