"""The follow-up's decisions in code: its settings on the SLA policies, the schedule a pending cycle
gets (``rules.follow_up``), the follow-up an agent's action gives a case, whether a write starts an
execution (``timers.follow_up``, on the in-memory twin of ``FollowUps``), and the case item."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from socialcare.agents.commands import MoveToPrivateCommand, ReplyCommand, StatusCommand
from socialcare.agents.cursor import CursorCodec
from socialcare.agents.service import AgentService
from socialcare.aws.config_store import CachedSla
from socialcare.aws.items import case_item, item_to_case
from socialcare.errors import InvalidPolicy
from socialcare.memory.case_clocks import MemoryFollowUps
from socialcare.memory.config_store import MemoryConfigStore
from socialcare.model.audit import AuditAction, AuditRecord
from socialcare.model.case import Case, CaseMark, CaseStatus
from socialcare.model.config import POLICY_SET_NAME, ConfigKind, StoredConfig
from socialcare.model.events import Channel
from socialcare.model.follow_up import FollowUpSchedule, pending_since_text
from socialcare.rules.calendar import BusinessCalendar
from socialcare.rules.follow_up import not_pending_since, plan_follow_up, with_follow_up
from socialcare.rules.policies import FollowUpPolicy, PolicySet
from socialcare.rules.sla import ALWAYS_OPEN, ResponseTargets
from socialcare.timers.follow_up import follow_up_start, start_follow_up

from tests.follow_up_support import answered_case, schedule_in
from tests.sla_config_support import BERLIN, POLICIES
from tests.unit.test_agent_service import ALICE, CASE_ID, World

pytestmark = pytest.mark.unit

T0 = 1_767_258_000_000  # 2026-01-01T09:00:00Z
MIN = 60_000
HOUR = 60 * MIN
OFFICE = BusinessCalendar.from_config(BERLIN)


def berlin(at_ms: int | None) -> str:
    assert at_ms is not None
    return datetime.fromtimestamp(at_ms / 1000, ZoneInfo("Europe/Berlin")).strftime("%a %d %H:%M")


def policy_set(**follow_up: Any) -> PolicySet:
    default = {"name": "default", "calendar": "office", "targets_minutes": {"first_response": 60}}
    if follow_up:
        default["follow_up_minutes"] = follow_up
    return PolicySet.from_config({"version": 1, "policies": [default]})


# --- settings -------------------------------------------------------------------------------------


def test_a_policy_without_follow_up_settings_nudges_after_one_and_resolves_after_five_business_days() -> None:
    follow_up = policy_set().policies[0].follow_up
    assert (follow_up.nudge_after_ms, follow_up.auto_resolve_after_ms) == (480 * MIN, 2400 * MIN)
    assert policy_set().to_config()["policies"][0]["follow_up_minutes"] == {"nudge": 480, "auto_resolve": 2400}


def test_each_step_can_be_set_or_turned_off_and_the_settings_round_trip() -> None:
    quick = policy_set(nudge=30, auto_resolve=90)
    assert quick.policies[0].follow_up == FollowUpPolicy(30 * MIN, 90 * MIN)
    assert PolicySet.from_config(quick.to_config()) == quick
    assert policy_set(nudge=None).policies[0].follow_up == FollowUpPolicy(None, 2400 * MIN)
    assert policy_set(nudge=None, auto_resolve=None).policies[0].follow_up.is_off


@pytest.mark.parametrize(
    ("follow_up", "field", "reason"),
    [
        ({"nudge": 600, "auto_resolve": 600}, "auto_resolve", "more minutes than the nudge"),
        ({"nudge": 3000}, "auto_resolve", "more minutes than the nudge"),  # past the default auto-resolve
        ({"nudge": 0}, "nudge", "1 to"),
        ({"nudge": 30.5}, "nudge", "1 to"),
        ({"auto_resolve": True}, "auto_resolve", "1 to"),
        ({"remind": 30}, "remind", "unknown field"),
    ],
)
def test_invalid_follow_up_settings_say_which_field_and_why(follow_up: dict[str, Any], field: str, reason: str) -> None:
    with pytest.raises(InvalidPolicy) as raised:
        policy_set(**follow_up)
    assert raised.value.field == f"policies[0].follow_up_minutes.{field}"
    assert reason in raised.value.reason


def test_follow_up_minutes_must_be_an_object() -> None:
    config = policy_set().to_config()
    config["policies"][0]["follow_up_minutes"] = 480  # type: ignore[index]
    with pytest.raises(InvalidPolicy, match="follow_up_minutes: must be an object"):
        PolicySet.from_config(config)


def test_the_local_stack_may_shorten_every_follow_up_to_seconds() -> None:
    targets = ResponseTargets.from_config({"follow_up_seconds": {"nudge": 5, "auto_resolve": 12}})
    assert targets.follow_up == FollowUpPolicy(5_000, 12_000)
    assert ResponseTargets.from_config(targets.to_config()) == targets
    assert ResponseTargets.from_config({"follow_up_seconds": {"auto_resolve": 3}}).follow_up == FollowUpPolicy(
        None, 3_000
    )
    for refused in ({"nudge": 0}, {"later": 3}, {}, {"nudge": 9, "auto_resolve": 4}):
        with pytest.raises(InvalidPolicy):
            ResponseTargets.from_config({"follow_up_seconds": refused})


# --- the schedule ---------------------------------------------------------------------------------


def test_the_steps_count_business_time_on_the_policys_calendar() -> None:
    friday_4pm = int(datetime(2026, 1, 9, 16, 0, tzinfo=ZoneInfo("Europe/Berlin")).timestamp() * 1000)
    case = answered_case("C1", friday_4pm)
    schedule = plan_follow_up(FollowUpPolicy(), OFFICE, case, pending_since_ms=friday_4pm)
    assert schedule is not None
    assert (berlin(schedule.nudge_at_ms), berlin(schedule.resolve_at_ms)) == ("Mon 12 16:00", "Fri 16 16:00")
    on_24_7 = plan_follow_up(FollowUpPolicy(), ALWAYS_OPEN, case, pending_since_ms=friday_4pm)
    assert on_24_7 == FollowUpSchedule(friday_4pm, friday_4pm + 8 * HOUR, friday_4pm + 40 * HOUR)


def test_no_nudge_where_automated_messages_may_not_go_and_no_auto_resolve_for_a_sensitive_case() -> None:
    case = answered_case("C1", T0)
    policy = FollowUpPolicy(HOUR, 2 * HOUR)

    def plan(**fields: Any) -> FollowUpSchedule | None:
        return plan_follow_up(policy, ALWAYS_OPEN, replace(case, **fields), pending_since_ms=T0)

    assert plan() == FollowUpSchedule(T0, T0 + HOUR, T0 + 2 * HOUR)
    assert plan(automated_messages_allowed=False) == FollowUpSchedule(T0, None, T0 + 2 * HOUR)
    assert plan(mark=CaseMark("troll", ("insults",))) == FollowUpSchedule(T0, None, T0 + 2 * HOUR)
    assert plan(sensitive=frozenset({"bereavement"}), automated_messages_allowed=False) is None
    assert plan_follow_up(FollowUpPolicy(None, None), ALWAYS_OPEN, case, pending_since_ms=T0) is None


def test_entering_pending_starts_a_cycle_staying_keeps_it_and_leaving_ends_it() -> None:
    case = answered_case("C1", T0)
    schedule = schedule_in(T0, nudge_s=60, resolve_s=120)
    pending = with_follow_up(case, case.with_status(CaseStatus.PENDING_CUSTOMER, T0), schedule)
    assert (pending.follow_up_cycle, pending.follow_up) == (1, schedule)
    still = with_follow_up(pending, replace(pending, owner="bob"), schedule_in(T0 + 5, nudge_s=1, resolve_s=2))
    assert (still.follow_up_cycle, still.follow_up) == (1, schedule), "the running cycle goes on"
    opened = with_follow_up(pending, pending.with_status(CaseStatus.OPEN, T0 + 9), None)
    assert (opened.follow_up_cycle, opened.follow_up) == (1, None)
    again = with_follow_up(opened, opened.with_status(CaseStatus.PENDING_CUSTOMER, T0 + 10), schedule)
    assert again.follow_up_cycle == 2


def test_a_task_applies_only_while_the_case_waits_since_its_instant() -> None:
    pending = with_follow_up(
        answered_case("C1", T0),
        answered_case("C1", T0).with_status(CaseStatus.PENDING_CUSTOMER, T0),
        schedule_in(T0, nudge_s=60, resolve_s=120),
    )
    since = pending_since_text(T0)
    assert since == "2026-01-01T09:00:00.000Z"
    assert not_pending_since(pending, since) is None
    assert not_pending_since(pending.with_status(CaseStatus.OPEN, T0 + 1), since) == "the case is open"
    assert "another instant" in (not_pending_since(pending, pending_since_text(T0 - 1)) or "")


# --- what an agent's action gives a case ----------------------------------------------------------


def agents(config: MemoryConfigStore | None = None, targets: ResponseTargets | None = None) -> World:
    world = World()
    world.service = AgentService(
        world.store,
        world.outbox,
        clock=world.clock,
        cursors=CursorCodec(b"0123456789abcdef0123"),
        targets=targets,
        sla=None if config is None else CachedSla(config, targets or ResponseTargets(), clock=world.clock),
    )
    world.service.reply(ALICE, CASE_ID, ReplyCommand(text="Refunded; did it arrive?"))
    return world


def stored(documents: list[tuple[ConfigKind, str, dict[str, Any]]]) -> MemoryConfigStore:
    config = MemoryConfigStore()
    for kind, name, document in documents:
        audit = AuditRecord(name, T0, "admin", "admin", AuditAction.SLA_POLICIES_UPDATED)
        config.save_config(StoredConfig(kind, name, 1, document, T0, "admin"), audit)
    return config


def pend(world: World) -> Case:
    return world.service.change_status(ALICE, CASE_ID, StatusCommand(CaseStatus.PENDING_CUSTOMER)).case


def test_setting_a_case_to_wait_for_the_customer_plans_the_defaults_while_no_policy_is_stored() -> None:
    world = agents(stored([]))
    case = pend(world)
    assert case.follow_up_cycle == 1
    assert case.follow_up == FollowUpSchedule(T0, T0 + 8 * HOUR, T0 + 40 * HOUR)
    assert world.case == case


def test_the_stored_policy_and_its_calendar_give_the_times() -> None:
    quick = {**POLICIES["policies"][0], "follow_up_minutes": {"nudge": 60, "auto_resolve": 180}}
    policies = {"version": 1, "policies": [quick, POLICIES["policies"][1]]}
    world = agents(
        stored([(ConfigKind.CALENDAR, "berlin-office", BERLIN), (ConfigKind.SLA_POLICIES, POLICY_SET_NAME, policies)])
    )
    world.clock.now_ms = int(datetime(2026, 1, 9, 16, 30, tzinfo=ZoneInfo("Europe/Berlin")).timestamp() * 1000)
    case = pend(world)
    assert case.follow_up is not None
    assert (berlin(case.follow_up.nudge_at_ms), berlin(case.follow_up.resolve_at_ms)) == (
        "Mon 12 09:30",
        "Mon 12 11:30",
    )


def test_the_local_override_replaces_the_policys_times_and_move_to_private_plans_too() -> None:
    world = World(Channel.X_POST)
    world.service = AgentService(
        world.store,
        world.outbox,
        clock=world.clock,
        cursors=CursorCodec(b"0123456789abcdef0123"),
        targets=ResponseTargets(follow_up=FollowUpPolicy(5_000, 9_000)),
    )
    world.service.move_to_private(ALICE, CASE_ID, MoveToPrivateCommand())
    assert world.case.follow_up == FollowUpSchedule(T0, T0 + 5_000, T0 + 9_000)


def test_a_status_change_that_keeps_or_ends_the_wait_plans_nothing_new() -> None:
    world = agents(stored([]))
    pending = pend(world)
    world.clock.advance(minutes=5)
    reopened = world.service.change_status(ALICE, CASE_ID, StatusCommand(CaseStatus.OPEN)).case
    assert (reopened.follow_up_cycle, reopened.follow_up) == (1, None)
    world.clock.advance(minutes=5)
    again = pend(world)
    assert again.follow_up_cycle == 2
    assert again.follow_up is not None
    assert again.follow_up.pending_since_ms == pending.follow_up.pending_since_ms + 10 * MIN  # type: ignore[union-attr]


# --- starting the execution -----------------------------------------------------------------------


def written(before: Case, schedule: FollowUpSchedule | None, follow_ups: MemoryFollowUps) -> Case:
    after = with_follow_up(before, before.with_status(CaseStatus.PENDING_CUSTOMER, T0), schedule)
    start_follow_up(follow_ups, before, after)
    return after


def test_a_new_cycle_starts_its_execution_with_the_plan_and_the_instants() -> None:
    follow_ups = MemoryFollowUps()
    case = written(answered_case("C1", T0), schedule_in(T0, nudge_s=3600, resolve_s=7200.5), follow_ups)
    assert follow_ups.started == {
        "follow-up-C1-1": {
            "case_id": "C1",
            "cycle": "1",
            "pending_since": "2026-01-01T09:00:00.000Z",
            "plan": "nudge_then_resolve",
            "at": "2026-01-01T10:00:00Z",
            "resolve_at": "2026-01-01T11:00:01Z",  # rounded up: never woken before the instant
        }
    }
    assert follow_up_start(case, replace(case, owner="bob")) is None, "the cycle's execution runs already"
    assert follow_up_start(None, case) is not None, "a stream record without an old image: started (idempotent)"


@pytest.mark.parametrize(
    ("nudge_s", "resolve_s", "plan", "at"),
    [(60, None, "nudge", "2026-01-01T09:01:00Z"), (None, 120, "resolve", "2026-01-01T09:02:00Z")],
)
def test_a_plan_with_one_step_starts_aimed_at_it(
    nudge_s: int | None, resolve_s: int | None, plan: str, at: str
) -> None:
    follow_ups = MemoryFollowUps()
    written(answered_case("C1", T0), schedule_in(T0, nudge_s=nudge_s, resolve_s=resolve_s), follow_ups)
    [started] = follow_ups.started.values()
    assert (started["plan"], started["at"], "resolve_at" in started) == (plan, at, False)


def test_no_execution_without_a_schedule_or_outside_pending_customer() -> None:
    follow_ups = MemoryFollowUps()
    written(answered_case("C1", T0), None, follow_ups)
    case = answered_case("C2", T0)
    start_follow_up(follow_ups, case, case.with_status(CaseStatus.RESOLVED, T0))
    assert follow_ups.started == {}


# --- the case item --------------------------------------------------------------------------------


def test_the_item_keeps_the_cycle_and_holds_the_schedule_only_while_pending() -> None:
    pending = with_follow_up(
        answered_case("C1", T0),
        answered_case("C1", T0).with_status(CaseStatus.PENDING_CUSTOMER, T0),
        schedule_in(T0, nudge_s=60, resolve_s=None),
    )
    item = case_item(pending)
    assert item["follow_up_pending_since"] == {"S": "2026-01-01T09:00:00.000Z"}
    assert item["follow_up_nudge_at"] == {"S": "2026-01-01T09:01:00Z"}
    assert "follow_up_resolve_at" not in item
    assert item_to_case(item) == pending
    opened = pending.with_status(CaseStatus.OPEN, T0 + 1)
    item = case_item(opened)
    assert item["follow_up_cycle"] == {"N": "1"}
    assert not [name for name in item if name.startswith("follow_up_") and name != "follow_up_cycle"]
    assert item_to_case(item) == opened
