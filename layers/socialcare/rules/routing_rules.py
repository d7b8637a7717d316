"""A brand's routing rules: which team, priority and tags a new case gets, and why.

Configuration (what an admin PUTs, and the local config file holds)::

    {
      "version": 3,                                    # a positive integer; the store bumps it on change
      "lists": {                                       # the brand's customer lists
        "journalists": ["x:@jdoe", "x:1234567"],       #   <platform>:<user id> or <platform>:@<handle>
        "vip": ["meta:99887766"], "blocked": []
      },
      "sensitive_team": "trained-care",                # optional (this default): where sensitive cases go
      "default": {"tags": []},                         # optional outcome when no rule matches (below)
      "rules": [
        {"name": "press-account", "when": {"accounts": ["bs-press"]},
         "then": {"team": "pr", "priority": "high", "tags": ["press"], "automated_messages_allowed": false}},
        {"name": "journalists", "when": {"customer_in": ["journalists"]}, "then": {"team": "pr"}},
        {"name": "big-voices", "when": {"verified": true, "followers_at_least": 10000},
         "then": {"priority": "high", "tags": ["influencer"]}},
        {"name": "angry-spanish", "when": {"languages": ["es"], "sentiment_at_most": -0.5},
         "then": {"team": "care-es", "priority": "high"}},
        {"name": "refunds", "when": {"keywords": ["refund*", "money back", "reembolso*"]}, "then": {"tags": ["refund"]}}
      ]
    }

Conditions (``when``): ``accounts`` (brand account ids), ``channels``, ``public`` (a public post or
comment), ``languages`` (ISO 639-1), ``keywords`` (phrase patterns, ``socialcare.rules.phrases``),
``customer_in`` (list names), ``verified``, ``followers_at_least``, ``sentiment_at_most``,
``sentiment_at_least`` (-1 to 1). A rule applies when **every** condition it names holds; a list-valued
condition holds when **any** of its values does. A profile signal or score the platform or classifier
did not give (None) never satisfies a condition on it. An empty ``when`` applies to every case (a
catch-all, which must then be the last rule).

**First match**: rules are tried in their order and the first that applies decides, so an admin
reads the list top-down like a switchboard. Its ``then`` sets any of ``team``, ``priority``, ``tags``,
``automated_messages_allowed``; what it leaves out comes from ``default``, and what ``default`` leaves
out from ``socialcare.rules.routing`` (the account's team, high priority for public posts). No
rule applying: the default decides (``rule`` = "default").

**Sensitive messages override every rule**: the case goes to ``sensitive_team`` at urgent priority,
tagged ``sensitive`` and ``sensitive:<category>``, with automated messages forbidden; the decision
names the phrase ids that matched and the rule that would otherwise have applied.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field

from socialcare.errors import InvalidRoutingRules
from socialcare.model.case import Priority
from socialcare.model.events import Channel, EventKind, PlatformEvent
from socialcare.rules import routing_values as values
from socialcare.rules.phrases import Pattern
from socialcare.rules.routing import Route
from socialcare.rules.sensitive import SensitiveResult
from socialcare.rules.text import words

MAX_RULES = 200
MAX_LIST_ENTRIES = 10_000
DEFAULT_SENSITIVE_TEAM = "trained-care"
_TOP_KEYS = frozenset({"version", "lists", "sensitive_team", "default", "rules"})
_RULE_KEYS = frozenset({"name", "when", "then"})
_OUTCOME_KEYS = frozenset({"team", "priority", "tags", "automated_messages_allowed"})


# --- what a decision is made from ---------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class TriageFacts:
    """What routing knows of a new case's first message; None: not known (never matches)."""

    account_id: str
    channel: Channel
    public: bool = False
    text: str = ""
    customer_keys: frozenset[str] = frozenset()  # "<platform>:<id>" and "<platform>:@<handle>"
    language: str | None = None
    sentiment: float | None = None
    verified: bool | None = None
    followers: int | None = None

    @classmethod
    def from_event(
        cls,
        event: PlatformEvent,
        *,
        language: str | None = None,
        sentiment: float | None = None,
        verified: bool | None = None,
        followers: int | None = None,
    ) -> TriageFacts:
        return cls(
            account_id=event.account_id,
            channel=event.channel,
            public=event.kind is EventKind.PUBLIC_POST,
            text=event.text or "",
            customer_keys=customer_keys(event),
            language=language,
            sentiment=sentiment,
            verified=verified,
            followers=followers,
        )


