"""The agent API's case lists on DynamoDB: a team's queue (GSI1), its finished cases (GSI4), an
agent's own cases (GSI3)."""

from __future__ import annotations

from typing import Any

from socialcare import constants as c
from socialcare.aws import keys
from socialcare.aws.items import item_to_case
from socialcare.aws.paging import ListQuery, query_page
from socialcare.aws.wiring import lazy_client
from socialcare.model.case import Case, CaseStatus
from socialcare.ports import CaseFilter, Page, Position

QUEUE = (c.QUEUE_INDEX, c.QUEUE_INDEX_PK, c.QUEUE_INDEX_SK)
DONE = (c.DONE_INDEX, c.DONE_INDEX_PK, c.DONE_INDEX_SK)
OWNER = (c.ASSIGNEE_INDEX, c.ASSIGNEE_INDEX_PK, c.ASSIGNEE_INDEX_SK)


class AgentQueries:
    def __init__(self, table_name: str, *, client: Any = None) -> None:
        self._table = table_name
        self._client = lazy_client("dynamodb", client)

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

    def owned(self, agent_id: str, *, limit: int, start: Position | None) -> Page[Case]:
        """An agent's own active cases, the soonest response due first."""
        query = ListQuery(keys.owner_pk(agent_id), index=OWNER)
        return query_page(
            self._client(), self._table, query, flt=CaseFilter(), limit=limit, start=start, convert=item_to_case
        )
