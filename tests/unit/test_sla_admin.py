"""The SLA configuration and case SLA actions on the in-memory twins: versions, validation, audit,
and the SLA view computed from the stored policy set."""

from __future__ import annotations

import threading
from dataclasses import replace

import pytest
from socialcare.agents.identity import Caller, Role
from socialcare.agents.sla_service import SlaService
from socialcare.clock import ManualClock
from socialcare.errors import ConfigNotFound, ConfigVersionConflict, ForbiddenRole, ForbiddenTeam, InvalidPolicy
from socialcare.memory.agents import MemoryAgentStore
from socialcare.memory.config_store import MemoryConfigStore
from socialcare.model.case import Case, CaseStatus
from socialcare.model.config import ConfigKind
from socialcare.model.events import Channel, Customer
from socialcare.rules.sla import ResponseTargets

from tests.case_support import care_case
from tests.sla_config_support import ALWAYS, BERLIN, BILLING, POLICIES

pytestmark = pytest.mark.unit

T0 = 1_767_258_000_000  # Thursday 2026-01-01 09:00 UTC: New Year's Day, a holiday in Berlin
MINUTE, HOUR = 60_000, 3_600_000
CASE_ID = "01JGZ8Q5K2M3N4P5Q6R7S8T001"
ROOT = Caller("root", Role.ADMIN, frozenset(), "Root Admin")
LENA = Caller("lena", Role.LEAD, frozenset({"care"}), "Lena Lead")
ALICE = Caller("alice", Role.AGENT, frozenset({"care"}), "Alice Agent")


class World:
    def __init__(self) -> None:
        self.clock = ManualClock(T0)
        self.config = MemoryConfigStore()
        self.cases = MemoryAgentStore()
        self.service = SlaService(self.config, self.cases, clock=self.clock)

    def configure(self) -> None:
        self.service.put_calendar(ROOT, "berlin-office", BERLIN, expected_version=None)
        self.service.put_calendar(ROOT, "always", ALWAYS, expected_version=None)
        self.service.put_policies(ROOT, POLICIES, expected_version=None)

    def case(self, **fields: object) -> Case:
        case = care_case(
            CASE_ID,
            Channel.TELEGRAM,
            "tg-1",
            Customer("joe"),
            T0,
            last_inbound_by_channel={Channel.TELEGRAM: T0},
            awaiting_reply_since_ms=T0,
        )
        case = replace(case, **fields)  # type: ignore[arg-type]
        self.cases.put_case(case)
        return case


@pytest.fixture
def w() -> World:
    return World()


def test_each_write_is_the_next_version_and_is_audited(w: World) -> None:
    first = w.service.put_calendar(ROOT, "always", ALWAYS, expected_version=0)
    w.clock.advance(minutes=1)
    second = w.service.put_calendar(ROOT, "always", {"time_zone": "UTC", "always_open": True}, expected_version=1)
    assert (first.version, second.version) == (1, 2)
    assert second.updated_by == "root"
    [latest, earliest] = w.config.config_audit(limit=5)
    assert (latest.subject, latest.details) == ("calendar/always", {"version": "2", "previous_version": "1"})
    assert earliest.at_ms == T0


def test_a_stale_version_is_a_conflict_carrying_the_version_now(w: World) -> None:
    w.service.put_department(ROOT, "billing", BILLING, expected_version=None)
    with pytest.raises(ConfigVersionConflict) as raised:
        w.service.put_department(ROOT, "billing", BILLING, expected_version=0)
    assert raised.value.current == 1


def test_concurrent_writers_of_one_version_one_wins(w: World) -> None:
    w.service.put_calendar(ROOT, "always", ALWAYS, expected_version=None)
    outcomes: list[str] = []
    barrier = threading.Barrier(4)

    def write() -> None:
        barrier.wait()
        try:
            w.service.put_calendar(ROOT, "always", ALWAYS, expected_version=1)
            outcomes.append("stored")
        except ConfigVersionConflict:
            outcomes.append("conflict")

    threads = [threading.Thread(target=write) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["conflict", "conflict", "conflict", "stored"]
    assert w.service.get_calendar(LENA, "always").version == 2


def test_policies_must_name_stored_calendars_and_are_stored_normalised(w: World) -> None:
    with pytest.raises(InvalidPolicy) as raised:
        w.service.put_policies(ROOT, POLICIES, expected_version=None)
    assert raised.value.field == "policies[0].calendar"
    w.configure()
    stored = w.service.get_policies(LENA)
    assert stored.version == 1
    assert stored.document["version"] == 1
    default = stored.document["policies"][0]  # type: ignore[index]
    assert default["pauses"] == {"resolution": ["pending_customer"]}


def test_roles(w: World) -> None:
    with pytest.raises(ForbiddenRole):
        w.service.put_calendar(LENA, "always", ALWAYS, expected_version=None)
    with pytest.raises(ForbiddenRole):
        w.service.list_departments(ALICE)
    with pytest.raises(ConfigNotFound):
        w.service.get_department(LENA, "legal")
    with pytest.raises(ConfigNotFound):
        w.service.get_calendar(LENA, "Not A Name")
    assert w.service.list_calendars(LENA).items == []


def test_the_view_falls_back_to_the_response_targets(w: World) -> None:
    w.service = SlaService(w.config, w.cases, clock=w.clock, response_targets=ResponseTargets({Channel.TELEGRAM: 30}))
    w.case()
    view = w.service.case_sla(ALICE, CASE_ID)
    assert (view.policy_version, view.calendar.calendar.name, view.calendar.open_now) == (0, "always", True)
    [due] = view.due.running
    assert due.breach_at_ms == T0 + 30 * MINUTE


def test_the_view_counts_business_time_on_the_policy_calendar(w: World) -> None:
    w.configure()
    w.case()
    view = w.service.case_sla(ALICE, CASE_ID)
    assert view.policy.name == "default"
    assert view.policy_version == 1
    assert view.calendar.reopens == "tomorrow 09:00 CET"
    first = view.due.running[0]
    assert first.breach_at_ms == T0 + 24 * HOUR  # Friday 10:00 CET: one open hour after 09:00
    assert first.remaining_ms == HOUR


def test_a_status_that_pauses_a_clock_shows_it_paused(w: World) -> None:
    w.configure()
    w.case(status=CaseStatus.PENDING_CUSTOMER, awaiting_reply_since_ms=None, first_response_at_ms=T0)
    view = w.service.case_sla(LENA, CASE_ID)
    assert [p.clock.value for p in view.due.paused] == ["resolution"]
    assert view.due.running == ()


def test_the_view_is_for_the_case_team(w: World) -> None:
    w.case()
    with pytest.raises(ForbiddenTeam):
        w.service.case_sla(Caller("bob", Role.AGENT, frozenset({"billing"}), "Bob"), CASE_ID)
    assert w.config.list_configs(ConfigKind.CALENDAR) == []