def customer_keys(event: PlatformEvent) -> frozenset[str]:
    """How a customer list may name this event's customer: by any of their ids, or by handle."""
    customer = event.customer
    if customer is None:
        return frozenset()
    keys = {f"{event.platform}:{user_id}" for user_id in customer.all_ids}
    if customer.handle:
        keys.add(f"{event.platform}:@{customer.handle.lstrip('@').casefold()}")
    return frozenset(keys)


# --- the configuration --------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Conditions:
    accounts: frozenset[str] | None = None
    channels: frozenset[Channel] | None = None
    public: bool | None = None
    languages: frozenset[str] | None = None
    keywords: tuple[Pattern, ...] | None = None
    customer_in: tuple[str, ...] | None = None
    verified: bool | None = None
    followers_at_least: int | None = None
    sentiment_at_most: float | None = None
    sentiment_at_least: float | None = None

    @property
    def is_empty(self) -> bool:
        return self == Conditions()

    def reasons(self, facts: TriageFacts, lists: Mapping[str, frozenset[str]]) -> tuple[str, ...] | None:
        """Why the conditions hold for ``facts`` (one reason each), or None when one does not."""
        reasons: list[str] = []
        for check in _CHECKS:
            reason = check(self, facts, lists)
            if reason is False:
                return None
            if isinstance(reason, str):
                reasons.append(reason)
        return tuple(reasons)

    def to_config(self) -> dict[str, object]:
        config: dict[str, object] = {}
        for name in _CONDITION_KEYS:
            value = getattr(self, name)
            if value is None:
                continue
            if name == "keywords":
                value = [pattern.source for pattern in value]
            elif isinstance(value, frozenset | tuple):
                value = sorted(str(v) for v in value) if isinstance(value, frozenset) else list(value)
            config[name] = value
        return config


@dataclass(frozen=True, slots=True)
class Outcome:
    team: str | None = None
    priority: Priority | None = None
    tags: tuple[str, ...] | None = None
    automated_messages_allowed: bool | None = None

    def to_config(self) -> dict[str, object]:
        config: dict[str, object] = {}
        if self.team is not None:
            config["team"] = self.team
        if self.priority is not None:
            config["priority"] = str(self.priority)
        if self.tags is not None:
            config["tags"] = list(self.tags)
        if self.automated_messages_allowed is not None:
            config["automated_messages_allowed"] = self.automated_messages_allowed
        return config


@dataclass(frozen=True, slots=True)
class RoutingRule:
    name: str
    when: Conditions
    then: Outcome


@dataclass(frozen=True, slots=True)
class RouteDecision:
    team: str
    priority: Priority
    tags: tuple[str, ...]
    automated_messages_allowed: bool
    rule: str  # the rule's name, "default", or "sensitive"
    reasons: tuple[str, ...]  # why that rule applied; never the message's text
    version: int  # of the rules that decided
    overridden_rule: str | None = None  # sensitive: the rule that would have applied otherwise

    def to_record(self) -> dict[str, object]:
        """For the case and its audit trail."""
        return {
            "team": self.team,
            "priority": str(self.priority),
            "tags": list(self.tags),
            "automated_messages_allowed": self.automated_messages_allowed,
            "rule": self.rule,
            "reasons": list(self.reasons),
            "rules_version": self.version,
            "overridden_rule": self.overridden_rule,
        }


