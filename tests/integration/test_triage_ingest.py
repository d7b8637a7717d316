"""Issue 9, triage at ingest, through the real ingest handler on moto: the brand's routing rules
(the stored ones, read again each minute, else ROUTING_RULES) route new cases, sensitive messages go to the trained team at urgent with automated
messages off and a lead is told on the project's bus (never the text), language and sentiment are
stored on the thread entry, a blocked customer is marked troll and set aside in the review queue, and no
log line holds a message's text."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from socialcare import constants as c
from socialcare.aws.case_store import CaseStore
from socialcare.aws.config_store import ConfigStore
from socialcare.aws.view_reads import case_page
from socialcare.clock import ManualClock
from socialcare.model.audit import AuditRecord
from socialcare.model.case import Case, Priority
from socialcare.model.config import ROUTING_RULES_NAME, ConfigKind, StoredConfig
from socialcare.model.escalation import EVENT_SOURCE
from socialcare.model.notices import SENSITIVE_CASE
from socialcare.model.views import CaseView, Dimension
from socialcare_local.sandbox import payloads as p

from tests.conftest import AwsResources
from tests.integration.lambda_harness import EVENT_BUS, Lambdas, bus_events
from tests.platform_fixtures import page_message_entry

pytestmark = pytest.mark.integration

PAGE = "104729835600142"
IG_PRESS = "17841405822304914"  # the brand's Instagram account, its press desk in these rules
X_BRAND = "2244994945"  # the brand's X account (tests/integration/lambda_harness.py)
BLOCKED_USER = "6254148874629999"
RULES = {
    "version": 2,
    "lists": {"blocked": [f"meta:{BLOCKED_USER}"]},
    "rules": [
        {
            "name": "press-account",
            "when": {"accounts": [IG_PRESS]},
            "then": {"team": "pr", "priority": "high", "tags": ["press"], "automated_messages_allowed": False},
        },
        {"name": "refunds", "when": {"keywords": ["refund*"]}, "then": {"tags": ["refund"]}},
    ],
}
BEREAVEMENT_ES = "Mi madre falleció la semana pasada y quiero cerrar su cuenta, por favor"
FIGURE_OF_SPEECH = "I was not going to kill myself laughing at that ad, but the refund is late"
FURIOUS = "Your courier left my parcel in the rain again, absolutely furious 😡"


def dm(text: str, *, sender: str, mid: str, ts: int = 1_749_418_000_000, account: str = PAGE) -> dict[str, Any]:
    """A private message to the Page (Messenger) or to the Instagram account."""
    return {
        "object": "instagram" if account == IG_PRESS else "page",
        "entry": [page_message_entry(account, sender, mid, text, ts)],
    }


def ingest_clients(aws: AwsResources) -> dict[str, Any]:
    events = boto3.client("events", region_name="us-east-1")
    return {"dynamodb": aws.dynamodb, "s3": aws.s3, "sqs": aws.sqs, "events": events}


@pytest.fixture
def lambdas(aws: AwsResources, monkeypatch: pytest.MonkeyPatch, notices_queue: str) -> Iterator[Lambdas]:
    monkeypatch.setenv(c.ENV_ROUTING_RULES, json.dumps(RULES))
    monkeypatch.setenv(c.ENV_EVENT_BUS_NAME, EVENT_BUS)
    harness = Lambdas(aws, monkeypatch)
    harness.ingest.wire(clients=ingest_clients(aws))
    yield harness
    harness.close()


@pytest.fixture
def store(aws: AwsResources) -> CaseStore:
    return CaseStore(aws.table_name, client=aws.dynamodb)


def deliver(lambdas: Lambdas, *docs: dict[str, Any]) -> None:
    for doc in docs:
        lambdas.accept("meta", doc)
    lambdas.drain()


def only_case(store: CaseStore, account: str, user: str) -> Case:
    [case] = store.cases_of_customer(account, user)
    return case


def notices(aws: AwsResources, url: str) -> list[dict[str, Any]]:
    return bus_events(aws, url)


def test_a_press_accounts_message_goes_to_pr_by_its_rule(lambdas: Lambdas, store: CaseStore) -> None:
    deliver(
        lambdas,
        dm(
            "Hi, a journalist here: can your spokesperson comment?",
            sender="6731829301920001",
            mid="m1",
            account=IG_PRESS,
        ),
    )
    case = only_case(store, IG_PRESS, "6731829301920001")
    assert (case.team, case.priority) == ("pr", Priority.HIGH)
    assert case.routing is not None
    assert (case.routing.rule, case.routing.reasons, case.routing.tags) == (
        "press-account",
        (f"brand account {IG_PRESS}",),
        ("press",),
    )
    assert case.routing.rules_version == 2
    assert case.automated_messages_allowed is False
    assert case.sensitive == frozenset()
    assert case.mark is None


def test_a_bereavement_message_in_spanish_goes_to_the_trained_team_at_urgent(
    lambdas: Lambdas, store: CaseStore, aws: AwsResources, notices_queue: str
) -> None:
    deliver(lambdas, dm(BEREAVEMENT_ES, sender="6254148874620002", mid="m2"))
    case = only_case(store, PAGE, "6254148874620002")
    assert (case.team, case.priority) == ("trained-care", Priority.URGENT)
    assert case.automated_messages_allowed is False
    assert case.sensitive == frozenset({"bereavement"})
    assert case.language == "es"
    assert case.routing is not None
    assert case.routing.rule == "sensitive"
    assert case.routing.overridden_rule == "default"
    assert "phrase bereavement.es.relation_died" in case.routing.reasons
    assert case.routing.tags == ("sensitive", "sensitive:bereavement")
    [notice] = notices(aws, notices_queue)
    assert notice["detail-type"] == SENSITIVE_CASE
    assert notice["source"] == EVENT_SOURCE
    assert notice["detail"] == {
        "case_id": case.case_id,
        "categories": ["bereavement"],
        "team": "trained-care",
        "priority": "urgent",
        "platform": "meta",
        "account_id": PAGE,
        "opened": True,
    }
    assert "falleci" not in json.dumps(notice)


def test_a_sensitive_message_raises_an_existing_case(
    lambdas: Lambdas, store: CaseStore, aws: AwsResources, notices_queue: str
) -> None:
    user = "6254148874620003"
    deliver(lambdas, dm("where is my refund?", sender=user, mid="m3a", ts=1_749_418_000_000))
    opened = only_case(store, PAGE, user)
    assert (opened.team, opened.priority) == (c.DEFAULT_TEAM, Priority.NORMAL)
    assert opened.routing is not None
    assert opened.routing.tags == ("refund",)
    deliver(lambdas, dm("my husband passed away, the account was his", sender=user, mid="m3b", ts=1_749_418_060_000))
    case = only_case(store, PAGE, user)
    assert case.case_id == opened.case_id
    assert (case.team, case.priority, case.automated_messages_allowed) == ("trained-care", Priority.URGENT, False)
    assert case.routing is not None
    assert (case.routing.rule, case.routing.overridden_rule) == ("sensitive", "refunds")
    assert case.routing.tags == ("refund", "sensitive", "sensitive:bereavement")
    [notice] = notices(aws, notices_queue)
    assert notice["detail"]["case_id"] == case.case_id
    assert notice["detail"]["opened"] is False


def test_a_negated_figure_of_speech_is_not_flagged(
    lambdas: Lambdas, store: CaseStore, aws: AwsResources, notices_queue: str
) -> None:
    deliver(lambdas, dm(FIGURE_OF_SPEECH, sender="6254148874620004", mid="m4"))
    case = only_case(store, PAGE, "6254148874620004")
    assert case.sensitive == frozenset()
    assert (case.team, case.priority, case.automated_messages_allowed) == (c.DEFAULT_TEAM, Priority.NORMAL, True)
    assert case.routing is not None
    assert (case.routing.rule, case.routing.tags) == ("refunds", ("refund",))
    assert notices(aws, notices_queue) == []


def test_language_and_sentiment_are_stored_on_the_entry(lambdas: Lambdas, store: CaseStore) -> None:
    deliver(lambdas, dm(FURIOUS, sender="6254148874620005", mid="m5"))
    case = only_case(store, PAGE, "6254148874620005")
    [entry] = store.thread(case.case_id)
    assert entry.language == "en"
    assert case.language == "en"
    assert entry.sentiment is not None
    assert (entry.sentiment.label, entry.sentiment.method) == ("negative", "vader")
    assert -1 <= entry.sentiment.score < -0.05
    assert case.routing is not None
    assert case.routing.rule == "default"


def test_a_blocked_customer_is_marked_troll_and_set_aside_in_the_review_queue(
    lambdas: Lambdas, store: CaseStore, aws: AwsResources
) -> None:
    deliver(lambdas, dm("hello again, remember me?", sender=BLOCKED_USER, mid="m6"))
    case = only_case(store, PAGE, BLOCKED_USER)
    assert case.mark is not None
    assert (case.mark.kind, case.mark.reasons) == ("troll", ("blocked",))
    assert (case.team, case.priority) == (c.DEFAULT_TEAM, Priority.NORMAL)
    assert (case.response_due_at_ms, case.escalation, case.automated_messages_allowed) == (None, None, False)
    assert queue_of(aws, Dimension.REVIEW) == [case.case_id]  # kept, in the team's review queue
    assert case.case_id not in queue_of(aws, Dimension.QUEUE)


def queue_of(aws: AwsResources, dimension: Dimension) -> list[str]:
    """The case ids of the default team's queue (or review queue), read from its shards of the queue index."""
    page = case_page(aws.dynamodb, aws.table_name, CaseView(dimension, c.DEFAULT_TEAM), limit=100, start=None)
    return [summary.case_id for summary in page.items]


