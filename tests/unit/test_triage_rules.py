"""Routing rules per brand: first match, the default, the sensitive override, and validation by field."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from socialcare.errors import InvalidRoutingRules
from socialcare.model.case import Priority
from socialcare.model.events import Channel, Customer, EventKind, Platform, PlatformEvent
from socialcare.rules.routing import Route, route_new_case
from socialcare.rules.routing_rules import RoutingRules, TriageFacts
from socialcare.rules.sensitive import detect_sensitive

from tests.routing_support import CONFIG, mutated, names_the_change

pytestmark = pytest.mark.unit

BASE = Route(team="care", priority=Priority.NORMAL)


def facts(**overrides: Any) -> TriageFacts:
    values: dict[str, Any] = {"account_id": "bs-care", "channel": Channel.WHATSAPP, "text": "hello"}
    values.update(overrides)
    return TriageFacts(**values)


@pytest.fixture(scope="module")
def rules() -> RoutingRules:
    return RoutingRules.from_config(CONFIG)


def test_the_press_account_routes_to_pr_and_says_why(rules: RoutingRules) -> None:
    decision = rules.decide(facts(account_id="bs-press"), base=BASE)
    assert (decision.team, decision.priority, decision.rule) == ("pr", Priority.HIGH, "press-account")
    assert decision.tags == ("triaged", "press")
    assert decision.automated_messages_allowed is False
    assert decision.reasons == ("brand account bs-press",)
    assert decision.to_record()["rules_version"] == 3


def test_a_known_journalist_goes_to_pr_by_handle_in_any_case(rules: RoutingRules) -> None:
    event = PlatformEvent(
        kind=EventKind.PUBLIC_POST,
        platform=Platform.X,
        channel=Channel.X_POST,
        account_id="bs-care",
        event_id="e1",
        timestamp_ms=1,
        customer=Customer(user_id="777", handle="jdoe"),
        message_id="m1",
        text="Is it true your branches close on Friday? Writing a piece for tomorrow.",
    )
    decision = rules.decide(
        TriageFacts.from_event(event), base=route_new_case(event, account_teams={}, default_team="care")
    )
    assert (decision.team, decision.rule, decision.reasons) == ("pr", "journalists", ("customer in list journalists",))


def test_first_match_wins_in_order(rules: RoutingRules) -> None:
    decision = rules.decide(facts(account_id="bs-press", customer_keys=frozenset({"meta:99887766"})), base=BASE)
    assert decision.rule == "press-account"
    decision = rules.decide(facts(customer_keys=frozenset({"meta:99887766"})), base=BASE)
    assert (decision.rule, decision.team, decision.priority) == ("vip", "care", Priority.HIGH)


def test_profile_signals_must_all_hold_and_unknown_never_matches(rules: RoutingRules) -> None:
    assert rules.decide(facts(verified=True, followers=25_000), base=BASE).rule == "big-voices"
    assert rules.decide(facts(verified=True, followers=500), base=BASE).rule == "default"
    assert rules.decide(facts(verified=True, followers=None), base=BASE).rule == "default"


def test_language_and_sentiment_together(rules: RoutingRules) -> None:
    angry = rules.decide(facts(language="es", sentiment=-0.8), base=BASE)
    assert (angry.team, angry.rule) == ("care-es", "angry-spanish")
    assert angry.reasons == ("language es", "sentiment -0.80 in [-1.00, -0.50]")
    assert rules.decide(facts(language="es", sentiment=None), base=BASE).rule == "default"
    assert rules.decide(facts(language="en", sentiment=-0.8), base=BASE).rule == "default"


def test_keywords_match_words_not_substrings_and_need_the_channel(rules: RoutingRules) -> None:
    assert rules.decide(facts(text="I want a REFUND now"), base=BASE).rule == "refunds"
    assert rules.decide(facts(text="quiero mi reembolso ya"), base=BASE).rule == "refunds"
    assert rules.decide(facts(text="can I get my money back?"), base=BASE).reasons == (
        "channel whatsapp",
        "keyword 'money back'",
    )
    assert rules.decide(facts(text="unrefundable? no"), base=BASE).rule == "default"
    assert rules.decide(facts(text="refund", channel=Channel.MESSENGER), base=BASE).rule == "default"


def test_no_rule_leaves_the_existing_route_and_the_default_tags(rules: RoutingRules) -> None:
    decision = rules.decide(facts(), base=Route(team="care-uk", priority=Priority.HIGH))
    assert (decision.team, decision.priority, decision.tags, decision.rule) == (
        "care-uk",
        Priority.HIGH,
        ("triaged",),
        "default",
    )
    assert decision.automated_messages_allowed is True


def test_a_sensitive_message_overrides_every_rule(rules: RoutingRules) -> None:
    sensitive = detect_sensitive("my dad passed away, please close his account")
    decision = rules.decide(facts(account_id="bs-press"), base=BASE, sensitive=sensitive)
    assert (decision.team, decision.priority, decision.rule) == ("trained-care", Priority.URGENT, "sensitive")
    assert decision.automated_messages_allowed is False
    assert decision.tags == ("sensitive", "sensitive:bereavement")
    assert decision.reasons == ("phrase bereavement.en.passed_away",)
    assert decision.overridden_rule == "press-account"


def test_a_message_that_is_not_sensitive_is_routed_by_the_rules(rules: RoutingRules) -> None:
    decision = rules.decide(facts(account_id="bs-press"), base=BASE, sensitive=detect_sensitive("killer deal!"))
    assert decision.rule == "press-account"


def test_lists_of_a_customer(rules: RoutingRules) -> None:
    assert rules.lists_of({"x:666", "x:@someone"}) == {"blocked"}
    assert rules.lists_of({"x:@jdoe"}) == {"journalists"}


def test_the_configuration_round_trips(rules: RoutingRules) -> None:
    assert RoutingRules.from_config(rules.to_config()) == rules


def test_a_minimal_configuration_is_the_existing_routing() -> None:
    rules = RoutingRules.from_config({"version": 1})
    decision = rules.decide(facts(), base=BASE)
    assert (decision.team, decision.priority, decision.rule, decision.tags) == ("care", Priority.NORMAL, "default", ())


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        (("version",), 0, "version"),
        (("version",), True, "version"),
        (("lists", "journalists", 0), "twitter:@x", "lists.journalists[0]"),
        (("lists", "journalists"), "x:@a", "lists.journalists"),
        (("sensitive_team",), "Trained Care", "sensitive_team"),
        (("rules", 0, "name"), "Press!", "rules[0].name"),
        (("rules", 0, "then", "priority"), "asap", "rules[0].then.priority"),
        (("rules", 0, "then", "tags", 0), "", "rules[0].then.tags[0]"),
        (("rules", 1, "when", "customer_in", 0), "press", "rules[1].when.customer_in[0]"),
        (("rules", 3, "when", "followers_at_least"), -1, "rules[3].when.followers_at_least"),
        (("rules", 3, "when", "verified"), "yes", "rules[3].when.verified"),
        (("rules", 4, "when", "sentiment_at_most"), -2, "rules[4].when.sentiment_at_most"),
        (("rules", 4, "when", "languages", 0), "spanish", "rules[4].when.languages[0]"),
        (("rules", 5, "when", "keywords", 1), ".. back", "rules[5].when.keywords[1]"),
        (("rules", 5, "when", "channels", 0), "fax", "rules[5].when.channels[0]"),
        (("rules", 5, "when", "colour"), "red", "rules[5].when.colour"),
        (("rules", 5, "then"), {}, "rules[5].then"),
        (("rules", 1, "name"), "press-account", "rules[1].name"),
        (("rules", 0, "when"), {}, "rules[0].when"),
    ],
)
def test_a_refused_configuration_names_the_field_at_fault(path: tuple[Any, ...], value: Any, field: str) -> None:
    config = copy.deepcopy(CONFIG)
    target: Any = config
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    with pytest.raises(InvalidRoutingRules) as refused:
        RoutingRules.from_config(config)
    assert refused.value.field == field


# --- property: any configuration either loads or is refused naming a field it has -------------------
@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_any_single_change_either_loads_or_names_the_field_at_fault(data: st.DataObject) -> None:
    config, changed = mutated(data)
    refused: InvalidRoutingRules | None = None
    try:
        loaded = RoutingRules.from_config(config)
    except InvalidRoutingRules as error:
        refused = error
    if refused is None:
        assert RoutingRules.from_config(loaded.to_config()) == loaded
        return
    assert names_the_change(refused.field, changed), (refused.field, changed)
