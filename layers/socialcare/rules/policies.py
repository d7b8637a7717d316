"""SLA policies: what a brand promises, for which cases, on which calendar.

A policy set is versioned as a whole: an admin replaces it (through the agent API, or the local config
file in the local stack) and every due time computed afterwards uses the new version, stamped with it.

Configuration::

    {
      "version": 4,                                  # a positive integer; the store bumps it on change
      "policies": [
        {
          "name": "default",                         # unique, [a-z0-9][a-z0-9_-]{0,63}
          "calendar": "berlin-care",                 # a business calendar, by name
          "match": {},                               # the default policy: exactly one has an empty match
          "targets_minutes": {                       # business minutes on that calendar; omit a clock
            "first_response": 60,                    #   to give it no target
            "next_response": 120,
            "periodic_update": 1440,
            "resolution": 2880
          },
          "warn_before": 0.25,                       # warn when this share of the target is left
          "second_tier_after": 0.5,                  # second tier this share of the target after breach;
                                                     #   null: no second tier
          "pauses": {"resolution": ["pending_customer"]},  # statuses that stop a clock (see below)
          "follow_up_minutes": {                     # a case waiting for the customer (pending_customer):
            "nudge": 480,                            #   remind them after this (null: never)
            "auto_resolve": 2400                     #   resolve it after this (null: never); > nudge
          }
        },
        {"name": "whatsapp-urgent", "calendar": "always",
         "match": {"channel": "whatsapp", "priority": "urgent"}, "targets_minutes": {"first_response": 15}}
      ]
    }

Matching: a policy applies to a case when every field of its ``match`` (``account``, ``channel``,
``priority``, ``team``) equals the case's. Of the policies that apply, the most specific wins: the
one naming the most fields; between equally many, the one naming the higher-ranked field, ranked
account > team > priority > channel (a brand account's own promise beats a team's, a team's beats a
priority's, a priority's beats a channel's). No two policies may name the same fields with the same
values, so the winner is always unique, and the default policy makes sure there is one.

Clocks and pauses: ``first_response`` and ``next_response`` run while a customer message waits for an
answer (first: no answer yet on the case); ``periodic_update`` runs while the case is
``pending_internal`` (waiting on a department), from the later of that status or the last update to
the customer; ``resolution`` runs from the case's opening while it is active. ``pauses`` lists, per
clock, the active statuses during which that clock stops counting (``pending_customer`` and
``pending_internal`` may be listed for ``first_response``, ``next_response`` and ``resolution``;
``periodic_update`` runs only in ``pending_internal`` and takes none). Omitted, ``resolution`` pauses
while ``pending_customer`` (the customer's silence is not the brand's delay) and nothing else pauses.
Resolved and closed cases run no clocks at all.

Follow-up: when an agent sets a case to ``pending_customer`` (the brand answered and waits for the
customer), the customer is nudged in their channel after ``nudge`` and the case is resolved after
``auto_resolve``, both counted from the moment it became pending, in business minutes on the policy's
calendar like every target here — so a nudge lands while the team is there to read the answer, and on
a 24/7 calendar they are plain minutes. Omitted: 480 and 2400 (one and five 8-hour business days); a
step set to null is off, and ``auto_resolve`` must come after ``nudge``. A customer message ends the
cycle (the case is open again).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TypeVar

from socialcare.errors import InvalidPolicy
from socialcare.model.case import CaseStatus, Priority
from socialcare.model.events import Channel

_E = TypeVar("_E", bound=StrEnum)

MINUTE_MS = 60_000
MAX_TARGET_MINUTES = 366 * 24 * 60
MAX_POLICIES = 500
DEFAULT_WARN_BEFORE = 0.25
DEFAULT_SECOND_TIER_AFTER = 0.5
DEFAULT_NUDGE_AFTER_MINUTES = 480
DEFAULT_AUTO_RESOLVE_AFTER_MINUTES = 2400

_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_MATCH_RANK = ("channel", "priority", "team", "account")  # lowest first: the bit each adds to a tie-break
_POLICY_KEYS = frozenset(
    {"name", "calendar", "match", "targets_minutes", "warn_before", "second_tier_after", "pauses", "follow_up_minutes"}
)
_FOLLOW_UP_KEYS = ("nudge", "auto_resolve")


class SlaClock(StrEnum):
    FIRST_RESPONSE = "first_response"
    NEXT_RESPONSE = "next_response"
    PERIODIC_UPDATE = "periodic_update"
    RESOLUTION = "resolution"


PAUSABLE_STATUSES: Mapping[SlaClock, frozenset[CaseStatus]] = {
    SlaClock.FIRST_RESPONSE: frozenset({CaseStatus.PENDING_CUSTOMER, CaseStatus.PENDING_INTERNAL}),
    SlaClock.NEXT_RESPONSE: frozenset({CaseStatus.PENDING_CUSTOMER, CaseStatus.PENDING_INTERNAL}),
    SlaClock.PERIODIC_UPDATE: frozenset(),
    SlaClock.RESOLUTION: frozenset({CaseStatus.PENDING_CUSTOMER, CaseStatus.PENDING_INTERNAL}),
}
DEFAULT_PAUSES: Mapping[SlaClock, frozenset[CaseStatus]] = {
    SlaClock.RESOLUTION: frozenset({CaseStatus.PENDING_CUSTOMER})
}


@dataclass(frozen=True, slots=True)
class PolicyMatch:
    """Which cases a policy is for; a field left ``None`` matches every case."""

    account: str | None = None
    channel: Channel | None = None
    priority: Priority | None = None
    team: str | None = None

    def applies(self, *, account: str, channel: Channel, priority: Priority, team: str) -> bool:
        return (
            self.account in (None, account)
            and self.channel in (None, channel)
            and self.priority in (None, priority)
            and self.team in (None, team)
        )

    @property
    def specificity(self) -> tuple[int, int]:
        """(fields named, rank bits): larger is more specific; unique per set of named fields."""
        named = [getattr(self, name) is not None for name in _MATCH_RANK]
        return sum(named), sum(1 << bit for bit, is_named in enumerate(named) if is_named)

    def to_config(self) -> dict[str, str]:
        fields = {"account": self.account, "channel": self.channel, "priority": self.priority, "team": self.team}
        return {key: str(value) for key, value in fields.items() if value is not None}


@dataclass(frozen=True, slots=True)
class FollowUpPolicy:
    """How long a case waits for the customer before the nudge and before it is resolved, in business
    milliseconds from the moment it became ``pending_customer``; ``None``: that step is off."""

    nudge_after_ms: int | None = DEFAULT_NUDGE_AFTER_MINUTES * MINUTE_MS
    auto_resolve_after_ms: int | None = DEFAULT_AUTO_RESOLVE_AFTER_MINUTES * MINUTE_MS

    def __post_init__(self) -> None:
        for key, after in zip(_FOLLOW_UP_KEYS, (self.nudge_after_ms, self.auto_resolve_after_ms), strict=True):
            if after is not None and (isinstance(after, bool) or not isinstance(after, int) or after <= 0):
                raise InvalidPolicy(f"follow_up.{key}", "must be a positive duration, or null for never")
        nudge, resolve = self.nudge_after_ms, self.auto_resolve_after_ms
        if nudge is not None and resolve is not None and resolve <= nudge:
            raise InvalidPolicy("follow_up.auto_resolve", "must come after the nudge")

    @property
    def is_off(self) -> bool:
        return self.nudge_after_ms is None and self.auto_resolve_after_ms is None

    def to_config(self) -> dict[str, int | None]:
        afters = (self.nudge_after_ms, self.auto_resolve_after_ms)
        return {key: None if ms is None else ms // MINUTE_MS for key, ms in zip(_FOLLOW_UP_KEYS, afters, strict=True)}


@dataclass(frozen=True, slots=True)
class SlaPolicy:
    name: str
    calendar: str
    match: PolicyMatch = PolicyMatch()
    targets_ms: Mapping[SlaClock, int] = field(default_factory=dict)  # business milliseconds
    pauses: Mapping[SlaClock, frozenset[CaseStatus]] = field(default_factory=lambda: dict(DEFAULT_PAUSES))
    warn_before: float = DEFAULT_WARN_BEFORE
    second_tier_after: float | None = DEFAULT_SECOND_TIER_AFTER
    follow_up: FollowUpPolicy = FollowUpPolicy()

    def pauses_clock(self, clock: SlaClock, status: CaseStatus) -> bool:
        return status in self.pauses.get(clock, frozenset())

    def to_config(self) -> dict[str, object]:
        return {
            "name": self.name,
            "calendar": self.calendar,
            "match": self.match.to_config(),
            "targets_minutes": {str(clock): ms // MINUTE_MS for clock, ms in self.targets_ms.items()},
            "warn_before": self.warn_before,
            "second_tier_after": self.second_tier_after,
            "pauses": {str(clock): sorted(str(s) for s in statuses) for clock, statuses in self.pauses.items()},
            "follow_up_minutes": self.follow_up.to_config(),
        }


@dataclass(frozen=True, slots=True)
class PolicySet:
    version: int
    policies: tuple[SlaPolicy, ...]

    def __post_init__(self) -> None:
        _check_set(self)

    @classmethod
    def from_config(cls, config: Mapping[str, object]) -> PolicySet:
        if not isinstance(config, Mapping) or set(config) - {"version", "policies"}:
            raise InvalidPolicy("policy set", "must be an object with version and policies")
        version = config.get("version")
        raw = config.get("policies")
        if not isinstance(raw, list):
            raise InvalidPolicy("policies", "must be a list of policies")
        if not isinstance(version, int) or isinstance(version, bool):
            raise InvalidPolicy("version", "must be a positive integer")
        return cls(version=version, policies=tuple(_parse_policy(item, f"policies[{i}]") for i, item in enumerate(raw)))

    def to_config(self) -> dict[str, object]:
        return {"version": self.version, "policies": [policy.to_config() for policy in self.policies]}

    def policy_for(self, *, account: str, channel: Channel, priority: Priority, team: str) -> SlaPolicy:
        """The most specific policy that applies (the default one applies to every case)."""
        applying = (
            p for p in self.policies if p.match.applies(account=account, channel=channel, priority=priority, team=team)
        )
        return max(applying, key=lambda policy: policy.match.specificity)

    @property
    def calendar_names(self) -> frozenset[str]:
        return frozenset(policy.calendar for policy in self.policies)

    def require_calendars(self, available: Collection[str]) -> None:
        """Refuse a set that names a calendar the brand has not defined."""
        for index, policy in enumerate(self.policies):
            if policy.calendar not in available:
                raise InvalidPolicy(f"policies[{index}].calendar", f"no calendar named {policy.calendar!r}")


# --- validation -------------------------------------------------------------------------------
def _check_set(policy_set: PolicySet) -> None:
    if isinstance(policy_set.version, bool) or not isinstance(policy_set.version, int) or policy_set.version < 1:
        raise InvalidPolicy("version", "must be a positive integer")
    if not policy_set.policies or len(policy_set.policies) > MAX_POLICIES:
        raise InvalidPolicy("policies", f"give 1 to {MAX_POLICIES} policies")
    names: set[str] = set()
    matches: dict[PolicyMatch, str] = {}
    for index, policy in enumerate(policy_set.policies):
        where = f"policies[{index}]"
        _check_policy(policy, where)
        if policy.name in names:
            raise InvalidPolicy(f"{where}.name", f"{policy.name!r} is used twice")
        names.add(policy.name)
        if policy.match in matches:
            raise InvalidPolicy(
                f"{where}.match", f"same match as policy {matches[policy.match]!r}; one would never apply"
            )
        matches[policy.match] = policy.name
    if PolicyMatch() not in matches:
        raise InvalidPolicy("policies", "one policy must have an empty match: the default for every other case")


def _check_policy(policy: SlaPolicy, where: str) -> None:
    if not _NAME.match(policy.name):
        raise InvalidPolicy(f"{where}.name", f"must match {_NAME.pattern}")
    if not _NAME.match(policy.calendar):
        raise InvalidPolicy(f"{where}.calendar", f"must name a calendar ({_NAME.pattern})")
    if not policy.targets_ms:
        raise InvalidPolicy(f"{where}.targets_minutes", "give at least one target")
    for clock, target in policy.targets_ms.items():
        if not MINUTE_MS <= target <= MAX_TARGET_MINUTES * MINUTE_MS:
            raise InvalidPolicy(f"{where}.targets_minutes.{clock}", f"must be 1 to {MAX_TARGET_MINUTES} minutes")
    if not 0 < policy.warn_before < 1:
        raise InvalidPolicy(f"{where}.warn_before", "must be a share of the target between 0 and 1")
    if policy.second_tier_after is not None and not 0 < policy.second_tier_after <= 10:
        raise InvalidPolicy(f"{where}.second_tier_after", "must be a share of the target above 0 (at most 10), or null")
    for clock, statuses in policy.pauses.items():
        refused = statuses - PAUSABLE_STATUSES[clock]
        if refused:
            allowed = ", ".join(sorted(PAUSABLE_STATUSES[clock])) or "none"
            raise InvalidPolicy(f"{where}.pauses.{clock}", f"{sorted(refused)} cannot pause it; allowed: {allowed}")


def _parse_policy(raw: object, where: str) -> SlaPolicy:
    if not isinstance(raw, Mapping):
        raise InvalidPolicy(where, "must be an object")
    unknown = set(raw) - _POLICY_KEYS
    if unknown:
        raise InvalidPolicy(
            f"{where}.{sorted(unknown)[0]}", f"unknown field; allowed: {', '.join(sorted(_POLICY_KEYS))}"
        )
    name, calendar = raw.get("name"), raw.get("calendar")
    if not isinstance(name, str):
        raise InvalidPolicy(f"{where}.name", "a policy name is required")
    if not isinstance(calendar, str):
        raise InvalidPolicy(f"{where}.calendar", "the name of a business calendar is required")
    return SlaPolicy(
        name=name,
        calendar=calendar,
        match=_parse_match(raw.get("match", {}), f"{where}.match"),
        targets_ms=_parse_targets(raw.get("targets_minutes"), f"{where}.targets_minutes"),
        pauses=_parse_pauses(raw.get("pauses"), f"{where}.pauses"),
        warn_before=_share(raw.get("warn_before", DEFAULT_WARN_BEFORE), f"{where}.warn_before"),
        second_tier_after=_optional_share(raw.get("second_tier_after", DEFAULT_SECOND_TIER_AFTER), where),
        follow_up=_parse_follow_up(raw.get("follow_up_minutes"), f"{where}.follow_up_minutes"),
    )


def _parse_match(raw: object, where: str) -> PolicyMatch:
    if not isinstance(raw, Mapping):
        raise InvalidPolicy(where, "must be an object of account, channel, priority and/or team")
    unknown = set(raw) - set(_MATCH_RANK)
    if unknown:
        raise InvalidPolicy(f"{where}.{sorted(unknown)[0]}", "unknown field; allowed: account, channel, priority, team")
    for key, value in raw.items():
        if not isinstance(value, str) or not value:
            raise InvalidPolicy(f"{where}.{key}", "must be a non-empty string")
    return PolicyMatch(
        account=raw.get("account"),
        channel=_enum(Channel, raw.get("channel"), f"{where}.channel"),
        priority=_enum(Priority, raw.get("priority"), f"{where}.priority"),
        team=raw.get("team"),
    )


def _parse_targets(raw: object, where: str) -> dict[SlaClock, int]:
    if not isinstance(raw, Mapping) or not raw:
        raise InvalidPolicy(where, "must be an object of clock to business minutes, with at least one target")
    targets: dict[SlaClock, int] = {}
    for key, minutes in raw.items():
        clock = _enum(SlaClock, key, f"{where}.{key}")
        if minutes is None:
            continue
        if isinstance(minutes, bool) or not isinstance(minutes, int):
            raise InvalidPolicy(f"{where}.{key}", "must be a whole number of minutes, or null for no target")
        if clock is not None:
            targets[clock] = minutes * MINUTE_MS
    return targets


def _parse_follow_up(raw: object, where: str) -> FollowUpPolicy:
    if raw is None:
        return FollowUpPolicy()
    if not isinstance(raw, Mapping):
        raise InvalidPolicy(where, "must be an object of nudge and/or auto_resolve minutes")
    unknown = set(raw) - set(_FOLLOW_UP_KEYS)
    if unknown:
        raise InvalidPolicy(f"{where}.{sorted(unknown)[0]}", "unknown field; allowed: nudge, auto_resolve")
    defaults = FollowUpPolicy().to_config()
    afters: list[int | None] = []
    for key in _FOLLOW_UP_KEYS:
        minutes = raw.get(key, defaults[key])
        if minutes is not None and (
            isinstance(minutes, bool) or not isinstance(minutes, int) or not 1 <= minutes <= MAX_TARGET_MINUTES
        ):
            raise InvalidPolicy(f"{where}.{key}", f"must be 1 to {MAX_TARGET_MINUTES} minutes, or null for never")
        afters.append(None if minutes is None else minutes * MINUTE_MS)
    if afters[0] is not None and afters[1] is not None and afters[1] <= afters[0]:
        raise InvalidPolicy(f"{where}.auto_resolve", "must be more minutes than the nudge")
    return FollowUpPolicy(nudge_after_ms=afters[0], auto_resolve_after_ms=afters[1])


def _parse_pauses(raw: object, where: str) -> dict[SlaClock, frozenset[CaseStatus]]:
    if raw is None:
        return dict(DEFAULT_PAUSES)
    if not isinstance(raw, Mapping):
        raise InvalidPolicy(where, "must be an object of clock to a list of statuses")
    pauses: dict[SlaClock, frozenset[CaseStatus]] = {}
    for key, statuses in raw.items():
        clock = _enum(SlaClock, key, f"{where}.{key}")
        if not isinstance(statuses, list):
            raise InvalidPolicy(f"{where}.{key}", "must be a list of statuses")
        parsed = {_enum(CaseStatus, status, f"{where}.{key}") for status in statuses}
        if clock is not None:
            pauses[clock] = frozenset(status for status in parsed if status is not None)
    return pauses


def _enum(kind: type[_E], raw: object, where: str) -> _E | None:
    if raw is None:
        return None
    for member in kind:
        if member.value == raw:
            return member
    allowed = ", ".join(member.value for member in kind)
    raise InvalidPolicy(where, f"{raw!r} is not one of {allowed}")


def _share(raw: object, where: str) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise InvalidPolicy(where, "must be a number")
    return float(raw)


def _optional_share(raw: object, where: str) -> float | None:
    return None if raw is None else _share(raw, f"{where}.second_tier_after")
