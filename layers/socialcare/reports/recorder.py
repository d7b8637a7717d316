"""The stream consumer's part in the reports: record the day facts each case write carries.

Called for every case item the table's stream delivers (insert or modify), with the case before and
after, and for the customer messages a stream batch inserted in threads; the facts (``rules.day_facts``)
go to the UTC day they happened on, one item per case and day (``ports.DayFactStore``), and the messages
are counted, one write per case and UTC quarter hour of the batch (``model.day_facts.counted``). Both are
idempotent: a fact recorded again replaces itself, and a count is conditioned on the stream position it
was counted through, so a record delivered twice does no harm. A write that carries no fact (a claim, a note,
a read receipt) writes nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from socialcare.model.case import Case, ThreadEntry
from socialcare.model.day_facts import DayFact, counted
from socialcare.ports import DayFactStore
from socialcare.reports.window import utc_day
from socialcare.rules.day_facts import day_facts, message_fact


class DayFactRecorder:
    def __init__(self, store: DayFactStore) -> None:
        self._store = store

    def case_changed(self, before: Case | None, after: Case) -> tuple[DayFact, ...]:
        """Record the write's facts; returns them (for logs and tests)."""
        facts = day_facts(before, after)
        by_day: dict[str, list[DayFact]] = defaultdict(list)
        for fact in facts:
            by_day[utc_day(fact.at_ms)].append(fact)
        for day, found in sorted(by_day.items()):
            self._store.record_facts(day, after.case_id, found)
        return facts

    def message_written(self, entry: ThreadEntry, position: str = "0") -> DayFact | None:
        """Count a customer's message (its thread entry as inserted, at its stream ``position``); returns
        its fact, if any."""
        found = self.messages_written([(position, entry)])
        return found[0] if found else None

    def messages_written(self, entries: Sequence[tuple[str, ThreadEntry]]) -> tuple[DayFact, ...]:
        """Count customers' messages (stream position, thread entry as inserted; positions compare as
        text, in stream order): one write per case and quarter hour, unless part of it was counted
        before (the stream delivered it again) — then each message on its own, past what was."""
        groups: dict[tuple[str, str, int], list[tuple[str, DayFact]]] = defaultdict(list)
        for position, entry in entries:
            fact = message_fact(entry)
            if fact is not None:
                groups[(utc_day(fact.at_ms), fact.case_id, fact.count_key[0])].append((position, fact))
        for (day, case_id, _), found in groups.items():
            found.sort(key=lambda pair: pair[0])
            facts = [fact for _, fact in found]
            if not self._store.count_messages(day, case_id, counted(facts), first=found[0][0], last=found[-1][0]):
                for position, fact in found:
                    self._store.count_messages(day, case_id, [fact], first=position, last=position)
        return tuple(fact for found in groups.values() for _, fact in found)
