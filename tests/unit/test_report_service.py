"""The report's days (23 hours when the clocks go forward), the marketing summary (counts only, no
personal data), and the reports service on the in-memory twins: what a day stores, what leads and
admins are served, what agents are refused, and what a report reads."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from socialcare.clock import ManualClock
from socialcare.errors import ForbiddenRole, InvalidRequest
from socialcare.memory.reports import MemoryReportArchive, MemoryReportReads
from socialcare.model.case import CaseStatus, EntryKind, EntrySentiment, ThreadEntry
from socialcare.model.day_facts import DayFact, FactKind
from socialcare.model.events import Channel, Customer
from socialcare.reports import documents
from socialcare.reports.marketing import build_marketing
from socialcare.reports.service import ReportService, ReportSettings
from socialcare.reports.window import ReportWindow, report_dates, utc_day
from socialcare.rules.day_facts import message_fact

from tests.case_support import care_case
from tests.report_support import ACCOUNT, DAY_FACTS, ZONE, berlin, berlin_sla, fact

pytestmark = pytest.mark.unit

MONDAY = date(2026, 3, 30)


def test_the_day_the_clocks_go_forward_is_23_hours_long() -> None:
    sunday = ReportWindow.of(date(2026, 3, 29), date(2026, 3, 29), ZONE)
    assert sunday.end_ms - sunday.start_ms == 23 * 3_600_000
    assert sunday.utc_days() == ["2026-03-28", "2026-03-29"]
    autumn = ReportWindow.of(date(2026, 10, 25), date(2026, 10, 25), ZONE)
    assert autumn.end_ms - autumn.start_ms == 25 * 3_600_000
    assert ReportWindow.of(MONDAY, MONDAY, "UTC").utc_days() == ["2026-03-30"]


@pytest.mark.parametrize(
    ("asked", "message"),
    [
        ({"day": "2026-3-30"}, "date must be a date like 2026-03-29"),
        ({}, "give date=YYYY-MM-DD"),
        ({"day": "2026-03-30", "first": "2026-03-01"}, "either date, or from and to"),
        ({"first": "2026-03-30", "last": "2026-03-01"}, "is before from"),
        ({"first": "2026-01-01", "last": "2026-03-01"}, "at most 31 days"),
        ({"day": "2026-04-02"}, "has not begun yet"),
    ],
)
def test_bad_dates_are_refused_with_the_reason(asked: dict[str, str], message: str) -> None:
    with pytest.raises(InvalidRequest, match=message):
        report_dates(day=asked.get("day"), first=asked.get("first"), last=asked.get("last"), today=date(2026, 4, 1))


def entry(case_id: str, at_ms: int, channel: Channel, label: str, score: float, text: str) -> DayFact:
    message = ThreadEntry(
        case_id=case_id,
        entry_id=f"{at_ms:013d}#m-{case_id}-{at_ms}",
        kind=EntryKind.INBOUND,
        timestamp_ms=at_ms,
        channel=channel,
        author="psid-" + case_id,
        text=text,
        language="en",
        sentiment=EntrySentiment(label=label, score=score, confidence=0.9, method="vader"),
    )
    found = message_fact(message)
    assert found is not None
    return found


MESSAGES = (
    entry("B", berlin(3, 30, 10), Channel.MESSENGER, "negative", -0.6, "Joe Bloggs here, my parcel is lost"),
    entry("B", berlin(3, 30, 12), Channel.MESSENGER, "neutral", 0.0, "Order 4471 please"),
    entry("C", berlin(3, 30, 8), Channel.X_POST, "negative", -0.8, "@AcmeCare worst service"),
    entry("C", berlin(3, 30, 13), Channel.X_POST, "positive", 0.5, "thanks Bob!"),
)


def test_the_marketing_summary_counts_and_names_nobody() -> None:
    window = ReportWindow.of(MONDAY, MONDAY, ZONE)
    doc = build_marketing(window, (*DAY_FACTS, *MESSAGES), generated_at_ms=0)
    assert doc["volume"] == {"new_cases": 3, "customer_messages": 4, "resolved_cases": 3}
    assert doc["channels"] == [
        {"channel": "messenger", "new_cases": 1, "customer_messages": 2},
        {"channel": "x_post", "new_cases": 2, "customer_messages": 2},
    ]
    # D's sensitive tags are nobody's campaign topic.
    assert doc["top_topics"] == [{"topic": "delivery", "cases": 2}, {"topic": "press", "cases": 1}]
    assert doc["languages"] == [{"language": "en", "messages": 4}]
    sentiment = doc["sentiment"]
    assert (sentiment["messages"], sentiment["mean_score"], sentiment["negative"]) == (4, -0.225, 2)
    assert [(p["period"], p["messages"], p["mean_score"]) for p in sentiment["trend"]] == [
        ("2026-03-30T08", 1, -0.8),
        ("2026-03-30T10", 1, -0.6),
        ("2026-03-30T12", 1, 0.0),
        ("2026-03-30T13", 1, 0.5),
    ]
    text = json.dumps(doc)
    personal = ["Joe", "Bloggs", "parcel", "4471", "AcmeCare", "Bob", "psid-", "alice", "bob", "bereavement"]
    personal += [f'"{f.case_id}"' for f in DAY_FACTS]
    assert [word for word in personal if word in text] == []


@dataclass
class Lead:
    is_lead_or_admin: bool = True


def service(now_ms: int, **kw: Any) -> tuple[ReportService, MemoryReportReads, MemoryReportArchive]:
    reads = kw.pop("reads", None) or MemoryReportReads()
    if not reads.facts:
        for f in (*DAY_FACTS, *MESSAGES):
            reads.record_facts(utc_day(f.at_ms), f.case_id, [f])
    archive = MemoryReportArchive()
    settings = ReportSettings(time_zone=ZONE, teams=frozenset({"care", "billing"}))
    return ReportService(reads, archive, sla=berlin_sla, settings=settings, clock=ManualClock(now_ms)), reads, archive


def test_a_day_is_stored_as_json_and_csv_partitioned_by_date() -> None:
    reports, reads, archive = service(berlin(3, 31, 0, 15))
    assert reports.yesterday() == MONDAY
    stored = reports.store_day(MONDAY)
    assert sorted(archive.objects) == [
        "reports/accountability-rows/dt=2026-03-30/rows.csv",
        "reports/accountability/dt=2026-03-30/accountability.json",
        "reports/leaderboard/dt=2026-03-30/leaderboard.csv",
        "reports/marketing/dt=2026-03-30/marketing.json",
    ]
    body, content_type = archive.objects[documents.accountability_key(MONDAY)]
    assert content_type == "application/json"
    assert body.count(b"\n") == 1  # one line: what Athena's JSON SerDe reads
    doc = json.loads(body)
    assert doc["totals"]["first_response"]["count"] == 3
    assert doc["backlog"]["read_at"] == "2026-03-30T22:15:00.000Z"  # read just after the day ended
    rows = archive.objects[documents.rows_key(MONDAY)][0].decode().splitlines()
    assert rows[0].startswith("from,to,dimension,key,cases_handled,new_cases,resolved,closed,first_response_count,")
    assert rows[1].startswith("2026-03-30,2026-03-30,total,,4,3,3,1,3,4200.0,231300.0,1200.0,4500.0,")
    assert any(row.startswith("2026-03-30,2026-03-30,agent,alice,2,") for row in rows)
    board = archive.objects[documents.leaderboard_key(MONDAY)][0].decode().splitlines()
    assert board[0].startswith("from,to,rank,agent,score,sla_kept_value,sla_kept_weight,sla_kept_points,")
    assert board[1].startswith("2026-03-30,2026-03-30,1,alice,67.9,0.571,0.4,22.9,")
    assert stored.facts == len(reads.day_facts("2026-03-29")) + len(reads.day_facts("2026-03-30"))


def test_leads_and_admins_are_served_the_stored_day_and_agents_are_refused() -> None:
    reports, _, archive = service(berlin(3, 31, 9))
    reports.store_day(MONDAY)
    archive.objects[documents.accountability_key(MONDAY)] = (b'{"report": "accountability", "stored": 1}', "")
    served = reports.accountability(Lead(), day="2026-03-30")
    assert (served.stored, served.document) == (True, {"report": "accountability", "stored": 1})
    for ask in (reports.accountability, reports.marketing):
        with pytest.raises(ForbiddenRole, match="only team leads and admins"):
            ask(Lead(is_lead_or_admin=False), day="2026-03-30")
    assert not archive.get("reports/accountability/dt=2026-03-29/accountability.json")


def test_a_day_not_stored_is_computed_and_a_past_days_backlog_is_not_guessed() -> None:
    reports, _, archive = service(berlin(4, 2, 9))
    served = reports.accountability(Lead(), day="2026-03-30")
    assert served.stored is False
    assert served.document["totals"]["cases_handled"] == 4
    assert served.document["backlog"] is None  # read days later, the queues say nothing of Monday's end
    assert archive.objects == {}


def test_a_range_is_computed_from_its_facts_and_its_marketing_summary_adds_up_the_days() -> None:
    reports, _, _ = service(berlin(4, 2, 9))
    reports.store_day(MONDAY)
    served = reports.accountability(Lead(), first="2026-03-29", last="2026-03-31")
    assert served.stored is False
    assert (served.document["from"], served.document["to"]) == ("2026-03-29", "2026-03-31")
    assert served.document["totals"]["first_response"]["count"] == 4  # F, on Sunday, too
    one_day = reports.marketing(Lead(), day="2026-03-30")
    assert one_day.stored is True
    week = reports.marketing(Lead(), first="2026-03-29", last="2026-03-31").document
    assert week["volume"] == one_day.document["volume"]
    assert week["sentiment"]["mean_score"] == one_day.document["sentiment"]["mean_score"]
    assert [p["period"] for p in week["sentiment"]["trend"]] == ["2026-03-30"]  # one point per day with messages


def test_the_day_in_progress_shows_the_backlog_now() -> None:
    customer = Customer("u1")
    open_case = care_case(
        "K1", Channel.MESSENGER, ACCOUNT, customer, berlin(3, 30, 9), awaiting_reply_since_ms=berlin(3, 30, 9)
    )
    done = care_case("K2", Channel.MESSENGER, ACCOUNT, customer, berlin(3, 30, 9), status=CaseStatus.RESOLVED)
    reads = MemoryReportReads(cases=[open_case, done])
    reads.record_facts("2026-03-30", "B", [fact(FactKind.CREATED, "B", berlin(3, 30, 10))])
    reports, _, _ = service(berlin(3, 30, 15), reads=reads)
    doc = reports.accountability(Lead(), day="2026-03-30").document
    assert doc["backlog"]["total"]["open"] == 1
    assert doc["backlog"]["read_at"] == "2026-03-30T13:00:00.000Z"


def test_what_a_day_reads_grows_with_its_cases_not_with_history() -> None:
    reports, reads, _ = service(berlin(3, 31, 0, 15))
    for day in range(1, 28):  # a month of older facts, in partitions of their own
        for n in range(20):
            reads.record_facts(f"2026-03-{day:02d}", f"old-{day}-{n}", [fact(FactKind.CREATED, "x", berlin(3, day, 9))])
    reads.reads = 0
    reports.store_day(MONDAY)
    # The two UTC days' case items (each with its facts and its customer's messages), nothing else.
    assert reads.reads == len(reads.facts["2026-03-29"]) + len(reads.facts["2026-03-30"]) == 6  # F; A-E
