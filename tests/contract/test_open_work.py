"""The ``OpenWork`` port: the queue-index adapter on moto and its in-memory twin read the same open work."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace

import pytest
from socialcare.aws.items import case_item
from socialcare.aws.open_work import OpenWorkQueries
from socialcare.memory.metrics import MemoryOpenWork
from socialcare.model.case import Case, CaseStatus
from socialcare.model.events import Channel, Customer
from socialcare.ports import OpenWork

from tests.case_support import care_case
from tests.conftest import AwsResources

pytestmark = pytest.mark.contract

T0 = 1_767_225_600_000
Backend = tuple[OpenWork, Callable[[Case], None]]


@pytest.fixture(params=["aws", "memory"])
def backend(request: pytest.FixtureRequest) -> Iterator[Backend]:
    if request.param == "memory":
        work = MemoryOpenWork()
        yield work, work.put_case
        return
    aws: AwsResources = request.getfixturevalue("aws")
    yield (
        OpenWorkQueries(aws.table_name, client=aws.dynamodb),
        lambda case: aws.dynamodb.put_item(TableName=aws.table_name, Item=case_item(case)),
    )


def case(case_id: str, *, team: str = "care", status: CaseStatus = CaseStatus.OPEN, due: int | None = None) -> Case:
    opened = care_case(case_id, Channel.TELEGRAM, "bot-1", Customer(f"u-{case_id}"), T0, team=team, status=status)
    return replace(opened, response_due_at_ms=due, resolved_at_ms=T0 if status is CaseStatus.RESOLVED else None)


def test_a_team_reads_its_active_cases_only_soonest_due_first(backend: Backend) -> None:
    work, put = backend
    for each in (
        case("later", due=T0 + 60_000),
        case("sooner", due=T0 + 1_000),
        case("waiting-on-billing", status=CaseStatus.PENDING_INTERNAL),
        case("done", status=CaseStatus.RESOLVED),
        case("closed", status=CaseStatus.CLOSED),
        case("theirs", team="billing", due=T0),
    ):
        put(each)
    found = work.open_cases("care")
    assert [c.case_id for c in found.cases] == ["sooner", "later", "waiting-on-billing"]
    assert found.items_read == 3, "the closed history is not read"
    assert work.open_cases("nobody").cases == ()
