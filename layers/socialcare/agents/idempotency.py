"""Actions that create a thread entry (replies, move to private, notes), made at most once per
Idempotency-Key: the one place a repeated request is recognised and answered with its first result.

A keyed request first looks for its key's marker: found, the first result is answered (and a reply
still waiting to be sent is queued again: one whose first attempt never reached the queue goes out
now, a duplicate is dropped by the outbound sender); found for another request, it is refused. A
new request stores its marker in the action's own transaction, so two copies racing each other
store the action once: the loser finds the winner's marker and answers the winner's result.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass

from socialcare.agents import access
from socialcare.agents.base import AccessCheck, CaseActions
from socialcare.agents.delivery import queue_reply
from socialcare.agents.identity import Caller
from socialcare.agents.results import ActionResult
from socialcare.errors import CaseNotFound, IdempotencyKeyReused, MarkerExists
from socialcare.model.audit import AuditAction
from socialcare.model.case import Case, EntryKind, ThreadEntry
from socialcare.model.events import DeliveryState
from socialcare.ports import EscalationWrite, IdempotencyMarker

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Keyed:
    """A request that may carry an Idempotency-Key: its route and command make its fingerprint."""

    route: str
    command: object
    key: str | None

    @property
    def fingerprint(self) -> str:
        doc = asdict(self.command)  # type: ignore[call-overload]
        canonical = json.dumps(
            {"route": self.route, "command": doc}, sort_keys=True, default=str, separators=(",", ":")
        )
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class Decision:
    """What an entry-creating action decided: the case after it, the entry it is about, what to audit."""

    after: Case
    action: AuditAction
    entry: ThreadEntry
    details: Mapping[str, str]
    entries: tuple[ThreadEntry, ...]
    request_json: str | None = None  # a reply's outbound request, queued once stored
    escalation: EscalationWrite | None = None  # a department escalation it creates


Decide = Callable[[Case, int], Decision]


class KeyedActions(CaseActions):
    def _once(
        self,
        caller: Caller,
        case_id: str,
        request: Keyed,
        check: AccessCheck,
        expected_version: int | None,
        decide: Decide,
    ) -> ActionResult:
        """Load, check, ``decide`` and commit, unless the key says this request was made before."""
        fingerprint = request.fingerprint
        case = self._case(case_id)
        if request.key:
            replayed = self._replay(caller, case, request.key, fingerprint)
            if replayed is not None:
                return replayed
        self._check(caller, case, check, expected_version)
        now = self._clock()
        decision = decide(case, now)
        marker = self._marker(caller, case_id, request.key, fingerprint, decision, now)
        try:
            self._commit(
                caller,
                case,
                decision.after,
                decision.action,
                now,
                details=decision.details,
                entries=decision.entries,
                marker=marker,
                escalation=decision.escalation,
            )
        except MarkerExists:
            assert request.key is not None
            replayed = self._replay(caller, self._case(case_id), request.key, fingerprint, resend=False)
            if replayed is None:  # pragma: no cover - the marker vanished between two reads
                raise
            return replayed
        if decision.request_json is not None:
            queue_reply(self._deps, decision.request_json, decision.entry, keyed=marker is not None)
            logger.info(
                "reply stored and queued",
                extra={
                    "case_id": case_id,
                    "entry_id": decision.entry.entry_id,
                    "channel": decision.entry.channel,
                    "mode": decision.entry.extra.get("mode"),
                },
            )
        return ActionResult(
            case=decision.after,
            now_ms=now,
            entry=decision.entry,
            accepted_for_delivery=decision.request_json is not None,
        )

    def _marker(
        self, caller: Caller, case_id: str, key: str | None, fingerprint: str, decision: Decision, now: int
    ) -> IdempotencyMarker | None:
        if key is None:
            return None
        return IdempotencyMarker(
            case_id=case_id,
            agent_id=caller.agent_id,
            key=key,
            fingerprint=fingerprint,
            entry_id=decision.entry.entry_id,
            created_at_ms=now,
            expires_at_s=(now + self._deps.idempotency_ttl_ms) // 1000,
            request_json=decision.request_json,
        )

    def _replay(
        self, caller: Caller, case: Case, key: str, fingerprint: str, *, resend: bool = True
    ) -> ActionResult | None:
        """The first result of a request repeated with the same Idempotency-Key; None if it is new.
        ``case`` is the case as just read: the request's own read, not a second one."""
        case_id = case.case_id
        access.require_view(caller, case)
        now = self._clock()
        marker = self._store.marker(case_id, caller.agent_id, key, now_ms=now)
        if marker is None:
            return None
        if marker.fingerprint != fingerprint:
            raise IdempotencyKeyReused(
                f"Idempotency-Key {key} was used for a different request on this case; use a new key"
            )
        entry = self._store.get_entry(case_id, marker.entry_id)
        if entry is None:  # pragma: no cover - entries are never deleted
            raise CaseNotFound(f"entry {marker.entry_id} of case {case_id} is gone")
        if resend and marker.request_json and entry.delivery_state is DeliveryState.PENDING:
            queue_reply(self._deps, marker.request_json, entry, keyed=True)
        return ActionResult(
            case=case,
            now_ms=now,
            entry=entry,
            changed=False,
            replayed=True,
            accepted_for_delivery=entry.kind is EntryKind.OUTBOUND,
        )
