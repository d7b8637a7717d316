"""Triage by hand: re-routing a case, marking it spam or troll, restoring it from the review queue,
and hiding a customer's public comment on the platform. Each is audited like every agent action.

- **Re-route** (leads and admins, any case of their teams; an agent, a case they own): the case takes
  the team, priority and tags given and its ``routing`` becomes the rule ``manual`` (who, when, their
  reason, and the rule it overrides). A case moved to another team leaves its owner and waits
  unassigned in the new team's queue (its queue item moves with the case write). Its response clock
  is scheduled again as every case write schedules it (``rules.escalation``). A sensitive case keeps
  its ``sensitive`` tags and never allows automated messages again.
- **Mark** (work on the case): spam or troll, with a reason; the case is set aside
  (``rules/review.py``: the team's review queue, no response clock, no automated message). A
  sensitive case is never set aside (``CaseIsSensitive``).
- **Restore** (work on the case): one action takes the mark off, puts the case back in its team's
  queue and starts its response clock from now; ingest's rules never mark it again.
- **Hide a comment** (work on the case): an explicit action, never automatic. Only a customer's
  Facebook or Instagram comment (``HideNotPossible`` otherwise); the outbound function calls Meta's
  hide comment API (task ``hide_comment``) and records ``hidden_at`` (or the refusal) on the entry.
"""

from __future__ import annotations

from dataclasses import replace

from socialcare.agents import access
from socialcare.agents.base import CaseActions, bump
from socialcare.agents.bookkeeping import decided_again_after_bookkeeping
from socialcare.agents.commands import ENTRY_ID_PATTERN, MarkCommand, ReasonCommand, RouteCommand
from socialcare.agents.identity import Caller
from socialcare.agents.results import ActionResult
from socialcare.errors import CaseIsSensitive, CaseNotActive, EntryNotFound, HideNotPossible, HideNotQueued
from socialcare.model.audit import AuditAction
from socialcare.model.case import Case, CaseMark, CaseRouting, EntryKind, ThreadEntry
from socialcare.model.channels import HIDEABLE_COMMENT_CHANNELS
from socialcare.model.tasks import CaseTask, TaskKind
from socialcare.rules.review import restored, set_aside

MANUAL_RULE = "manual"