def store_rules(aws: AwsResources, version: int, team: str) -> None:
    """An admin's routing rules as the agent API stores them: VIP customers go to ``team``."""
    document = {
        "version": version,
        "lists": {"vip": [f"meta:{VIP}" for VIP in VIPS]},
        "rules": [{"name": "vip", "when": {"customer_in": ["vip"]}, "then": {"team": team, "priority": "high"}}],
    }
    kind = ConfigKind.ROUTING_RULES
    audit = AuditRecord(
        f"01JGZ8Q5K2M3N4P5Q6R7S8T9V{version}", T_RULES, "root", "admin", kind.audit_action, subject=kind.subject("")
    )
    config = StoredConfig(kind, ROUTING_RULES_NAME, version, document, T_RULES, "root")
    ConfigStore(aws.table_name, client=aws.dynamodb).save_config(config, audit)


VIPS = ("6254148874620091", "6254148874620092", "6254148874620093")
T_RULES = 1_749_418_000_000


def test_stored_rules_route_in_place_of_the_deployed_ones_and_a_change_applies_within_a_minute(
    lambdas: Lambdas, store: CaseStore, aws: AwsResources
) -> None:
    clock = ManualClock(T_RULES)
    lambdas.ingest.wire(clients=ingest_clients(aws), clock=clock)
    store_rules(aws, 1, "vip-desk")
    deliver(lambdas, dm("where is my order?", sender=VIPS[0], mid="m81"))
    first = only_case(store, PAGE, VIPS[0])
    assert (first.team, first.priority) == ("vip-desk", Priority.HIGH)
    assert first.routing is not None
    assert (first.routing.rule, first.routing.rules_version) == ("vip", 1)

    store_rules(aws, 2, "concierge")  # an admin changes them
    clock.advance(seconds=30)
    deliver(lambdas, dm("where is my order?", sender=VIPS[1], mid="m82"))
    assert only_case(store, PAGE, VIPS[1]).team == "vip-desk"  # the copy ingest holds is 30 s old
    clock.advance(seconds=31)
    deliver(lambdas, dm("where is my order?", sender=VIPS[2], mid="m83"))
    third = only_case(store, PAGE, VIPS[2])
    assert third.team == "concierge"
    assert third.routing is not None
    assert third.routing.rules_version == 2


