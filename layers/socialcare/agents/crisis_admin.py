"""Crisis mode through the agent API: admins declare, list, read and end crises, and release or
discard each automated message a crisis holds.

A crisis is a versioned configuration document (``ConfigKind.CRISIS``, named by its id), written with
its audit record like the SLA configuration: version 1 declares it, version 2 ends it by hand. The
messages it holds are listed a page at a time from their own items (keyed, never a Scan). A release
asks the gate again (``rules.automated``, without the crisis: a person decided) and, if it still lets
the message go, puts the entry back to PENDING and queues it for the outbound sender; otherwise the
release is refused with the gate's reason and the message stays held, for a person to discard.
Either decision is audited (``crisis/<id>``) and final; ending a crisis leaves its held messages
waiting for theirs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from socialcare.agents import access
from socialcare.agents.base import CASE_ID_PATTERN, CaseActions, audit_record
from socialcare.agents.commands import PageQuery
from socialcare.agents.delivery import queue_reply
from socialcare.agents.identity import Caller
from socialcare.agents.results import CrisisList, CrisisResult, HeldList, HeldResult
from socialcare.errors import (
    ConfigNotFound,
    ConfigVersionConflict,
    CrisisEnded,
    EntryNotFound,
    HeldMessageDecided,
    ReplyNotPossible,
)
from socialcare.ids import new_ulid
from socialcare.model.audit import AuditAction
from socialcare.model.automation import Purpose, automated_anchor, automated_purpose, automated_request
from socialcare.model.case import Case, ThreadEntry
from socialcare.model.config import ConfigKind, StoredConfig
from socialcare.model.crisis import Crisis, HeldMessage, HeldState
from socialcare.model.outbound import OutboundRequest
from socialcare.ports import ConfigRepository, HeldMessages
from socialcare.rules.automated import GateFacts, gate
from socialcare.rules.crisis import crisis_config, crisis_from_config, declare

CRISIS_ID_PATTERN = CASE_ID_PATTERN  # a crisis id is a ULID, as a case id


class CrisisAdmin(CaseActions):
    # --- crises ---------------------------------------------------------------------------------
    def declare_crisis(self, caller: Caller, document: Mapping[str, Any]) -> CrisisResult:
        access.require_crisis_admin(caller)
        now = self._clock()
        crisis = declare(document, crisis_id=new_ulid(now), by=caller.agent_id, now_ms=now)
        self._save(caller, crisis, AuditAction.CRISIS_DECLARED, now)
        return CrisisResult(crisis, now, created=True)

    def list_crises(self, caller: Caller) -> CrisisList:
        access.require_crisis_admin(caller)
        found = [_crisis(config) for config in self._config().list_configs(ConfigKind.CRISIS)]
        newest_first = sorted(found, key=lambda crisis: (crisis.declared_at_ms, crisis.crisis_id), reverse=True)
        return CrisisList(newest_first, self._clock())

    def get_crisis(self, caller: Caller, crisis_id: str) -> CrisisResult:
        access.require_crisis_admin(caller)
        return CrisisResult(self._crisis(crisis_id), self._clock())

    def end_crisis(self, caller: Caller, crisis_id: str, *, expected_version: int | None = None) -> CrisisResult:
        """End it now; its held messages keep waiting for a person's decision."""
        access.require_crisis_admin(caller)
        crisis = self._crisis(crisis_id)
        now = self._clock()
        if expected_version is not None and expected_version != crisis.version:
            raise ConfigVersionConflict(
                f"crisis {crisis_id} is at version {crisis.version}, not {expected_version} as expected (If-Match)",
                current=crisis.version,
            )
        over = crisis.ended_at_ms is not None or (crisis.ends_at_ms is not None and crisis.ends_at_ms <= now)
        if over:
            raise CrisisEnded(f"crisis {crisis_id} has ended already")
        ended = replace(crisis, ended_at_ms=now, ended_by=caller.agent_id, version=crisis.version + 1)
        self._save(caller, ended, AuditAction.CRISIS_ENDED, now)
        return CrisisResult(ended, now)

    # --- the messages a crisis holds ------------------------------------------------------------
    def held_messages(self, caller: Caller, crisis_id: str, query: PageQuery) -> HeldList:
        access.require_crisis_admin(caller)
        crisis = self._crisis(crisis_id)
        scope = f"held|{crisis_id}"
        cursors = self._deps.cursors
        start = cursors.decode(scope, query.cursor) if query.cursor else None
        page = self._held().held_messages(crisis_id, limit=query.limit, start=start)
        cursor = cursors.encode(scope, page.next_position) if page.next_position else None
        return HeldList(crisis, page.items, cursor, self._clock())

    def release_held(self, caller: Caller, crisis_id: str, case_id: str, entry_id: str) -> HeldResult:
        """Let a held message go, if the gate still allows it: it is queued for the outbound sender."""
        access.require_crisis_admin(caller)
        held, entry = self._held_entry(crisis_id, case_id, entry_id)
        case = self._case(case_id)
        request = self._releasable(case, entry)
        decided = self._decide(caller, held, HeldState.RELEASED, AuditAction.HELD_MESSAGE_RELEASED)
        released = replace(entry, extra={**entry.extra, "released_by": caller.agent_id})
        queue_reply(self._deps, request.to_json(), released, keyed=False)
        return HeldResult(decided, queued=True)

    def discard_held(self, caller: Caller, crisis_id: str, case_id: str, entry_id: str) -> HeldResult:
        """Stop a held message for good: it is never sent."""
        access.require_crisis_admin(caller)
        held, _ = self._held_entry(crisis_id, case_id, entry_id)
        return HeldResult(self._decide(caller, held, HeldState.DISCARDED, AuditAction.HELD_MESSAGE_DISCARDED))

    # --- shared ---------------------------------------------------------------------------------
    def _releasable(self, case: Case, entry: ThreadEntry) -> OutboundRequest:
        """The request to send, as the gate decides it now; ReplyNotPossible with its reason if it may not go."""
        purpose = automated_purpose(entry)
        assert purpose is not None  # only automated entries are ever held
        profile = self._profile(case.account_id)
        facts = GateFacts(
            purpose,
            self._clock(),
            human_agent_allowed=profile.human_agent_tag,
            has_template="template" in entry.extra,
            pending_since_ms=automated_anchor(entry.entry_id) if purpose is Purpose.NUDGE else None,
        )
        decision = gate(case, facts)
        delivery = decision.delivery
        if delivery is None:
            raise ReplyNotPossible(f"the message can no longer go: {decision.reason}; discard it")
        if delivery.channel is not entry.channel:
            raise ReplyNotPossible(f"the customer now writes on {delivery.channel}, not {entry.channel}; discard it")
        request = automated_request(entry, case.account_id)
        if delivery.as_template and request.template is None:
            raise ReplyNotPossible("the platform now takes only an approved template; discard it")
        return replace(request, tag=delivery.tag)

    def _decide(self, caller: Caller, held: HeldMessage, state: HeldState, action: AuditAction) -> HeldMessage:
        now = self._clock()
        decided = replace(held, state=state, decided_by=caller.agent_id, decided_at_ms=now)
        audit = audit_record(
            caller,
            action,
            now,
            subject=ConfigKind.CRISIS.subject(held.crisis_id),
            details={"case_id": held.case_id, "entry_id": held.entry_id, "purpose": held.purpose},
        )
        self._held().decide_held(decided, audit)
        return decided

    def _held_entry(self, crisis_id: str, case_id: str, entry_id: str) -> tuple[HeldMessage, ThreadEntry]:
        self._crisis(crisis_id)
        held = self._held().held_message(crisis_id, case_id, entry_id) if CASE_ID_PATTERN.match(case_id) else None
        if held is None:
            raise EntryNotFound(f"crisis {crisis_id} holds no message {entry_id} of case {case_id}")
        if held.state is not HeldState.HELD:
            raise HeldMessageDecided(f"the message was {held.state} by {held.decided_by} already")
        entry = self._store.get_entry(case_id, entry_id)
        if entry is None:
            raise EntryNotFound(f"case {case_id} has no entry {entry_id}")
        return held, entry

    def _crisis(self, crisis_id: str) -> Crisis:
        stored = self._config().get_config(ConfigKind.CRISIS, crisis_id) if CRISIS_ID_PATTERN.match(crisis_id) else None
        if stored is None:
            raise ConfigNotFound(f"no crisis {crisis_id}")
        return _crisis(stored)

    def _save(self, caller: Caller, crisis: Crisis, action: AuditAction, now: int) -> None:
        config = StoredConfig(
            ConfigKind.CRISIS, crisis.crisis_id, crisis.version, crisis_config(crisis), now, caller.agent_id
        )
        audit = audit_record(
            caller,
            action,
            now,
            subject=ConfigKind.CRISIS.subject(crisis.crisis_id),
            details={"version": str(crisis.version), "previous_version": str(crisis.version - 1)},
        )
        self._config().save_config(config, audit)

    def _config(self) -> ConfigRepository:
        if self._deps.config is None:  # pragma: no cover - the API always wires it
            raise ConfigNotFound("crisis mode is not configured here")
        return self._deps.config

    def _held(self) -> HeldMessages:
        if self._deps.held is None:  # pragma: no cover - the API always wires it
            raise ConfigNotFound("crisis mode is not configured here")
        return self._deps.held


def _crisis(stored: StoredConfig) -> Crisis:
    return crisis_from_config(stored.document, version=stored.version)
