"""DynamoDB for what agents do (the ``AgentRepository`` port): one object over the units that do it.

- case reads: ``CaseStore`` (the case, its thread, an entry, a delivery state);
- lists: ``agent_queries`` (team queue, finished cases, own cases — Query on indexes, never Scan);
- the audit trail: ``audit_store``; idempotency markers: ``marker_store``; profiles: ``profile_store``;
- each action stored whole in one transaction: ``agent_commit``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from socialcare.agents.profile import BrandProfile
from socialcare.aws.agent_commit import AgentCommitter
from socialcare.aws.agent_queries import AgentQueries
from socialcare.aws.audit_store import AuditStore
from socialcare.aws.case_store import CaseStore, MessageRef
from socialcare.aws.marker_store import MarkerStore
from socialcare.aws.profile_store import ProfileStore
from socialcare.aws.wiring import lazy_client
from socialcare.model.audit import AuditRecord
from socialcare.model.case import Case, CaseStatus, ThreadEntry
from socialcare.model.events import DeliveryState
from socialcare.ports import CaseFilter, IdempotencyMarker, Page, Position


class _ClientOnFirstUse:
    """A DynamoDB client made on first use, shared by the units (``CaseStore`` needs a client object)."""

    def __init__(self) -> None:
        self._get = lazy_client("dynamodb", None)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._get(), name)


class AgentStore:
    def __init__(self, table_name: str, *, client: Any = None, case_store: CaseStore | None = None) -> None:
        client = client if client is not None else _ClientOnFirstUse()
        self._cases = case_store or CaseStore(table_name, client=client)
        self._queries = AgentQueries(table_name, client=client)
        self._audit = AuditStore(table_name, client=client)
        self._markers = MarkerStore(table_name, client=client)
        self._profiles = ProfileStore(table_name, client=client)
        self._committer = AgentCommitter(table_name, cases=self._cases, client=client)

    # ---- case reads --------------------------------------------------------------------------
    def get_case(self, case_id: str) -> Case:
        return self._cases.get_case(case_id)

    def thread(self, case_id: str) -> list[ThreadEntry]:
        return self._cases.thread(case_id)

    def get_entry(self, case_id: str, entry_id: str) -> ThreadEntry | None:
        return self._cases.get_entry(MessageRef(case_id=case_id, entry_id=entry_id))

    def set_delivery_state(
        self, case_id: str, entry_id: str, *, state: DeliveryState, at_ms: int, error: str | None = None
    ) -> bool:
        return self._cases.set_delivery_state(MessageRef(case_id, entry_id), state=state, at_ms=at_ms, error=error)

    # ---- lists -------------------------------------------------------------------------------
    def team_queue(self, team: str, flt: CaseFilter, *, limit: int, start: Position | None) -> Page[Case]:
        return self._queries.team_queue(team, flt, limit=limit, start=start)

    def team_finished(
        self, team: str, status: CaseStatus, flt: CaseFilter, *, limit: int, start: Position | None
    ) -> Page[Case]:
        return self._queries.team_finished(team, status, flt, limit=limit, start=start)

    def owned(self, agent_id: str, *, limit: int, start: Position | None) -> Page[Case]:
        return self._queries.owned(agent_id, limit=limit, start=start)

    # ---- audit -------------------------------------------------------------------------------
    def audit_trail(self, case_id: str, *, limit: int, start: Position | None) -> Page[AuditRecord]:
        return self._audit.audit_trail(case_id, limit=limit, start=start)

    def acted_since(self, case_id: str, version: int) -> bool:
        return self._audit.acted_since(case_id, version)

    # ---- idempotency markers -----------------------------------------------------------------
    def marker(self, case_id: str, agent_id: str, key: str, *, now_ms: int) -> IdempotencyMarker | None:
        return self._markers.marker(case_id, agent_id, key, now_ms=now_ms)

    def mark_queued(self, marker: IdempotencyMarker) -> None:
        self._markers.mark_queued(marker)

    # ---- profiles ----------------------------------------------------------------------------
    def profile(self, account_id: str) -> BrandProfile | None:
        return self._profiles.profile(account_id)

    def save_profile(self, profile: BrandProfile, audit: AuditRecord) -> None:
        self._profiles.save_profile(profile, audit)

    # ---- one action, whole -------------------------------------------------------------------
    def commit(
        self,
        *,
        before: Case,
        after: Case,
        audit: AuditRecord,
        entries: Sequence[ThreadEntry] = (),
        marker: IdempotencyMarker | None = None,
        now_ms: int = 0,
    ) -> None:
        self._committer.commit(before=before, after=after, audit=audit, entries=entries, marker=marker, now_ms=now_ms)