def test_without_stored_rules_the_deployed_ones_route(lambdas: Lambdas, store: CaseStore) -> None:
    deliver(lambdas, dm("where is my order?", sender=VIPS[0], mid="m84"))
    case = only_case(store, PAGE, VIPS[0])
    assert case.routing is not None
    assert (case.routing.rule, case.routing.rules_version) == ("default", RULES["version"])


def test_the_same_post_three_times_marks_spam_and_a_retried_delivery_counts_once(
    lambdas: Lambdas, store: CaseStore
) -> None:
    user, text, ts = "6254148874620008", "Win a free phone today, just click my profile", 1_749_418_000_000
    first = dm(text, sender=user, mid="m8a", ts=ts)
    deliver(lambdas, first, first)  # the platform sends the first post twice: one post
    deliver(lambdas, dm(text.upper() + "!!", sender=user, mid="m8b", ts=ts + 60_000))
    assert only_case(store, PAGE, user).mark is None
    deliver(lambdas, dm(f"{text} 🎉", sender=user, mid="m8c", ts=ts + 120_000))
    case = only_case(store, PAGE, user)
    assert case.mark is not None
    assert (case.mark.kind, case.mark.reasons) == ("spam", ("repeated_post x3",))
    assert case.message_count == 3
    # The posts are remembered where ingest reads them: the customer's current-case copy.
    recent = store.current_case(PAGE, [user]).case
    assert recent is not None
    assert len(recent.recent_posts) == 3
    assert all(len(post.fingerprint) == 12 and "phone" not in post.fingerprint for post in recent.recent_posts)


