"""The stream consumer's part in the reports: record the day facts each case write carries.

Called for every case item the table's stream delivers (insert or modify), with the case before and
after, and for every customer message inserted in a thread; the facts (``rules.day_facts``) go to
the UTC day they happened on, one item per case and day (``ports.DayFactStore``). Recording is
idempotent, so a record delivered twice does no harm. A write that carries no fact (a claim, a note,
a read receipt) writes nothing.
"""

from __future__ import annotations

from collections import defaultdict

from socialcare.model.case import Case, ThreadEntry
from socialcare.model.day_facts import DayFact
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

    def message_written(self, entry: ThreadEntry) -> DayFact | None:
        """Record a customer's message (its thread entry as inserted); returns its fact, if any."""
        fact = message_fact(entry)
        if fact is not None:
            self._store.record_facts(utc_day(fact.at_ms), entry.case_id, [fact])
        return fact
