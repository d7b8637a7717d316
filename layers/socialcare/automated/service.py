"""Automated customer-facing messages: the acknowledgement of a new case and the follow-up nudge.

The outbound function runs one per task (``model/tasks.py``): ingest asks for an ``acknowledge``
after a message opened a case; the follow-up state machine asks for a ``nudge`` while a case waits
for the customer. Each run:

1. reads the case and the brand's profile (an acknowledgement the brand has not enabled is skipped);
2. finds the message's entry by its deterministic id: stored already (a redelivered task), it is not
   composed again — a pending one is sent (the sender makes that harmless), a held or sent one left;
3. asks the gate (``rules.automated``): skipped (and why), sent, or held for an active crisis;
4. composes the text (``texts``) and stores it as an outbound entry authored by the automation,
   PENDING — or HELD, with its item under the crisis, for a person to release or discard;
5. hands a pending one to the outbound sender, which sends it and records the outcome. An automated
   message never counts as the brand's answer: the sender leaves the case as it is, so it still
   awaits a reply, with its first response unset and its SLA clock running.

Each returns a word for the log: ``sent``, ``failed``, ``held: …``, ``skipped: …`` — never the text.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from socialcare.automated import texts
from socialcare.clock import Clock, parse_instant
from socialcare.errors import CaseNotFound, InvalidPolicy, MalformedTask, NoOpenTime, PlaceholderUnavailable
from socialcare.model.automation import Purpose, automated_entry, automated_entry_id, automated_request
from socialcare.model.case import Case, ThreadEntry
from socialcare.model.channels import TEXT_LIMITS, text_length
from socialcare.model.config import ConfigKind
from socialcare.model.crisis import Crisis, HeldMessage
from socialcare.model.events import Channel, DeliveryState
from socialcare.model.outbound import OutboundRequest, ReplyMode
from socialcare.model.profile import BrandProfile
from socialcare.model.stored import MessageRef
from socialcare.model.tasks import CaseTask
from socialcare.ports import AutomatedStore, CaseReader, ConfigRepository, DeliverNow, ProfileReader
from socialcare.rules.automated import GateDecision, GateFacts, gate
from socialcare.rules.calendar import BusinessCalendar
from socialcare.rules.crisis import crisis_from_config
from socialcare.rules.follow_up import not_pending_since
from socialcare.rules.policies import PolicySet
from socialcare.rules.sla import ALWAYS_OPEN

logger = logging.getLogger(__name__)

DEFAULT_BRAND_NAME = "our team"


@dataclass(frozen=True, slots=True)
class AutomatedDeps:
    cases: CaseReader
    store: AutomatedStore
    profiles: ProfileReader
    config: ConfigRepository
    deliver: DeliverNow
    clock: Clock
    default_brand_name: str = DEFAULT_BRAND_NAME


@dataclass(frozen=True, slots=True)
class Composed:
    """A message ready to store: its request (text as sent) and why it goes."""

    request: OutboundRequest
    purpose: Purpose
    decision: GateDecision


class AutomatedMessages:
    def __init__(self, deps: AutomatedDeps) -> None:
        self._deps = deps

    # ---- the tasks ---------------------------------------------------------------------------
    def acknowledge(self, task: CaseTask) -> str:
        case = self._case(task.case_id)
        if case is None:
            return "skipped: no such case"
        profile = self._profile(case.account_id)
        if not profile.acknowledgement.enabled:
            return "skipped: the brand has not enabled the acknowledgement"
        entry_id = automated_entry_id(Purpose.ACKNOWLEDGEMENT, case.created_at_ms)
        now = self._deps.clock()
        facts = GateFacts(Purpose.ACKNOWLEDGEMENT, now)
        return self._run(case, entry_id, facts, lambda: self._acknowledgement_text(case, profile, now))

    def nudge(self, task: CaseTask) -> str:
        pending_since = pending_since_of(task)
        case = self._case(task.case_id)
        if case is None:
            return "skipped: no such case"
        # The follow-up's own cycle (rules/follow_up.py), when the case has one: a task of an earlier
        # pending cycle never nudges a later one.
        stale = not_pending_since(case, task.arg("pending_since")) if case.follow_up is not None else None
        if stale is not None:
            return f"skipped: {stale}"
        profile = self._profile(case.account_id)
        facts = GateFacts(
            Purpose.NUDGE,
            self._deps.clock(),
            human_agent_allowed=profile.human_agent_tag,
            has_template=profile.nudge.whatsapp_template is not None,
            pending_since_ms=pending_since,
        )
        entry_id = automated_entry_id(Purpose.NUDGE, pending_since)
        return self._run(case, entry_id, facts, lambda: texts.nudge_text(case, profile), profile)

    # ---- the steps every automated message takes -------------------------------------------------
    def _run(
        self,
        case: Case,
        entry_id: str,
        facts: GateFacts,
        compose: Callable[[], str],
        profile: BrandProfile | None = None,
    ) -> str:
        stored = self._deps.cases.get_entry(MessageRef(case.case_id, entry_id))
        if stored is not None:
            return self._resume(case, stored)
        decision = gate(case, facts, self._active_crises(facts.now_ms))
        if decision.delivery is None:
            return f"skipped: {decision.reason}"
        try:
            text = compose()
        except (PlaceholderUnavailable, NoOpenTime) as exc:
            return f"skipped: {exc.message}"
        template = None
        if decision.delivery.as_template and profile is not None and profile.nudge.whatsapp_template is not None:
            template = dict(profile.nudge.whatsapp_template)
            text = texts.template_description(template)
        channel = decision.delivery.channel
        if template is None and text_length(channel, text) > TEXT_LIMITS[channel]:
            return f"skipped: the text is longer than {channel} allows ({TEXT_LIMITS[channel]})"
        request = self._request(case, entry_id, text, decision, template)
        return self._store_and_send(case, Composed(request, facts.purpose, decision), facts.now_ms)

    def _request(
        self, case: Case, entry_id: str, text: str, decision: GateDecision, template: dict[str, object] | None
    ) -> OutboundRequest:
        assert decision.delivery is not None
        channel = decision.delivery.channel
        answered = self._deps.store.latest_inbound(case.case_id, channel)
        recipient = case.customer.user_id
        if answered is not None:
            recipient = (answered.conversation_ref if channel is Channel.TELEGRAM else answered.author) or recipient
        return OutboundRequest(
            case_id=case.case_id,
            entry_id=entry_id,
            channel=channel,
            account_id=case.account_id,
            recipient_id=recipient,
            mode=ReplyMode.PRIVATE,
            text=text,
            conversation_ref=answered.conversation_ref if answered is not None else None,
            tag=decision.delivery.tag,
            template=template,
        )

    def _store_and_send(self, case: Case, composed: Composed, now: int) -> str:
        request, crisis = composed.request, composed.decision.held_by
        entry = automated_entry(request, composed.purpose, now_ms=now, held=crisis is not None)
        held = _held(crisis, entry, case, composed.purpose) if crisis is not None else None
        if not self._deps.store.add_automated(entry, held):  # stored meanwhile by another run of the task
            fresh = self._deps.cases.get_entry(MessageRef(case.case_id, entry.entry_id))
            return self._resume(case, fresh) if fresh is not None else "skipped: the entry could not be stored"
        if crisis is not None:
            logger.info(
                "automated message held",
                extra={"case_id": case.case_id, "entry_id": entry.entry_id, "crisis": crisis.crisis_id},
            )
            return f"held: crisis {crisis.crisis_id}"
        return self._deps.deliver(request)

    def _resume(self, case: Case, stored: ThreadEntry) -> str:
        """The message was stored by an earlier run: send it if it still waits to be, else say why not."""
        state = stored.delivery_state
        if state is DeliveryState.HELD:
            return "held: waiting for a person's decision"
        if state is DeliveryState.DISCARDED:
            return "skipped: a person discarded it"
        if state in (DeliveryState.PENDING, DeliveryState.SENDING, None):
            return self._deps.deliver(automated_request(stored, case.account_id))
        return "already sent"

    # ---- what the decisions are made from -----------------------------------------------------------
    def _case(self, case_id: str) -> Case | None:
        try:
            return self._deps.cases.get_case(case_id)
        except CaseNotFound:
            return None

    def _profile(self, account_id: str) -> BrandProfile:
        stored = self._deps.profiles.profile(account_id)
        return stored or BrandProfile.default(account_id, self._deps.default_brand_name)

    def _active_crises(self, now_ms: int) -> list[Crisis]:
        stored = self._deps.config.list_configs(ConfigKind.CRISIS)
        crises = (crisis_from_config(config.document, version=config.version) for config in stored)
        return [crisis for crisis in crises if crisis.active_at(now_ms)]

    def _acknowledgement_text(self, case: Case, profile: BrandProfile, now: int) -> str:
        position = None
        if texts.wants_queue_position(profile):
            ahead = self._deps.store.cases_ahead(
                case.team, case.response_due_at_ms, case.case_id, limit=texts.QUEUE_POSITION_BOUND
            )
            position = texts.queue_position(ahead)
        calendar = self._calendar(case)
        return texts.acknowledgement_text(case, profile, now_ms=now, calendar=calendar, position=position)

    def _calendar(self, case: Case) -> BusinessCalendar:
        """The calendar of the SLA policy the case's due time follows (24/7 UTC while none is stored)."""
        documents = self._deps.config.sla_config()
        if documents.policies is None or not case.last_inbound_by_channel:
            return ALWAYS_OPEN
        awaited = max(case.last_inbound_by_channel.items(), key=lambda item: item[1])[0]
        try:
            policy = PolicySet.from_config(documents.policies.document).policy_for(
                account=case.account_id, channel=awaited, priority=case.priority, team=case.team
            )
        except InvalidPolicy:  # stored through the admin routes' checks; never expected
            logger.exception(
                "stored SLA policies unreadable; the acknowledgement speaks UTC", extra={"case_id": case.case_id}
            )
            return ALWAYS_OPEN
        found = next((c for c in documents.calendars if c.name == policy.calendar), None)
        return BusinessCalendar.from_config(found.document) if found is not None else ALWAYS_OPEN


def _held(crisis: Crisis, entry: ThreadEntry, case: Case, purpose: Purpose) -> HeldMessage:
    assert entry.channel is not None
    return HeldMessage(
        crisis_id=crisis.crisis_id,
        case_id=case.case_id,
        entry_id=entry.entry_id,
        purpose=purpose.value,
        channel=entry.channel,
        account_id=case.account_id,
        text=entry.text or "",
        held_at_ms=entry.timestamp_ms,
    )


def pending_since_of(task: CaseTask) -> int:
    """The nudge's ``pending_since``: epoch milliseconds, or ISO 8601 with a zone."""
    text = task.arg("pending_since")
    at_ms = parse_instant(text)
    if at_ms is None:
        raise MalformedTask(f"pending_since {text!r} is not an instant (epoch milliseconds, or ISO 8601 with a zone)")
    return at_ms
