"""In-memory twins of what the reports read and write (``ports.ReportReads``, ``ports.ReportArchive``)."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence

from socialcare.model.case import Case
from socialcare.model.day_facts import DayFact, counted
from socialcare.model.summary import CaseSummary
from socialcare.rules.views import queue_of


class MemoryReportReads:
    """Day facts by UTC day and case (one fact per key, as the table keeps them) and the teams' active
    cases, as a test sets them."""

    def __init__(self, cases: Iterable[Case] = ()) -> None:
        self.facts: dict[str, dict[str, dict[str, DayFact]]] = {}
        self.positions: dict[tuple[str, str], str] = {}  # (day, counts item) -> stream position counted through
        self.cases = {case.case_id: case for case in cases}
        self.reads = 0  # items read, as DynamoDB would count them returned
        self._lock = threading.Lock()

    def record_facts(self, day: str, case_id: str, facts: Sequence[DayFact]) -> None:
        with self._lock:
            item = self.facts.setdefault(day, {}).setdefault(case_id, {})
            item.update({fact.key: fact for fact in facts})

    def count_messages(self, day: str, case_id: str, facts: Sequence[DayFact], *, first: str, last: str) -> bool:
        with self._lock:
            name = f"{case_id}#{facts[0].count_key[0]}"  # the case's counts of the quarter hour: an item
            if self.positions.get((day, name), "") >= first:
                return False
            self.positions[(day, name)] = last
            item = self.facts.setdefault(day, {}).setdefault(name, {})
            for fact in counted([*item.values(), *facts]):
                item["#".join(map(str, fact.count_key))] = fact
            return True

    def day_facts(self, day: str) -> list[DayFact]:
        with self._lock:
            items = self.facts.get(day, {})
            self.reads += len(items)
            return [item[key] for _, item in sorted(items.items()) for key in sorted(item)]

    def team_backlog(self, team: str) -> list[CaseSummary]:
        found = list(queue_of(self.cases.values(), team))
        self.reads += len(found)
        return found


class MemoryReportArchive:
    def __init__(self) -> None:
        self.objects: dict[str, tuple[bytes, str]] = {}

    def put(self, key: str, body: bytes, *, content_type: str) -> None:
        self.objects[key] = (bytes(body), content_type)

    def get(self, key: str) -> bytes | None:
        found = self.objects.get(key)
        return None if found is None else found[0]
