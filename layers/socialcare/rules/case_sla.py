"""The SLA every case write computes with: the stored policy set on its calendars, in business time.

``SlaInForce`` is what a writer (ingest, the agent API) holds: the brand's stored policy set and
calendars (``rules.policies``, ``rules.calendar``), or — while none is stored — today's per-channel
response targets (``ResponseTargets``) on a 24/7 calendar, whose due times are the targets' to the
millisecond. Every case write ends with ``with_sla``: the case's due time for the answer it awaits
(what the queue sorts by) and its escalation schedule (what the case clock waits for) are computed
from the case's facts at that moment, so an admin's change to the policies applies to every due time
computed after it, and each case keeps what it was promised until its next write.

The facts a case keeps for this (``model/case.py``): which message's clock the awaited answer runs on
(``response_started_at_ms``/``response_channel``: the customer message that gives the earliest due
time), when its status last changed, and the business time each clock has spent paused by a status
the policy pauses it in (``status_changed`` adds a pause when the status moves on).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from socialcare.model.case import Case
from socialcare.model.events import Channel
from socialcare.rules.calendar import BusinessCalendar
from socialcare.rules.escalation import with_escalation
from socialcare.rules.policies import PolicySet, SlaClock, SlaPolicy
from socialcare.rules.sla import (
    ALWAYS_OPEN,
    NOT_DUE_MS,
    CaseClockFacts,
    DueTimes,
    ResponseTargets,
    clock_start,
    compute_due,
)

RESPONSE_CLOCKS = (SlaClock.FIRST_RESPONSE, SlaClock.NEXT_RESPONSE)
DEFAULTS_VERSION = 0  # the version due times carry while no policy set is stored


@dataclass(frozen=True, slots=True)
class SlaInForce:
    """The policies case writes use. ``policies`` None: the per-channel ``targets`` on a 24/7 calendar."""

    targets: ResponseTargets
    policies: PolicySet | None = None
    calendars: Mapping[str, BusinessCalendar] | None = None

    @classmethod
    def from_documents(
        cls, policies: Mapping[str, object] | None, calendars: Sequence[Mapping[str, object]], targets: ResponseTargets
    ) -> SlaInForce:
        """The stored documents (as the config store keeps them, already validated on save)."""
        if policies is None:
            return cls(targets)
        found = {cal.name: cal for cal in (BusinessCalendar.from_config(doc) for doc in calendars)}
        return cls(targets, PolicySet.from_config(policies), found)

    @property
    def stored(self) -> bool:
        return self.policies is not None

    @property
    def version(self) -> int:
        return self.policies.version if self.policies is not None else DEFAULTS_VERSION

    def policy(self, facts: CaseClockFacts) -> tuple[SlaPolicy, BusinessCalendar]:
        """The policy that applies to the facts and its calendar."""
        if self.policies is None:
            return response_policy(self.targets, facts.channel), ALWAYS_OPEN
        policy = self.policies.policy_for(
            account=facts.account_id, channel=facts.channel, priority=facts.priority, team=facts.team
        )
        calendars = self.calendars or {}
        # The admin API refuses a policy set naming a calendar it does not have, and a calendar a
        # policy names cannot be deleted; a store edited by hand falls back to 24/7 rather than failing
        # every write of the brand.
        return policy, calendars.get(policy.calendar, ALWAYS_OPEN)

    def due_times(self, facts: CaseClockFacts, now_ms: int) -> DueTimes:
        policy, calendar = self.policy(facts)
        return compute_due(policy, calendar, facts, version=self.version, now_ms=now_ms)

    def message_due_at(self, case: Case, channel: Channel, timestamp_ms: int, now_ms: int) -> int | None:
        """When an answer to a customer message sent at ``timestamp_ms`` on ``channel`` breaches, were it
        the one the case awaits; ``None`` when no response clock would run (paused, no target)."""
        facts = replace(case_facts(case), channel=channel, awaiting_reply_since_ms=timestamp_ms)
        due = self.due_times(facts, now_ms).response_due_at_ms
        return None if due == NOT_DUE_MS else due


def response_policy(targets: ResponseTargets, channel: Channel) -> SlaPolicy:
    """The per-channel target as a policy on the 24/7 calendar, built directly so a target of seconds
    (the local stack's ``[sla]`` table) is allowed where a stored policy set wants whole minutes."""
    target = targets.target_ms(channel)
    default = ResponseTargets(minutes={}).target_ms(channel)
    return SlaPolicy(
        # Named as ``rules.sla.policy_set_from_response_targets`` names it: the SLA view shows the name.
        name="default" if target == default else f"channel-{channel.value}".replace("_", "-"),
        calendar=ALWAYS_OPEN.name,
        targets_ms={SlaClock.FIRST_RESPONSE: target, SlaClock.NEXT_RESPONSE: target},
    )


def case_facts(case: Case) -> CaseClockFacts:
    """What a case's clocks depend on, from the case as stored (older items lack the SLA facts: their
    last update stands in for the status change, the oldest waiting message for the clock's start)."""
    return CaseClockFacts(
        account_id=case.account_id,
        channel=case.response_channel or awaited_channel(case),
        priority=case.priority,
        team=case.team,
        status=case.status,
        status_since_ms=case.status_since_ms if case.status_since_ms is not None else case.updated_at_ms,
        opened_at_ms=case.created_at_ms,
        awaiting_reply_since_ms=(
            None
            if case.awaiting_reply_since_ms is None
            else case.response_started_at_ms or case.awaiting_reply_since_ms
        ),
        first_response_at_ms=case.first_response_at_ms,
        last_outbound_at_ms=case.last_outbound_at_ms,
        paused_ms={SlaClock(name): ms for name, ms in case.paused_ms.items()},
    )


def awaited_channel(case: Case) -> Channel:
    """The channel the customer last wrote on (where the awaited answer goes), else the case's first."""
    if case.last_inbound_by_channel:
        return max(case.last_inbound_by_channel.items(), key=lambda item: item[1])[0]
    return min(case.channels, default=Channel.MESSENGER)


def awaiting_message(case: Case, sla: SlaInForce, channel: Channel, timestamp_ms: int, now_ms: int) -> Case:
    """``case`` now also awaiting an answer to the message at ``timestamp_ms``: the awaited clock is the
    one whose answer is due first (a later message on a faster channel can bring the due time forward)."""
    since = case.awaiting_reply_since_ms
    awaiting = timestamp_ms if since is None else min(since, timestamp_ms)
    current = case.response_due_at_ms if since is not None else None
    due = sla.message_due_at(case, channel, timestamp_ms, now_ms)
    takes_over = current is None or (due is not None and due < current)
    if not takes_over:
        return replace(case, awaiting_reply_since_ms=awaiting)
    return replace(
        case, awaiting_reply_since_ms=awaiting, response_started_at_ms=timestamp_ms, response_channel=channel
    )


def answered(case: Case) -> Case:
    """The customer is no longer waiting on the brand: the response clock and its pauses are done."""
    paused = {name: ms for name, ms in case.paused_ms.items() if SlaClock(name) not in RESPONSE_CLOCKS}
    return replace(
        case,
        awaiting_reply_since_ms=None,
        response_due_at_ms=None,
        response_started_at_ms=None,
        response_channel=None,
        paused_ms=paused,
    )


def status_changed(before: Case, after: Case, sla: SlaInForce, now_ms: int) -> Case:
    """``after`` (``before`` with a new status) carrying the pause ``before``'s status made, if the
    policy paused a clock in it, and the instant of the change."""
    if before.status is after.status:
        return after
    facts = case_facts(before)
    policy, calendar = sla.policy(facts)
    paused = dict(before.paused_ms)
    for sla_clock in SlaClock:
        if not policy.pauses_clock(sla_clock, before.status):
            continue
        start = clock_start(sla_clock, facts)
        if start is None:
            continue
        span = calendar.business_time_between(max(start, facts.status_since_ms), now_ms)
        if span > 0:
            paused[sla_clock.value] = paused.get(sla_clock.value, 0) + span
    return replace(after, status_since_ms=now_ms, paused_ms=paused)


def with_sla(case: Case, sla: SlaInForce, now_ms: int) -> Case:
    """``case`` as it is about to be written, with the due time of the answer it awaits and its
    escalation schedule computed now (``rules.escalation`` keeps or moves the clock's generation)."""
    if not case.status.is_active:
        return with_escalation(case, None)
    if case.mark is not None:  # set aside for review (``rules/review.py``): no target counts against it
        return with_escalation(replace(case, response_due_at_ms=None), None)
    due = sla.due_times(case_facts(case), now_ms)
    response_due = due.response_due_at_ms
    if case.awaiting_reply_since_ms is None:
        return with_escalation(replace(case, response_due_at_ms=None), due)
    # A paused response clock keeps the case in the queue after every case that is due.
    stored_due = None if response_due == NOT_DUE_MS else response_due
    return with_escalation(replace(case, response_due_at_ms=stored_due), due)
