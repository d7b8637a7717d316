"""Internal notes: part of the thread for the team, never sent to the customer. Anyone who may see a
case may add one (a note is how a colleague helps), once per Idempotency-Key."""

from __future__ import annotations

from socialcare.agents import access
from socialcare.agents.base import bump
from socialcare.agents.bookkeeping import decided_again_after_bookkeeping
from socialcare.agents.commands import NoteCommand
from socialcare.agents.idempotency import Decision, Keyed, KeyedActions
from socialcare.agents.identity import Caller
from socialcare.agents.results import ActionResult
from socialcare.ids import new_ulid
from socialcare.model.audit import AuditAction
from socialcare.model.case import Case, EntryKind, ThreadEntry


class Notes(KeyedActions):
    @decided_again_after_bookkeeping
    def add_note(
        self,
        caller: Caller,
        case_id: str,
        command: NoteCommand,
        *,
        expected_version: int | None = None,
        idempotency_key: str | None = None,
    ) -> ActionResult:
        def decide(case: Case, now: int) -> Decision:
            entry = ThreadEntry(
                case_id=case_id,
                entry_id=f"{now:013d}#note-{new_ulid(now)}",
                kind=EntryKind.NOTE,
                timestamp_ms=now,
                author=caller.agent_id,
                text=command.text,
                extra={"agent_name": caller.display_name},
            )
            return Decision(
                after=bump(case, now),
                action=AuditAction.NOTE_ADDED,
                entry=entry,
                details={"entry_id": entry.entry_id},
                entries=(entry,),
            )

        request = Keyed("note", command, idempotency_key)
        return self._once(caller, case_id, request, access.require_view, expected_version, decide)