@dataclass(frozen=True, slots=True)
class RoutingRules:
    version: int
    rules: tuple[RoutingRule, ...] = ()
    lists: Mapping[str, frozenset[str]] = field(default_factory=dict)
    default: Outcome = Outcome()
    sensitive_team: str = DEFAULT_SENSITIVE_TEAM

    @classmethod
    def from_config(cls, config: object) -> RoutingRules:
        """The rules ``config`` gives, validated; ``InvalidRoutingRules`` names the field at fault."""
        return _parse_rules(config)

    def to_config(self) -> dict[str, object]:
        return {
            "version": self.version,
            "lists": {name: sorted(entries) for name, entries in self.lists.items()},
            "sensitive_team": self.sensitive_team,
            "default": self.default.to_config(),
            "rules": [{"name": r.name, "when": r.when.to_config(), "then": r.then.to_config()} for r in self.rules],
        }

    def lists_of(self, keys: Collection[str]) -> frozenset[str]:
        """The names of the customer lists naming any of ``keys`` ("blocked", "vip"...)."""
        wanted = {key.casefold() for key in keys}
        return frozenset(name for name, entries in self.lists.items() if wanted & entries)

    def decide(self, facts: TriageFacts, *, base: Route, sensitive: SensitiveResult | None = None) -> RouteDecision:
        """Route a new case: ``base`` is ``routing.route_new_case``'s answer, what the default builds on."""
        matched = self._first_match(facts)
        if sensitive is not None and sensitive.is_sensitive:
            categories = sorted(sensitive.categories)
            return RouteDecision(
                team=self.sensitive_team,
                priority=Priority.URGENT,
                tags=("sensitive", *(f"sensitive:{category}" for category in categories)),
                automated_messages_allowed=False,
                rule="sensitive",
                reasons=tuple(f"phrase {phrase_id}" for phrase_id in sensitive.phrase_ids),
                version=self.version,
                overridden_rule=matched[0].name if matched else "default",
            )
        outcome = matched[0].then if matched else Outcome()
        return RouteDecision(
            team=outcome.team or self.default.team or base.team,
            priority=outcome.priority or self.default.priority or base.priority,
            tags=_merged_tags(self.default.tags or (), outcome.tags or ()),
            automated_messages_allowed=_first_set(
                outcome.automated_messages_allowed, self.default.automated_messages_allowed, default=True
            ),
            rule=matched[0].name if matched else "default",
            reasons=matched[1] if matched else ("no rule applied",),
            version=self.version,
        )

    def _first_match(self, facts: TriageFacts) -> tuple[RoutingRule, tuple[str, ...]] | None:
        for rule in self.rules:
            reasons = rule.when.reasons(facts, self.lists)
            if reasons is not None:
                return rule, reasons or ("applies to every case",)
        return None


def deployed_rules(document: Mapping[str, object] | None, setting: str) -> RoutingRules | None:
    """The rules a function's deployment setting gives (None or empty: none), checked when the function
    is built: a refused document stops it with ``RuntimeError`` naming the setting and the field."""
    if not document:
        return None
    try:
        return RoutingRules.from_config(document)
    except InvalidRoutingRules as exc:
        raise RuntimeError(f"{setting} is invalid at {exc.field}: {exc.reason}") from exc