class Triaging(CaseActions):
    @decided_again_after_bookkeeping
    def reroute(
        self, caller: Caller, case_id: str, command: RouteCommand, *, expected_version: int | None = None
    ) -> ActionResult:
        case = self._load(caller, case_id, access.require_route, expected_version)
        now = self._clock()
        _require_active(case)
        tags = _tags(case, command.tags)
        previous = case.routing
        if (case.team, case.priority, previous.tags if previous else ()) == (command.team, command.priority, tags):
            return ActionResult(case=case, now_ms=now, changed=False)
        routing = CaseRouting(
            MANUAL_RULE,
            (command.reason,),
            tags,
            previous.rules_version if previous else 0,
            overridden_rule=previous.rule if previous else None,
            routed_by=caller.agent_id,
            routed_at_ms=now,
        )
        moved = command.team != case.team
        after = replace(
            case,
            team=command.team,
            priority=command.priority,
            routing=routing,
            owner=None if moved else case.owner,
        )
        after = self._moved(case, bump(after, now), now)  # the policy for the new team and priority
        details = {
            "from_team": case.team,
            "to_team": command.team,
            "from_priority": case.priority.value,
            "to_priority": command.priority.value,
            "tags": ",".join(tags),
            "reason": command.reason,
        }
        if moved and case.owner:
            details["previous_owner"] = case.owner
        self._commit(caller, case, after, AuditAction.ROUTED, now, details=details)
        return ActionResult(case=after, now_ms=now)

    @decided_again_after_bookkeeping
    def mark(
        self, caller: Caller, case_id: str, command: MarkCommand, *, expected_version: int | None = None
    ) -> ActionResult:
        case = self._load(caller, case_id, access.require_work, expected_version)
        now = self._clock()
        _require_active(case)
        if case.sensitive:
            raise CaseIsSensitive(
                f"case {case.case_id} is sensitive ({', '.join(sorted(case.sensitive))}); it is never set aside"
            )
        if case.mark is not None and case.mark.kind == command.kind.value:
            return ActionResult(case=case, now_ms=now, changed=False)
        mark = CaseMark(command.kind.value, (command.reason,), by=caller.agent_id, at_ms=now)
        after = set_aside(bump(case, now), mark)
        details = {"kind": command.kind.value, "reason": command.reason}
        if case.mark is not None:
            details["previous_kind"] = case.mark.kind
        self._commit(caller, case, after, AuditAction.MARKED, now, details=details)
        return ActionResult(case=after, now_ms=now)

    @decided_again_after_bookkeeping
    def restore(
        self, caller: Caller, case_id: str, command: ReasonCommand, *, expected_version: int | None = None
    ) -> ActionResult:
        case = self._load(caller, case_id, access.require_work, expected_version)
        now = self._clock()
        if case.mark is None:
            return ActionResult(case=case, now_ms=now, changed=False)
        after = restored(bump(case, now), by=caller.agent_id, now_ms=now, sla=self._sla())
        details = {"kind": case.mark.kind, "marked_for": "; ".join(case.mark.reasons)[:500]}
        if command.reason:
            details["reason"] = command.reason
        self._commit(caller, case, after, AuditAction.RESTORED, now, details=details)
        return ActionResult(case=after, now_ms=now)

    @decided_again_after_bookkeeping
    def hide_comment(
        self,
        caller: Caller,
        case_id: str,
        entry_id: str,
        command: ReasonCommand,
        *,
        expected_version: int | None = None,
    ) -> ActionResult:
        case = self._load(caller, case_id, access.require_work, expected_version)
        now = self._clock()
        entry = self._store.get_entry(case_id, entry_id) if ENTRY_ID_PATTERN.match(entry_id) else None
        if entry is None:
            raise EntryNotFound(f"case {case_id} has no entry {entry_id}")
        _require_hideable(entry)
        if entry.hidden_at_ms is not None:
            return ActionResult(case=case, now_ms=now, entry=entry, changed=False)
        after = bump(case, now)
        assert entry.channel is not None
        details = {"entry_id": entry_id, "channel": entry.channel.value}
        if command.reason:
            details["reason"] = command.reason
        self._commit(caller, case, after, AuditAction.COMMENT_HIDE_REQUESTED, now, details=details)
        task = CaseTask(TaskKind.HIDE_COMMENT, case_id, {"entry_id": entry_id})
        try:
            self._deps.outbound.send_json(task.to_json(), case_id=case_id, channel=entry.channel.value)
        except Exception as exc:
            raise HideNotQueued(
                "the hide is recorded but could not be handed to the outbound queue; ask again"
            ) from exc
        return ActionResult(case=after, now_ms=now, entry=entry, accepted_for_delivery=True)


def _require_active(case: Case) -> None:
    if not case.status.is_active:
        raise CaseNotActive(f"case {case.case_id} is {case.status}; only active cases are triaged", current=case)


def _tags(case: Case, given: tuple[str, ...] | None) -> tuple[str, ...]:
    """The tags given (else the case's), always with a sensitive case's own."""
    tags = given if given is not None else (case.routing.tags if case.routing else ())
    sensitive = ("sensitive", *(f"sensitive:{c}" for c in sorted(case.sensitive))) if case.sensitive else ()
    return tuple(dict.fromkeys((*tags, *sensitive)))


def _require_hideable(entry: ThreadEntry) -> None:
    if (
        entry.kind is not EntryKind.INBOUND
        or entry.channel not in HIDEABLE_COMMENT_CHANNELS
        or not entry.platform_message_id
    ):
        what = f"a {entry.channel.value} message" if entry.channel else f"a {entry.kind.value} entry"
        raise HideNotPossible(
            f"only a customer's Facebook or Instagram comment can be hidden on the platform; this is {what}"
        )
    if entry.deleted_at_ms is not None:
        raise HideNotPossible("the customer deleted this comment; there is nothing left to hide")
