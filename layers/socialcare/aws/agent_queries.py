"""The agent side's reads on DynamoDB: the lists of cases (each a view, ``rules.views``, kept on its own
sparse index, ``aws/schema.py``, and merged across its shards in key order), and the case reads it
makes through the case store."""

from __future__ import annotations

from collections.abc import Iterator

from socialcare.aws.agent_table import AgentTable
from socialcare.aws.case_store import MessageRef
from socialcare.aws.view_reads import case_page
from socialcare.model.case import Case, ThreadEntry
from socialcare.model.events import DeliveryState
from socialcare.model.summary import CaseSummary
from socialcare.model.views import CaseView
from socialcare.ports import Page, Position


class AgentQueries(AgentTable):
    def case_list(self, view: CaseView, *, limit: int, start: Position | None) -> Page[CaseSummary]:
        return case_page(self._client(), self._table, view, limit=limit, start=start)


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