def _merged_tags(first: Sequence[str], second: Sequence[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys((*first, *second)))


def _first_set(*values: bool | None, default: bool) -> bool:
    return next((value for value in values if value is not None), default)


# --- the condition checks: each returns a reason, False (does not hold) or None (not asked) --------
def _accounts(c: Conditions, f: TriageFacts, _: Mapping[str, frozenset[str]]) -> str | bool | None:
    if c.accounts is None:
        return None
    return f.account_id in c.accounts and f"brand account {f.account_id}"


def _channels(c: Conditions, f: TriageFacts, _: Mapping[str, frozenset[str]]) -> str | bool | None:
    if c.channels is None:
        return None
    return f.channel in c.channels and f"channel {f.channel}"


def _public(c: Conditions, f: TriageFacts, _: Mapping[str, frozenset[str]]) -> str | bool | None:
    if c.public is None:
        return None
    return f.public == c.public and ("public post" if f.public else "private message")


def _languages(c: Conditions, f: TriageFacts, _: Mapping[str, frozenset[str]]) -> str | bool | None:
    if c.languages is None:
        return None
    return f.language is not None and f.language in c.languages and f"language {f.language}"


def _keywords(c: Conditions, f: TriageFacts, _: Mapping[str, frozenset[str]]) -> str | bool | None:
    if c.keywords is None:
        return None
    text_words = words(f.text)
    found = next((p for p in c.keywords if next(p.find(text_words), None) is not None), None)
    return found is not None and f"keyword {found.source!r}"


def _customer_in(c: Conditions, f: TriageFacts, lists: Mapping[str, frozenset[str]]) -> str | bool | None:
    if c.customer_in is None:
        return None
    keys = {key.casefold() for key in f.customer_keys}
    found = next((name for name in c.customer_in if keys & lists.get(name, frozenset())), None)
    return found is not None and f"customer in list {found}"


def _verified(c: Conditions, f: TriageFacts, _: Mapping[str, frozenset[str]]) -> str | bool | None:
    if c.verified is None:
        return None
    return f.verified is not None and f.verified == c.verified and ("verified" if f.verified else "not verified")


def _followers(c: Conditions, f: TriageFacts, _: Mapping[str, frozenset[str]]) -> str | bool | None:
    if c.followers_at_least is None:
        return None
    return (
        f.followers is not None
        and f.followers >= c.followers_at_least
        and f"followers {f.followers} >= {c.followers_at_least}"
    )


def _sentiment(c: Conditions, f: TriageFacts, _: Mapping[str, frozenset[str]]) -> str | bool | None:
    if c.sentiment_at_most is None and c.sentiment_at_least is None:
        return None
    if f.sentiment is None:
        return False
    at_most = c.sentiment_at_most if c.sentiment_at_most is not None else 1.0
    at_least = c.sentiment_at_least if c.sentiment_at_least is not None else -1.0
    return at_least <= f.sentiment <= at_most and f"sentiment {f.sentiment:+.2f} in [{at_least:+.2f}, {at_most:+.2f}]"


_CHECKS = (_accounts, _channels, _public, _languages, _customer_in, _verified, _followers, _sentiment, _keywords)
_CONDITION_KEYS = (
    "accounts",
    "channels",
    "public",
    "languages",
    "keywords",
    "customer_in",
    "verified",
    "followers_at_least",
    "sentiment_at_most",
    "sentiment_at_least",
)


# --- validation -------------------------------------------------------------------------------------
def _parse_rules(config: object) -> RoutingRules:
    raw = values.obj(config, "routing rules", _TOP_KEYS)
    version = raw.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise InvalidRoutingRules("version", "must be a positive integer")
    lists = _parse_lists(raw.get("lists", {}))
    rules_raw = raw.get("rules", [])
    if not isinstance(rules_raw, list) or len(rules_raw) > MAX_RULES:
        raise InvalidRoutingRules("rules", f"must be a list of at most {MAX_RULES} rules")
    rules = tuple(_parse_rule(item, f"rules[{i}]", lists) for i, item in enumerate(rules_raw))
    _check_order(rules)
    return RoutingRules(
        version=version,
        rules=rules,
        lists=lists,
        default=_parse_outcome(raw.get("default", {}), "default", require_one=False),
        sensitive_team=values.name(raw.get("sensitive_team", DEFAULT_SENSITIVE_TEAM), "sensitive_team"),
    )


def _check_order(rules: tuple[RoutingRule, ...]) -> None:
    names: set[str] = set()
    for index, rule in enumerate(rules):
        if rule.name in names:
            raise InvalidRoutingRules(f"rules[{index}].name", f"{rule.name!r} is used twice")
        names.add(rule.name)
        if rule.when.is_empty and index < len(rules) - 1:
            raise InvalidRoutingRules(
                f"rules[{index}].when", "an empty 'when' applies to every case: the rules after it would never apply"
            )


def _parse_lists(raw: object) -> dict[str, frozenset[str]]:
    if not isinstance(raw, Mapping):
        raise InvalidRoutingRules("lists", "must be an object of list name to customers")
    lists: dict[str, frozenset[str]] = {}
    for name, entries in raw.items():
        where = f"lists.{name}"
        values.name(name, where)
        if not isinstance(entries, list) or len(entries) > MAX_LIST_ENTRIES:
            raise InvalidRoutingRules(where, f"must be a list of at most {MAX_LIST_ENTRIES} customers")
        lists[name] = frozenset(values.customer(entry, f"{where}[{i}]") for i, entry in enumerate(entries))
    return lists


def _parse_rule(raw: object, where: str, lists: Mapping[str, frozenset[str]]) -> RoutingRule:
    rule = values.obj(raw, where, _RULE_KEYS)
    if "when" not in rule:
        raise InvalidRoutingRules(f"{where}.when", "a rule needs its conditions ({} for every case)")
    return RoutingRule(
        name=values.name(rule.get("name"), f"{where}.name"),
        when=_parse_conditions(rule["when"], f"{where}.when", lists),
        then=_parse_outcome(rule.get("then"), f"{where}.then", require_one=True),
    )


def _parse_conditions(raw: object, where: str, lists: Mapping[str, frozenset[str]]) -> Conditions:
    when = values.obj(raw, where, frozenset(_CONDITION_KEYS))
    customer_in = values.opt_list(when, "customer_in", where, values.name)
    for index, name in enumerate(customer_in or ()):
        if name not in lists:
            raise InvalidRoutingRules(f"{where}.customer_in[{index}]", f"no customer list named {name!r}")
    at_most = values.opt_score(when, "sentiment_at_most", where)
    at_least = values.opt_score(when, "sentiment_at_least", where)
    if at_most is not None and at_least is not None and at_least > at_most:
        raise InvalidRoutingRules(f"{where}.sentiment_at_least", "is above sentiment_at_most: no case would match")
    followers = when.get("followers_at_least")
    if followers is not None and (isinstance(followers, bool) or not isinstance(followers, int) or followers < 0):
        raise InvalidRoutingRules(f"{where}.followers_at_least", "must be a whole number, 0 or more")
    accounts = values.opt_list(when, "accounts", where, values.text)
    channels = values.opt_list(when, "channels", where, values.channel)
    languages = values.opt_list(when, "languages", where, values.language)
    return Conditions(
        accounts=None if accounts is None else frozenset(accounts),
        channels=None if channels is None else frozenset(channels),
        public=values.opt_bool(when, "public", where),
        languages=None if languages is None else frozenset(languages),
        keywords=values.opt_list(when, "keywords", where, values.keyword),
        customer_in=customer_in,
        verified=values.opt_bool(when, "verified", where),
        followers_at_least=followers,
        sentiment_at_most=at_most,
        sentiment_at_least=at_least,
    )


def _parse_outcome(raw: object, where: str, *, require_one: bool) -> Outcome:
    then = values.obj(raw, where, _OUTCOME_KEYS)
    if require_one and all(value is None for value in then.values()):
        raise InvalidRoutingRules(where, f"give at least one of {', '.join(sorted(_OUTCOME_KEYS))}")
    team = then.get("team")
    priority = then.get("priority")
    if priority is not None and (not isinstance(priority, str) or priority not in {p.value for p in Priority}):
        raise InvalidRoutingRules(f"{where}.priority", f"must be one of {', '.join(p.value for p in Priority)}")
    return Outcome(
        team=None if team is None else values.name(team, f"{where}.team"),
        priority=None if priority is None else Priority(priority),
        tags=values.opt_list(then, "tags", where, values.tag),
        automated_messages_allowed=values.opt_bool(then, "automated_messages_allowed", where),
    )
