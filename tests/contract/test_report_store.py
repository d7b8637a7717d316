"""What the reports read and write (``ports.ReportReads``, ``ports.ReportArchive``): the same tests against
the DynamoDB and S3 adapters (on moto) and their in-memory twins."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import pytest
from socialcare.model.case import Case, CaseStatus
from socialcare.model.day_facts import FactKind
from socialcare.model.events import Channel, Customer
from socialcare.ports import ReportArchive, ReportReads

from tests.case_support import care_case
from tests.report_support import ACCOUNT, berlin, fact

pytestmark = pytest.mark.integration


@dataclass
class Backend:
    reads: ReportReads
    archive: ReportArchive
    put_case: Callable[[Case], None]


@pytest.fixture(params=["aws", "memory"])
def backend(request: pytest.FixtureRequest) -> Backend:
    if request.param == "aws":
        from socialcare.aws.items import case_item
        from socialcare.aws.report_archive import ReportArchive as S3Archive
        from socialcare.aws.report_store import ReportStore

        aws: Any = request.getfixturevalue("aws")
        aws.s3.create_bucket(Bucket="reports")
        return Backend(
            ReportStore(aws.table_name, client=aws.dynamodb),
            S3Archive("reports", client=aws.s3),
            lambda case: aws.dynamodb.put_item(TableName=aws.table_name, Item=case_item(case)),
        )
    from socialcare.memory.reports import MemoryReportArchive, MemoryReportReads

    memory = MemoryReportReads()
    return Backend(
        memory,
        MemoryReportArchive(),
        lambda case: memory.cases.__setitem__(case.case_id, case),
    )


def test_facts_read_back_by_day_and_a_fact_recorded_twice_is_one(backend: Backend) -> None:
    first = fact(FactKind.CREATED, "A", berlin(3, 30, 9), tags=("delivery",), language="de")
    answered = fact(FactKind.FIRST_RESPONSE, "A", berlin(3, 30, 9, 5), owner="alice", since_ms=1, clock_ms=1, due_ms=9)
    backend.reads.record_facts("2026-03-30", "A", [first])
    backend.reads.record_facts("2026-03-30", "A", [answered, first])
    backend.reads.record_facts("2026-03-30", "B", [replace(first, case_id="B")])
    backend.reads.record_facts("2026-03-31", "A", [replace(first, at_ms=berlin(3, 31, 9))])
    backend.reads.record_facts("2026-03-30", "C", [])
    found = backend.reads.day_facts("2026-03-30")
    assert sorted((f.case_id, f.kind) for f in found) == [
        ("A", FactKind.CREATED),
        ("A", FactKind.FIRST_RESPONSE),
        ("B", FactKind.CREATED),
    ]
    assert answered in found
    assert first in found
    assert backend.reads.day_facts("2026-04-01") == []


def test_the_backlog_is_the_teams_active_cases(backend: Backend) -> None:
    customer = Customer("u1")
    backend.put_case(care_case("Q1", Channel.MESSENGER, ACCOUNT, customer, berlin(3, 30, 9), response_due_at_ms=5))
    backend.put_case(care_case("Q2", Channel.MESSENGER, ACCOUNT, customer, berlin(3, 30, 9), team="billing"))
    done = care_case("Q3", Channel.MESSENGER, ACCOUNT, customer, berlin(3, 30, 9), status=CaseStatus.RESOLVED)
    backend.put_case(replace(done, resolved_at_ms=berlin(3, 30, 10)))
    assert [case.case_id for case in backend.reads.team_backlog("care")] == ["Q1"]
    assert backend.reads.team_backlog("nobody") == []


def test_a_stored_report_reads_back_and_a_missing_one_is_none(backend: Backend) -> None:
    backend.archive.put("reports/x/dt=2026-03-30/x.json", b'{"a": 1}\n', content_type="application/json")
    assert backend.archive.get("reports/x/dt=2026-03-30/x.json") == b'{"a": 1}\n'
    assert backend.archive.get("reports/x/dt=2026-03-31/x.json") is None


def test_messages_are_counted_once_and_summarised_as_the_messages_themselves(backend: Backend) -> None:
    """Counts per case and UTC quarter hour give the marketing summary each message would (a zone 5:45
    ahead too), and a stream position counted already is not counted again."""
    from socialcare.model.case import Priority
    from socialcare.model.day_facts import DayFact, counted
    from socialcare.reports.marketing import build_marketing
    from socialcare.reports.window import ReportWindow

    def inbound(minute: int, label: str, score: float, language: str = "en") -> DayFact:
        at = berlin(3, 30, 9) + minute * 60_000
        return DayFact(
            FactKind.INBOUND,
            "A",
            at,
            "",
            Channel.MESSENGER,
            Priority.NORMAL,
            "",
            message_id=f"m{minute}",
            language=language,
            sentiment=label,
            score=score,
        )

    messages = [
        inbound(1, "negative", -0.5),
        inbound(2, "negative", -0.25),
        inbound(14, "positive", 0.5, "de"),
        inbound(16, "neutral", 0.0),
    ]
    day = "2026-03-30"
    assert backend.reads.count_messages(day, "A", counted(messages[:3]), first="01", last="03")
    assert not backend.reads.count_messages(day, "A", counted(messages[1:3]), first="02", last="03")
    assert backend.reads.count_messages(day, "A", counted(messages[3:]), first="04", last="04")
    found = backend.reads.day_facts(day)
    assert sum(f.messages for f in found) == 4
    from datetime import date

    for zone in ("Europe/Berlin", "Asia/Kathmandu"):
        window = ReportWindow.of(date(2026, 3, 30), date(2026, 3, 30), zone)
        assert build_marketing(window, found, generated_at_ms=0) == build_marketing(window, messages, generated_at_ms=0)
