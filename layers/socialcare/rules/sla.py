"""Response targets and due times.

``ResponseTargets``: how long a customer may wait for a first human answer, per channel (public
channels are answered faster: the whole world is watching them). ``due_times``/``compute_due``: a
case's due times under the brand's SLA policies (``rules.policies``) counted in business time on the
policy's calendar (``rules.calendar``), with the tiers the case clock escalates at.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from socialcare.clock import Clock
from socialcare.errors import InvalidPolicy
from socialcare.model.case import CaseStatus, Priority
from socialcare.model.escalation import EscalationTier
from socialcare.model.events import Channel
from socialcare.rules.calendar import BusinessCalendar
from socialcare.rules.policies import FollowUpPolicy, PolicyMatch, PolicySet, SlaClock, SlaPolicy

_MINUTE_MS = 60_000

DEFAULT_RESPONSE_TARGET_MINUTES: Mapping[Channel, int] = {
    Channel.X_POST: 60,
    Channel.FACEBOOK_COMMENT: 60,
    Channel.INSTAGRAM_COMMENT: 60,
    Channel.MESSENGER: 240,
    Channel.INSTAGRAM_DM: 240,
    Channel.WHATSAPP: 240,
    Channel.X_DM: 240,
    Channel.TELEGRAM: 240,
}

NOT_DUE_MS = 9_999_999_999_999  # sorts after every real due time in the queue index


@dataclass(frozen=True, slots=True)
class ResponseTargets:
    """``minutes`` per channel (240 for a channel not named); ``seconds`` overrides a channel's target
    in seconds, and ``follow_up`` every policy's follow-up times (from ``follow_up_seconds``) — only the
    local stack's ``[sla]`` table sets those, so a demo or a test breaches, nudges and resolves quickly."""

    minutes: Mapping[Channel, int] = field(default_factory=lambda: dict(DEFAULT_RESPONSE_TARGET_MINUTES))
    seconds: Mapping[Channel, int] = field(default_factory=dict)
    follow_up: FollowUpPolicy | None = None

    def target_ms(self, channel: Channel) -> int:
        if channel in self.seconds:
            return self.seconds[channel] * 1000
        return self.minutes.get(channel, 240) * _MINUTE_MS

    def due_at(self, channel: Channel, waiting_since_ms: int) -> int:
        return waiting_since_ms + self.target_ms(channel)

    @classmethod
    def from_config(cls, config: Mapping[str, object]) -> ResponseTargets:
        """``{"minutes": {channel: n}, "seconds": {channel: n}, "follow_up_seconds": {"nudge": n,
        "auto_resolve": n}}``, all optional: minutes replace a default channel by channel, seconds
        override either; follow-up seconds replace every policy's follow-up (a step left out is off)."""
        if not isinstance(config, Mapping) or set(config) - {"minutes", "seconds", "follow_up_seconds"}:
            raise InvalidPolicy("response targets", "must be an object with minutes, seconds and/or follow_up_seconds")
        minutes = dict(DEFAULT_RESPONSE_TARGET_MINUTES)
        minutes.update(_per_channel(config.get("minutes"), "minutes"))
        return cls(
            minutes=minutes,
            seconds=_per_channel(config.get("seconds"), "seconds"),
            follow_up=_follow_up_seconds(config.get("follow_up_seconds")),
        )

    def to_config(self) -> dict[str, dict[str, int]]:
        config = {"minutes": {str(ch): n for ch, n in self.minutes.items()}}
        if self.seconds:
            config["seconds"] = {str(ch): n for ch, n in self.seconds.items()}
        if self.follow_up is not None:
            afters = {"nudge": self.follow_up.nudge_after_ms, "auto_resolve": self.follow_up.auto_resolve_after_ms}
            config["follow_up_seconds"] = {key: ms // 1000 for key, ms in afters.items() if ms is not None}
        return config


def _follow_up_seconds(raw: object) -> FollowUpPolicy | None:
    if raw is None:
        return None
    if not isinstance(raw, Mapping) or not raw or set(raw) - {"nudge", "auto_resolve"}:
        raise InvalidPolicy("follow_up_seconds", "must be an object of nudge and/or auto_resolve seconds")
    for key, value in raw.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise InvalidPolicy(f"follow_up_seconds.{key}", "must be a whole number above zero")
    nudge, resolve = raw.get("nudge"), raw.get("auto_resolve")
    return FollowUpPolicy(
        nudge_after_ms=None if nudge is None else nudge * 1000,
        auto_resolve_after_ms=None if resolve is None else resolve * 1000,
    )


def _per_channel(raw: object, where: str) -> dict[Channel, int]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise InvalidPolicy(where, "must map channels to whole numbers")
    found: dict[Channel, int] = {}
    for name, value in raw.items():
        try:
            channel = Channel(name)
        except ValueError:
            raise InvalidPolicy(f"{where}.{name}", "is not a channel") from None
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise InvalidPolicy(f"{where}.{name}", "must be a whole number above zero")
        found[channel] = value
    return found


# --- SLA policies: due times in business time ----------------------------------------------------
# The policy set (``rules.policies``) says what is promised; the calendar (``rules.calendar``) says
# when the team is there; these functions turn a case's facts into the instants its clock waits for.


@dataclass(frozen=True, slots=True)
class CaseClockFacts:
    """What the clocks of one case depend on. ``paused_ms`` is business time already spent paused
    per clock since that clock's current start (see ``accumulate_pauses``); a response clock's entry
    is reset when the customer is answered."""

    account_id: str
    channel: Channel  # the channel of the message awaiting an answer, else the case's first one
    priority: Priority
    team: str
    status: CaseStatus
    status_since_ms: int
    opened_at_ms: int  # created, or reopened: where the resolution clock starts
    awaiting_reply_since_ms: int | None = None  # oldest unanswered customer message
    first_response_at_ms: int | None = None
    last_outbound_at_ms: int | None = None  # the last update sent to the customer
    paused_ms: Mapping[SlaClock, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ClockDue:
    """A running clock: when it warns, breaches and reaches the second tier (epoch ms)."""

    clock: SlaClock
    started_at_ms: int
    target_ms: int  # business milliseconds
    warn_at_ms: int
    breach_at_ms: int
    second_tier_at_ms: int | None
    remaining_ms: int  # business time from the computation to the breach; negative once breached

    def tiers(self) -> tuple[tuple[EscalationTier, int], ...]:
        tiers = [(EscalationTier.WARN, self.warn_at_ms), (EscalationTier.BREACH, self.breach_at_ms)]
        if self.second_tier_at_ms is not None:
            tiers.append((EscalationTier.SECOND_TIER, self.second_tier_at_ms))
        return tuple(tiers)


@dataclass(frozen=True, slots=True)
class PausedClock:
    """A clock stopped by the case's status: no due time until it runs again."""

    clock: SlaClock
    started_at_ms: int
    paused_since_ms: int
    target_ms: int
    remaining_ms: int  # business time left when the pause began; negative if it had breached


@dataclass(frozen=True, slots=True)
class DueTimes:
    policy: str
    policy_version: int
    calendar: str
    computed_at_ms: int
    running: tuple[ClockDue, ...] = ()
    paused: tuple[PausedClock, ...] = ()

    def due(self, clock: SlaClock) -> ClockDue | None:
        return next((due for due in self.running if due.clock is clock), None)

    @property
    def response_due_at_ms(self) -> int:
        """When the awaited answer breaches (what the queue sorts by); ``NOT_DUE_MS`` when none is awaited."""
        dues = [d.breach_at_ms for d in self.running if d.clock in (SlaClock.FIRST_RESPONSE, SlaClock.NEXT_RESPONSE)]
        return min(dues, default=NOT_DUE_MS)

    def escalations(self, after_ms: int) -> tuple[tuple[int, SlaClock, EscalationTier], ...]:
        """Every tier of every running clock strictly after ``after_ms``, earliest first."""
        upcoming = [(at_ms, due.clock, tier) for due in self.running for tier, at_ms in due.tiers() if at_ms > after_ms]
        return tuple(sorted(upcoming, key=lambda item: item[0]))

    def next_escalation(self, after_ms: int) -> tuple[int, SlaClock, EscalationTier] | None:
        """The earliest tier after ``after_ms``: what the case clock waits for (others may share its instant)."""
        upcoming = self.escalations(after_ms)
        return upcoming[0] if upcoming else None


def due_times(
    policies: PolicySet, calendars: Mapping[str, BusinessCalendar], facts: CaseClockFacts, clock: Clock
) -> DueTimes:
    """A case's due times under the current policy set: the policy that matches it, on its calendar."""
    policy = policies.policy_for(
        account=facts.account_id, channel=facts.channel, priority=facts.priority, team=facts.team
    )
    calendar = calendars.get(policy.calendar)
    if calendar is None:
        raise InvalidPolicy(f"policy {policy.name}.calendar", f"no calendar named {policy.calendar!r}")
    return compute_due(policy, calendar, facts, version=policies.version, now_ms=clock())


def compute_due(
    policy: SlaPolicy, calendar: BusinessCalendar, facts: CaseClockFacts, *, version: int, now_ms: int
) -> DueTimes:
    running: list[ClockDue] = []
    paused: list[PausedClock] = []
    for sla_clock in SlaClock:
        target = policy.targets_ms.get(sla_clock)
        start = clock_start(sla_clock, facts)
        if target is None or start is None:
            continue
        already_paused = facts.paused_ms.get(sla_clock, 0)
        if policy.pauses_clock(sla_clock, facts.status):
            pause_began = max(start, facts.status_since_ms)
            counted = calendar.business_time_between(start, pause_began) - already_paused
            paused.append(PausedClock(sla_clock, start, pause_began, target, target - counted))
            continue
        running.append(_running(policy, calendar, sla_clock, start, target, already_paused, now_ms))
    return DueTimes(
        policy=policy.name,
        policy_version=version,
        calendar=calendar.name,
        computed_at_ms=now_ms,
        running=tuple(running),
        paused=tuple(paused),
    )


def _running(
    policy: SlaPolicy,
    calendar: BusinessCalendar,
    sla_clock: SlaClock,
    start: int,
    target: int,
    paused: int,
    now_ms: int,
) -> ClockDue:
    # Paused business time lies between the start and now, so a tier ``t`` into the target is reached
    # once ``t + paused`` of business time has passed since the start.
    warn_after = target - round(target * policy.warn_before)
    breach_at = calendar.add_business_time(start, paused + target)
    second_tier_at = None
    if policy.second_tier_after is not None:
        second_tier_at = calendar.add_business_time(start, paused + target + round(target * policy.second_tier_after))
    return ClockDue(
        clock=sla_clock,
        started_at_ms=start,
        target_ms=target,
        warn_at_ms=calendar.add_business_time(start, paused + warn_after),
        breach_at_ms=breach_at,
        second_tier_at_ms=second_tier_at,
        remaining_ms=calendar.business_time_between(now_ms, breach_at),
    )


def clock_start(sla_clock: SlaClock, facts: CaseClockFacts) -> int | None:
    """Where a clock started counting, or ``None`` when it does not run for this case now."""
    if not facts.status.is_active:
        return None
    awaiting = facts.awaiting_reply_since_ms
    if sla_clock is SlaClock.FIRST_RESPONSE:
        return awaiting if facts.first_response_at_ms is None else None
    if sla_clock is SlaClock.NEXT_RESPONSE:
        return awaiting if facts.first_response_at_ms is not None else None
    if sla_clock is SlaClock.PERIODIC_UPDATE:
        if facts.status is not CaseStatus.PENDING_INTERNAL:
            return None
        return max(facts.status_since_ms, facts.last_outbound_at_ms or facts.status_since_ms)
    return facts.opened_at_ms


def accumulate_pauses(
    policy: SlaPolicy, calendar: BusinessCalendar, facts: CaseClockFacts, *, until_ms: int
) -> dict[SlaClock, int]:
    """``facts.paused_ms`` plus the pause the case's status makes, up to ``until_ms``.

    Call it when the status changes (``until_ms`` = the change) and store the result as the new
    ``paused_ms``: the time spent in a pausing status then no longer counts against the target.
    """
    totals = dict(facts.paused_ms)
    for sla_clock in SlaClock:
        start = clock_start(sla_clock, facts)
        if start is None or not policy.pauses_clock(sla_clock, facts.status):
            continue
        span = calendar.business_time_between(max(start, facts.status_since_ms), until_ms)
        totals[sla_clock] = totals.get(sla_clock, 0) + max(span, 0)
    return totals


ALWAYS_OPEN = BusinessCalendar.twenty_four_seven("always", "UTC")


def policy_set_from_response_targets(targets: ResponseTargets, *, version: int = 1) -> PolicySet:
    """The per-channel response targets as a policy set on a 24/7 calendar named ``always``:
    the same due times ``ResponseTargets.due_at`` gives, for stores that start without policies."""
    default_minutes = 240  # what ``due_at`` falls back to for a channel it has no target for

    def response(minutes: int) -> dict[SlaClock, int]:
        return {SlaClock.FIRST_RESPONSE: minutes * _MINUTE_MS, SlaClock.NEXT_RESPONSE: minutes * _MINUTE_MS}

    policies = [SlaPolicy(name="default", calendar=ALWAYS_OPEN.name, targets_ms=response(default_minutes))]
    policies += [
        SlaPolicy(
            name=f"channel-{channel.value}".replace("_", "-"),
            calendar=ALWAYS_OPEN.name,
            match=PolicyMatch(channel=channel),
            targets_ms=response(minutes),
        )
        for channel, minutes in targets.minutes.items()
        if minutes != default_minutes
    ]
    return PolicySet(version=version, policies=tuple(policies))
