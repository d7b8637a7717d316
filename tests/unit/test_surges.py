"""Surge detection on synthetic traffic: what ingest counts, the rule, and the scheduled check raising
each surge once (in-memory counters; ``tests/contract/test_surge_store.py`` holds DynamoDB's to the same)."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from socialcare.clock import ManualClock
from socialcare.errors import InvalidSurgeSettings, NotificationFailed
from socialcare.ingest.service import Ingestor, IngestSettings
from socialcare.memory.case_store import MemoryCaseStore
from socialcare.memory.notices import RecordedNotices
from socialcare.memory.surge_store import MemorySurgeStore
from socialcare.model.events import Channel, Customer, EventKind, ParsedDelivery, Platform, PlatformEvent
from socialcare.model.notices import SurgeNotice
from socialcare.model.surges import BucketCounts, SurgeKey, SurgeScope
from socialcare.rules.routing_rules import RoutingRules
from socialcare.rules.surges import BUCKET_MS, SHARDS, SurgeSettings, bucket_of, shard_of, surges
from socialcare.surges.check import SurgeCheck

from tests.event_support import message_event

pytestmark = pytest.mark.unit

PAGE, IG = "104729835600142", "17841405822304914"
START = 1_767_225_600_000  # a bucket boundary
SETTINGS = SurgeSettings.from_config(
    {"keywords": {"outage": ["outage", "not working", "down"], "refund": ["refund*"]}, "min_count": 20}
)
RULES = RoutingRules.from_config(
    {"version": 1, "rules": [{"name": "refunds", "when": {"keywords": ["refund*"]}, "then": {"tags": ["billing"]}}]}
)
TOPIC_OUTAGE = SurgeKey(SurgeScope.TOPIC, "outage")
ACCOUNT_PAGE = SurgeKey(SurgeScope.ACCOUNT, PAGE)


# --- settings -------------------------------------------------------------------------------------
def test_settings_round_trip_and_defaults() -> None:
    assert SurgeSettings.from_config(SETTINGS.to_config()) == SETTINGS
    default = SurgeSettings.from_config({})
    assert (default.min_count, default.factor, default.baseline_buckets, dict(default.keywords)) == (20, 3.0, 12, {})


@pytest.mark.parametrize(
    ("config", "field"),
    [
        ([], "surges"),
        ({"threshold": 3}, "threshold"),
        ({"keywords": ["outage"]}, "keywords"),
        ({"keywords": {"Outage!": ["outage"]}}, "keywords.Outage!"),
        ({"keywords": {"outage": []}}, "keywords.outage"),
        ({"keywords": {"outage": ["ok", ".. down"]}}, "keywords.outage[1]"),
        ({"min_count": 0}, "min_count"),
        ({"min_count": True}, "min_count"),
        ({"factor": 0.5}, "factor"),
        ({"baseline_buckets": 289}, "baseline_buckets"),
    ],
)
def test_bad_settings_are_refused_naming_the_field(config: Any, field: str) -> None:
    with pytest.raises(InvalidSurgeSettings) as caught:
        SurgeSettings.from_config(config)
    assert caught.value.field == field


def test_a_messages_topics_are_its_routing_tags_and_the_keyword_topics_it_matches() -> None:
    assert SETTINGS.topics(("press",), "The app is NOT WORKING again") == {"press", "outage"}
    assert SETTINGS.topics((), "Ich will eine Refundierung") == {"refund"}  # refund*: accents, case aside
    assert SETTINGS.topics((), "thanks, all good") == frozenset()
    assert SETTINGS.keys(PAGE, ("press",), "down again") == (
        SurgeKey(SurgeScope.ACCOUNT, PAGE),
        SurgeKey(SurgeScope.TOPIC, "outage"),
        SurgeKey(SurgeScope.TOPIC, "press"),
    )


def test_shards_spread_a_burst_evenly() -> None:
    """5,000 messages in one second to one brand: no shard takes much more than its 1/16th."""
    per_shard = Counter(shard_of(f"mid.{i}") for i in range(5000))
    assert set(per_shard) == set(range(SHARDS))
    assert max(per_shard.values()) <= 1.2 * 5000 / SHARDS


# --- the rule ---------------------------------------------------------------------------------------
def counts(bucket_ms: int, **by_key: int) -> BucketCounts:
    keys = {SurgeKey.parse(k.replace("__", ":")): v for k, v in by_key.items()}
    return BucketCounts(bucket_ms, sum(keys.values()), keys, {k: (f"case-{k.name}",) for k in keys})


def test_a_count_is_a_surge_at_factor_times_the_baseline_or_the_floor() -> None:
    baseline = [counts(START - i * BUCKET_MS, topic__outage=10, topic__refund=2) for i in range(1, 13)]
    window = counts(START, topic__outage=30, topic__refund=19, topic__press=25)
    found = surges(window, baseline, SETTINGS)
    assert [(n.name, n.count, n.baseline, n.threshold, n.case_ids) for n in found] == [
        ("outage", 30, 10.0, 30.0, ("case-outage",)),  # 3 x its mean of 10
        ("press", 25, 0.0, 20.0, ("case-press",)),  # new topic: the floor min_count
    ]  # refund: 19 is under the floor of 20, however small its baseline
    steady = counts(START, topic__outage=29, topic__refund=2)
    assert surges(steady, baseline, SETTINGS) == []


# --- ingest counting and the scheduled check ---------------------------------------------------------
class World:
    """Ingest and the surge check on in-memory stores and one manual clock."""

    def __init__(self) -> None:
        self.clock = ManualClock(START)
        self.counters = MemorySurgeStore()
        self.alerts = RecordedNotices()
        self.ingestor = Ingestor(
            MemoryCaseStore(),
            clock=self.clock,
            settings=IngestSettings(routing_rules=RULES, surges=SETTINGS),
            counter=self.counters,
        )
        self.check = SurgeCheck(self.counters, self.alerts, settings=SETTINGS, clock=self.clock)
        self.sent = 0

    def messages(self, count: int, text: str, *, account: str = PAGE, per_delivery: int = 1) -> None:
        events = [self.event(text, account) for _ in range(count)]
        for first in range(0, count, per_delivery):
            batch = tuple(events[first : first + per_delivery])
            self.ingestor.ingest(ParsedDelivery(Platform.META, batch))

    def event(self, text: str, account: str) -> PlatformEvent:
        self.sent += 1
        return message_event(
            Channel.MESSENGER,
            account,
            f"m_{self.sent}",
            self.clock(),
            kind=EventKind.MESSAGE,
            customer=Customer(f"psid-{self.sent}"),
            text=text,
        )

    def steady_hour(self) -> None:
        """An ordinary hour: per bucket, 8 refund questions and 6 outage complaints on the Page."""
        for _ in range(12):
            self.messages(8, "where is my refund?")
            self.messages(6, "the app is down")
            self.clock.advance(ms=BUCKET_MS)


def test_a_spike_is_raised_once_with_its_topic_count_baseline_and_examples() -> None:
    world = World()
    world.steady_hour()
    world.messages(60, "is the app down for everyone?")  # the open bucket: an outage
    world.messages(5, "where is my refund?")
    world.clock.advance(minutes=2)
    report = world.check.run()
    assert report.windows == (bucket_of(world.clock()) - BUCKET_MS, bucket_of(world.clock()))
    raised = {(n.scope, n.name): n for n in report.raised}
    assert set(raised) == {("topic", "outage"), ("account", PAGE)}
    outage = raised[("topic", "outage")]
    assert (outage.count, outage.baseline, outage.threshold, outage.window_open) == (60, 6.0, 20.0, True)
    assert outage.window_start_ms == bucket_of(world.clock())
    assert 1 <= len(outage.case_ids) <= 5
    assert outage.detail()["topic"] == "outage"
    account = raised[("account", PAGE)]
    assert (account.count, account.baseline) == (65, 14.0)
    assert world.alerts.surges == list(report.raised)

    again = world.check.run()  # the next check, the bucket still open
    assert (again.raised, again.already_raised) == ((), 2)
    world.clock.advance(minutes=5)  # the bucket has ended: judged again, never raised again
    assert world.check.run().raised == ()
    assert len(world.alerts.surges) == 2


def test_steady_traffic_is_never_a_surge() -> None:
    world = World()
    world.steady_hour()
    world.steady_hour()
    report = world.check.run()
    assert report.raised == ()
    assert report.items_read > 0


def test_a_refused_notice_is_raised_by_the_next_run() -> None:
    world = World()
    world.messages(40, "refund please, now")
    world.alerts.surge_detected = _refuse  # type: ignore[method-assign]
    with pytest.raises(NotificationFailed, match="topic:refund"):
        world.check.run()
    world.alerts = RecordedNotices()
    world.check = SurgeCheck(world.counters, world.alerts, settings=SETTINGS, clock=world.clock)
    names = sorted(n.name for n in world.check.run().raised)
    assert names == sorted([PAGE, "billing", "refund"])


def _refuse(notice: SurgeNotice) -> None:
    raise RuntimeError("bus unavailable")


def test_ingest_writes_one_counter_update_per_delivery_not_per_message() -> None:
    world = World()
    world.messages(50, "the app is down", per_delivery=50)
    assert len(world.counters.writes) == 1
    reading = world.counters.read(START, START, shards=SHARDS)
    assert reading.bucket(START).count(TOPIC_OUTAGE) == 50
    assert reading.bucket(START).count(ACCOUNT_PAGE) == 50
    assert reading.bucket(START).messages == 50


def test_a_duplicate_delivery_is_not_counted_twice() -> None:
    world = World()
    event = world.event("the app is down", PAGE)
    world.ingestor.ingest(ParsedDelivery(Platform.META, (event,)))
    world.ingestor.ingest(ParsedDelivery(Platform.META, (event,)))  # the platform retries
    assert world.counters.read(START, START, shards=SHARDS).bucket(START).count(TOPIC_OUTAGE) == 1
