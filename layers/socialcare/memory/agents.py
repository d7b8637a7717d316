"""The agent side's storage in memory (the ``AgentRepository`` port), twin of ``aws.agent_store``.

Same semantics as the DynamoDB store: every action is stored whole or not at all, conditioned on
the case version it was decided on (``CaseVersionConflict``) and on its idempotency key being
unused or expired (``MarkerExists``, checked first); lists come in the indexes' orders, a page at a
time, and refuse a position of another list (``InvalidCursor``). Cases and customer messages are
put in with ``put_case`` (what ingest does in the table).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from typing import TypeVar

from socialcare.errors import CaseNotFound, CaseVersionConflict, EscalationClosed, InvalidCursor, MarkerExists
from socialcare.model.audit import AuditRecord
from socialcare.model.case import Case, ThreadEntry
from socialcare.model.department_escalation import DepartmentEscalation, EscalationStatus
from socialcare.model.events import DeliveryState
from socialcare.model.profile import BrandProfile
from socialcare.model.summary import CaseSummary
from socialcare.model.views import CaseView
from socialcare.ports import AgentChange, EscalationWrite, IdempotencyMarker, Page, Position
from socialcare.rules.views import placements, summarize

T = TypeVar("T")


class MemoryAgentStore:
    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._cases: dict[str, Case] = {}
        self._entries: dict[str, dict[str, ThreadEntry]] = {}
        self._audit: dict[str, list[AuditRecord]] = {}  # by "case:<id>" or "account:<id>"
        self._markers: dict[tuple[str, str, str], IdempotencyMarker] = {}
        self._profiles: dict[str, BrandProfile] = {}
        self._escalations: dict[tuple[str, str], DepartmentEscalation] = {}  # (case id, escalation id)

    # ---- what ingest stores ----------------------------------------------------------------
    def put_case(self, case: Case, entries: Iterable[ThreadEntry] = ()) -> None:
        """Store (or replace) a case and add thread entries, unconditionally."""
        with self._lock:
            self._cases[case.case_id] = case
            thread = self._entries.setdefault(case.case_id, {})
            for entry in entries:
                thread[entry.entry_id] = entry

    # ---- case reads ------------------------------------------------------------------------
    def get_case(self, case_id: str) -> Case:
        with self._lock:
            if case_id not in self._cases:
                raise CaseNotFound(f"no case {case_id}")
            return self._cases[case_id]

    def thread(self, case_id: str) -> list[ThreadEntry]:
        """The whole thread, oldest first: for tests (the agent services read pages and ranges)."""
        with self._lock:
            entries = self._entries.get(case_id, {})
            return [entries[k] for k in sorted(entries)]

    def thread_page(self, case_id: str, *, limit: int, start: Position | None) -> Page[ThreadEntry]:
        newest_first = list(reversed(self.thread(case_id)))
        return _page(f"thread|{case_id}", newest_first, _entry_key, limit, start, descending=True)

    def newest_entries(
        self, case_id: str, *, up_to_ms: int | None = None, since_ms: int | None = None
    ) -> Iterator[ThreadEntry]:
        # Ranges of the entry id's timestamp prefix, as the table's sort key ranges.
        low = f"{since_ms:013d}" if since_ms is not None else ""
        high = f"{up_to_ms:013d}$" if up_to_ms is not None else "~"
        for entry in reversed(self.thread(case_id)):
            if low <= entry.entry_id <= high:
                yield entry

    def get_entry(self, case_id: str, entry_id: str) -> ThreadEntry | None:
        with self._lock:
            return self._entries.get(case_id, {}).get(entry_id)

    def set_delivery_state(
        self, case_id: str, entry_id: str, *, state: DeliveryState, at_ms: int, error: str | None = None
    ) -> bool:
        with self._lock:
            entry = self.get_entry(case_id, entry_id)
            if entry is None or (entry.delivery_state is not None and entry.delivery_state.rank >= state.rank):
                return False
            changed = replace(entry, delivery_state=state, delivery_state_at_ms=at_ms)
            if error:
                changed = replace(changed, delivery_error=error)
            self._entries[case_id][entry_id] = changed
            return True

    # ---- lists -----------------------------------------------------------------------------
    def case_list(self, view: CaseView, *, limit: int, start: Position | None) -> Page[CaseSummary]:
        """The view's cases in its key order (``rules.views.placements``, as the indexes hold them)."""
        found = [
            (placement.sort_key, case)
            for case in self._all_cases()
            for placement in placements(case)
            if view.holds(placement)
        ]
        found.sort(key=lambda pair: pair[0])
        page = _page(view.name, found, lambda pair: pair[0], limit, start)
        return Page([summarize(case) for _, case in page.items], page.next_position)

    def _all_cases(self) -> list[Case]:
        with self._lock:
            return list(self._cases.values())

    # ---- audit -----------------------------------------------------------------------------
    def audit_trail(self, case_id: str, *, limit: int, start: Position | None) -> Page[AuditRecord]:
        with self._lock:
            records = sorted(self._audit.get(f"case:{case_id}", []), key=_audit_key)
        return _page(f"audit|{case_id}", records, _audit_key, limit, start)

    def acted_since(self, case_id: str, version: int) -> bool:
        with self._lock:
            # every record of a later version sorts after this (record ids sort before "~")
            after = f"{version:013d}#~"
            return any(_audit_key(r) > after for r in self._audit.get(f"case:{case_id}", []))

    # ---- idempotency markers ---------------------------------------------------------------
    def marker(self, case_id: str, agent_id: str, key: str, *, now_ms: int) -> IdempotencyMarker | None:
        with self._lock:
            found = self._markers.get((case_id, agent_id, key))
        if found is None or found.expires_at_s * 1000 <= now_ms:
            return None
        return found

    # ---- profiles --------------------------------------------------------------------------
    def profile(self, account_id: str) -> BrandProfile | None:
        with self._lock:
            return self._profiles.get(account_id)

    def save_profile(self, profile: BrandProfile, audit: AuditRecord) -> None:
        with self._lock:
            self._profiles[profile.account_id] = profile
            self._audit.setdefault(f"account:{audit.account_id}", []).append(audit)

    # ---- department escalations -------------------------------------------------------------
    def escalation(self, case_id: str, escalation_id: str) -> DepartmentEscalation | None:
        with self._lock:
            return self._escalations.get((case_id, escalation_id))

    def escalations(self, case_id: str) -> list[DepartmentEscalation]:
        with self._lock:
            found = [e for (cid, _), e in self._escalations.items() if cid == case_id]
        return sorted(found, key=lambda e: e.escalation_id)

    def store_task_token(self, case_id: str, escalation_id: str, *, token: str, round: int, at_ms: int) -> bool:
        with self._lock:
            found = self._escalations.get((case_id, escalation_id))
            if found is None or not found.is_open or (found.token_round is not None and found.token_round > round):
                return False
            self._escalations[(case_id, escalation_id)] = replace(found, task_token=token, token_round=round)
            return True

    def _check_escalation(self, write: EscalationWrite) -> None:
        e = write.escalation
        stored = self._escalations.get((e.case_id, e.escalation_id))
        closed = stored is not None if write.new else stored is None or stored.status is not EscalationStatus.OPEN
        if closed:
            raise EscalationClosed("the escalation was answered or closed meanwhile")

    def _write_escalation(self, write: EscalationWrite) -> None:
        e = write.escalation
        stored = self._escalations.get((e.case_id, e.escalation_id))
        if stored is not None:  # as the DynamoDB update: status and answer, the stored token stays
            e = replace(stored, status=e.status, answer=e.answer, closed_at_ms=e.closed_at_ms)
        self._escalations[(e.case_id, e.escalation_id)] = e

    # ---- one action, whole -----------------------------------------------------------------
    def commit(self, change: AgentChange, *, now_ms: int) -> None:
        before, after, marker = change.before, change.after, change.marker
        with self._lock:
            if marker is not None:
                stored = self._markers.get((marker.case_id, marker.agent_id, marker.key))
                if stored is not None and stored.expires_at_s > now_ms // 1000:
                    raise MarkerExists("the idempotency key was used by a request that finished first")
            if change.escalation is not None:
                self._check_escalation(change.escalation)
            current = self._cases.get(before.case_id)
            if current is None or current.version != before.version:
                raise CaseVersionConflict(
                    f"case {after.case_id} changed since version {before.version}; reload it and try again"
                )
            thread = self._entries.setdefault(after.case_id, {})
            if any(entry.entry_id in thread for entry in change.entries):  # pragma: no cover - entry ids are unique
                raise ValueError("an entry of this action is already stored")
            self._cases[after.case_id] = after
            for entry in change.entries:
                thread[entry.entry_id] = entry
            self._audit.setdefault(f"case:{change.audit.case_id}", []).append(change.audit)
            if marker is not None:
                self._markers[(marker.case_id, marker.agent_id, marker.key)] = marker
            if change.escalation is not None:
                self._write_escalation(change.escalation)


def _entry_key(entry: ThreadEntry) -> str:
    return entry.entry_id


def _audit_key(record: AuditRecord) -> str:
    order = record.case_version if record.case_version is not None else record.at_ms
    return f"{order:013d}#{record.record_id}"


def _page(
    list_id: str,
    ordered: list[T],
    sort_key: Callable[[T], str],
    limit: int,
    start: Position | None,
    *,
    descending: bool = False,
) -> Page[T]:
    """``limit`` items after ``start`` (a position of this list), and where the next page starts."""
    if start is not None:
        if set(start) != {"list", "after"} or start["list"] != list_id:
            raise InvalidCursor("the cursor does not belong to this list")
        after = start["after"]
        ordered = [i for i in ordered if (sort_key(i) < after if descending else sort_key(i) > after)]
    items = ordered[:limit]
    more = len(ordered) > limit
    return Page(items, {"list": list_id, "after": sort_key(items[-1])} if more else None)
