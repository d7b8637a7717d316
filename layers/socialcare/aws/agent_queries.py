"""The agent side's reads on DynamoDB: a team's queue and its review queue (GSI1), its finished cases
(GSI4), an agent's own cases (GSI3); and the case reads it makes through the case store."""

from __future__ import annotations

from collections.abc import Iterator

from socialcare import constants as c
from socialcare.aws import keys
from socialcare.aws.agent_table import AgentTable
from socialcare.aws.case_store import MessageRef
from socialcare.aws.items import item_to_case
from socialcare.aws.paging import ListQuery, query_page
from socialcare.model.case import Case, CaseStatus, ThreadEntry
from socialcare.model.events import DeliveryState
from socialcare.ports import CaseFilter, Page, Position

QUEUE = (c.QUEUE_INDEX, c.QUEUE_INDEX_PK, c.QUEUE_INDEX_SK)
DONE = (c.DONE_INDEX, c.DONE_INDEX_PK, c.DONE_INDEX_SK)
OWNER = (c.ASSIGNEE_INDEX, c.ASSIGNEE_INDEX_PK, c.ASSIGNEE_INDEX_SK)


class AgentQueries(AgentTable):
    def team_queue(self, team: str, flt: CaseFilter, *, limit: int, start: Position | None) -> Page[Case]:
        """A team's active cases, the soonest (most overdue) response due first."""
        query = ListQuery(keys.queue_pk(team), index=QUEUE)
        return query_page(self._client(), self._table, query, flt=flt, limit=limit, start=start, convert=item_to_case)

    def team_finished(
        self, team: str, status: CaseStatus, flt: CaseFilter, *, limit: int, start: Position | None
    ) -> Page[Case]:
        """A team's resolved (or closed) cases, the most recently resolved (closed) first."""
        query = ListQuery(keys.done_pk(team, status.value), index=DONE, forward=False)
        return query_page(self._client(), self._table, query, flt=flt, limit=limit, start=start, convert=item_to_case)

    def team_review(self, team: str, *, limit: int, start: Position | None) -> Page[Case]:
        """A team's cases set aside as spam or troll, the oldest first (their own partition of GSI1)."""
        query = ListQuery(keys.review_pk(team), index=QUEUE)
        return query_page(
            self._client(), self._table, query, flt=CaseFilter(), limit=limit, start=start, convert=item_to_case
        )

    def owned(self, agent_id: str, *, limit: int, start: Position | None) -> Page[Case]:
        """An agent's own active cases, the soonest response due first."""
        query = ListQuery(keys.owner_pk(agent_id), index=OWNER)
        return query_page(
            self._client(), self._table, query, flt=CaseFilter(), limit=limit, start=start, convert=item_to_case
        )


class CaseReads(AgentTable):
    """The case reads (and the one delivery write) of the agent side, on the case store."""

    def get_case(self, case_id: str) -> Case:
        return self._cases.get_case(case_id)

    def thread_page(self, case_id: str, *, limit: int, start: Position | None) -> Page[ThreadEntry]:
        return self._cases.thread_page(case_id, limit=limit, start=start)

    def newest_entries(
        self, case_id: str, *, up_to_ms: int | None = None, since_ms: int | None = None
    ) -> Iterator[ThreadEntry]:
        return self._cases.newest_entries(case_id, up_to_ms=up_to_ms, since_ms=since_ms)

    def get_entry(self, case_id: str, entry_id: str) -> ThreadEntry | None:
        return self._cases.get_entry(MessageRef(case_id=case_id, entry_id=entry_id))

    def set_delivery_state(
        self, case_id: str, entry_id: str, *, state: DeliveryState, at_ms: int, error: str | None = None
    ) -> bool:
        return self._cases.set_delivery_state(MessageRef(case_id, entry_id), state=state, at_ms=at_ms, error=error)