def test_link_messages_flooding_within_an_hour_mark_spam(lambdas: Lambdas, store: CaseStore) -> None:
    user, ts = "6254148874620009", 1_749_418_000_000
    for i in range(4):
        deliver(
            lambdas,
            dm(f"offer number {i} is at deals.example.com/{i} now", sender=user, mid=f"m9{i}", ts=ts + i * 60_000),
        )
    case = only_case(store, PAGE, user)
    assert case.mark is not None
    assert (case.mark.kind, case.mark.reasons) == ("spam", ("link_flood 4 messages in an hour",))


def test_a_brand_new_x_account_posting_a_link_is_marked_spam(lambdas: Lambdas, store: CaseStore) -> None:
    ts = 1_749_418_000_000
    newcomer = p.x_user("1486322999", "fresh_acct", created_at_ms=ts - 86_400_000)
    veteran = p.x_user("1486322998", "old_hand", created_at_ms=ts - 900 * 86_400_000)
    brand = p.x_user(X_BRAND, "AcmeSupport")
    for user, tweet_id in ((newcomer, "1932100000000000901"), (veteran, "1932100000000000902")):
        tweet = p.x_tweet(tweet_id, user, "@AcmeSupport see deals.example.com", ts, mentions=[brand])
        lambdas.accept("x", p.x_delivery(X_BRAND, tweet_create_events=[tweet]))
    lambdas.drain()
    case = only_case(store, X_BRAND, "1486322999")
    assert case.mark is not None
    assert (case.mark.kind, case.mark.reasons) == ("spam", ("links from a new account x1", "new_account 1d"))
    assert only_case(store, X_BRAND, "1486322998").mark is None


def test_no_log_line_holds_a_messages_text(
    lambdas: Lambdas, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    texts = (BEREAVEMENT_ES, FIGURE_OF_SPEECH, FURIOUS)
    with caplog.at_level(logging.INFO):
        deliver(lambdas, *(dm(t, sender=f"62541488746201{i}", mid=f"m7{i}") for i, t in enumerate(texts)))
    records = [json.dumps(vars(record), default=str) for record in caplog.records]
    assert any('"message triaged"' in r or "message triaged" in r for r in records), "triage logs its findings"
    printed = capsys.readouterr()
    everything = "\n".join((*records, printed.out, printed.err))
    for text in texts:
        for fragment in (text, text[:20], text[-20:], json.dumps(text)[1:21]):
            assert fragment not in everything


def test_invalid_routing_rules_fail_the_cold_start_naming_the_field(
    lambdas: Lambdas, monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = {"version": 1, "rules": [{"name": "x", "when": {}, "then": {"priority": "asap"}}]}
    monkeypatch.setenv(c.ENV_ROUTING_RULES, json.dumps(bad))
    config = lambdas.ingest.IngestConfig.from_env()
    with pytest.raises(RuntimeError, match=r"ROUTING_RULES is invalid at rules\[0\]\.then\.priority"):
        lambdas.ingest._routing_rules(config)
