"""A day of cases with known timings, for the reports' tests: Monday 30 March 2026 in Europe/Berlin,
the first working day after the clocks went forward (Sunday 29 March, 02:00 CET → 03:00 CEST).

The SLA in force is ``tests.sla_config_support``'s: a Berlin office open Monday to Friday 09:00-17:00
(public holidays of Berlin closed) with targets of 60 business minutes for a first response, 120 for
a next one and 2,880 for a resolution. Every figure the tests expect is worked out beside the facts.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from socialcare.model.case import Priority
from socialcare.model.day_facts import DayFact, FactKind
from socialcare.model.events import Channel
from socialcare.rules.case_sla import SlaInForce
from socialcare.rules.sla import ResponseTargets

from tests.sla_config_support import ALWAYS, BERLIN, POLICIES

ZONE = "Europe/Berlin"
MINUTE_S = 60
ACCOUNT = "104560123456789"


def berlin(month: int, day: int, hour: int, minute: int = 0) -> int:
    """Epoch ms of a wall-clock time in Berlin in 2026."""
    return int(datetime(2026, month, day, hour, minute, tzinfo=ZoneInfo(ZONE)).timestamp() * 1000)


def berlin_sla() -> SlaInForce:
    return SlaInForce.from_documents({"version": 3, **POLICIES}, [BERLIN, ALWAYS], ResponseTargets())


def fact(kind: FactKind, case_id: str, at_ms: int, **fields: Any) -> DayFact:
    base: dict[str, Any] = {
        "team": "care",
        "channel": Channel.MESSENGER,
        "priority": Priority.NORMAL,
        "account_id": ACCOUNT,
    }
    base.update(fields)
    return DayFact(kind=kind, case_id=case_id, at_ms=at_ms, **base)


def answer(
    kind: FactKind, case_id: str, since_ms: int, at_ms: int, due_ms: int | None, owner: str | None, **kw: Any
) -> DayFact:
    return fact(kind, case_id, at_ms, owner=owner, since_ms=since_ms, clock_ms=since_ms, due_ms=due_ms, **kw)


def resolved(case_id: str, opened_ms: int, at_ms: int, owner: str | None, **kw: Any) -> DayFact:
    return fact(FactKind.RESOLVED, case_id, at_ms, owner=owner, since_ms=opened_ms, **kw)


X = {"channel": Channel.X_POST, "priority": Priority.HIGH}

# Case A (alice, Messenger): wrote Friday 27 March 16:30 CET; its first answer was due 60 business
# minutes later — 30 on Friday, 30 on Monday — Monday 09:30 CEST; answered 09:45 (missed): 64 h 15 min
# of wall-clock time (the weekend lost an hour), 75 business minutes. Resolved 11:00: open since
# Friday 16:30, 65 h 30 min of wall-clock time, 150 business minutes (kept: target 2,880).
# Case B (alice, Messenger): wrote Monday 10:00, answered 10:20 (due 11:00, kept); wrote again 12:00,
# answered 15:00 (next response due 14:00, missed; the clock breached at 14:00); resolved 16:00.
# Case C (bob, X post): wrote Monday 08:00, before opening; answered 09:10 (due 10:00, kept): 70 min
# of wall-clock time, 10 business minutes; resolved 09:30; the customer came back 13:00 (reopened).
# Case D (bob, X post): opened 12:00, closed as spam 12:05.
# Case E (nobody's): warned at 16:45.
# Case F: a first response on Sunday 23:30 CEST — the UTC day it is kept under, not the report's day.
DAY_FACTS: tuple[DayFact, ...] = (
    answer(FactKind.FIRST_RESPONSE, "A", berlin(3, 27, 16, 30), berlin(3, 30, 9, 45), berlin(3, 30, 9, 30), "alice"),
    resolved("A", berlin(3, 27, 16, 30), berlin(3, 30, 11), "alice"),
    fact(FactKind.CREATED, "B", berlin(3, 30, 10), tags=("delivery",)),
    answer(FactKind.FIRST_RESPONSE, "B", berlin(3, 30, 10), berlin(3, 30, 10, 20), berlin(3, 30, 11), "alice"),
    answer(FactKind.NEXT_RESPONSE, "B", berlin(3, 30, 12), berlin(3, 30, 15), berlin(3, 30, 14), "alice"),
    fact(
        FactKind.TIER,
        "B",
        berlin(3, 30, 14),
        owner="alice",
        tier="breach",
        sla_clock="next_response",
        clock_ms=berlin(3, 30, 12),
    ),
    resolved("B", berlin(3, 30, 10), berlin(3, 30, 16), "alice"),
    fact(FactKind.CREATED, "C", berlin(3, 30, 8), tags=("delivery", "press"), **X),
    answer(FactKind.FIRST_RESPONSE, "C", berlin(3, 30, 8), berlin(3, 30, 9, 10), berlin(3, 30, 10), "bob", **X),
    resolved("C", berlin(3, 30, 8), berlin(3, 30, 9, 30), "bob", **X),
    fact(FactKind.REOPENED, "C", berlin(3, 30, 13), owner="bob", **X),
    fact(FactKind.CREATED, "D", berlin(3, 30, 12), tags=("sensitive", "sensitive:bereavement"), **X),
    fact(FactKind.CLOSED, "D", berlin(3, 30, 12, 5), owner="bob", since_ms=berlin(3, 30, 12), **X),
    fact(
        FactKind.TIER, "E", berlin(3, 30, 16, 45), tier="warn", sla_clock="first_response", clock_ms=berlin(3, 30, 16)
    ),
    answer(FactKind.FIRST_RESPONSE, "F", berlin(3, 29, 23), berlin(3, 29, 23, 30), berlin(3, 30, 10), "bob"),
)
