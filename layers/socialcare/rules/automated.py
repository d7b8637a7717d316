"""The one gate every automated customer-facing message passes: may it go to this case now, where,
and how — or is it held for a crisis, or skipped (and why)?

Checked in this order, the first that fails deciding:

1. never to a case marked spam or troll, never to a sensitive case, never where routing forbade
   automated messages (``automated_messages_allowed``), never to a resolved or closed case;
2. the purpose still applies: an acknowledgement only while the customer's first message is
   unanswered; a nudge only while the case still waits for the customer since ``pending_since``
   (pending_customer, and no customer message since);
3. never on a public comment or post: only in the customer's private channel — the one they last
   wrote on privately;
4. never where the platform would refuse it (``rules.windows``): Messenger and Instagram within
   24 hours, a nudge up to 7 days with the HUMAN_AGENT tag where Meta granted it; WhatsApp within
   24 hours, a nudge after that only as the brand's approved template; X and Telegram always;
5. an active crisis whose scope covers the case holds the message for a person instead.

Never twice to the same case is the store's part: each message has a deterministic entry id,
written with a condition (``automated`` service).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from socialcare.errors import OutsideMessagingWindow, TemplateRequired
from socialcare.model.automation import Purpose
from socialcare.model.case import Case, CaseStatus
from socialcare.model.crisis import Crisis
from socialcare.model.events import Channel
from socialcare.model.outbound import ReplyMode
from socialcare.rules.crisis import crises_for
from socialcare.rules.windows import WindowDecision, check_reply_window


@dataclass(frozen=True, slots=True)
class Delivery:
    """Where and how the message may go now."""

    channel: Channel
    tag: str | None = None  # HUMAN_AGENT beyond Meta's 24 hours
    as_template: bool = False  # WhatsApp beyond 24 hours: the brand's approved template, not the text


@dataclass(frozen=True, slots=True)
class GateDecision:
    delivery: Delivery | None  # None: not sent (``reason`` says why)
    reason: str = ""
    held_by: Crisis | None = None  # set: stored for review instead of sent

    @property
    def sends(self) -> bool:
        return self.delivery is not None and self.held_by is None


@dataclass(frozen=True, slots=True)
class GateFacts:
    """What the gate needs besides the case: the brand's permissions and the purpose's instant."""

    purpose: Purpose
    now_ms: int
    human_agent_allowed: bool = False  # Meta granted the brand's app the HUMAN_AGENT tag
    has_template: bool = False  # the brand configured an approved WhatsApp template for nudges
    pending_since_ms: int | None = None  # a nudge: when the case began waiting for the customer


def gate(case: Case, facts: GateFacts, crises: Iterable[Crisis] = ()) -> GateDecision:
    refusal = _refused(case) or _no_longer_applies(case, facts)
    if refusal:
        return GateDecision(None, refusal)
    channel = private_channel(case)
    if channel is None:
        return GateDecision(None, "the customer wrote only in public; automated messages go to private channels only")
    try:
        delivery = _delivery(case, channel, facts)
    except OutsideMessagingWindow as exc:
        return GateDecision(None, f"the platform would refuse it: {exc.message}")
    holding = crises_for(case, crises, facts.now_ms)
    if holding:
        return GateDecision(delivery, f"held for crisis {holding[0].crisis_id}", held_by=holding[0])
    return GateDecision(delivery)


def _refused(case: Case) -> str:
    if case.mark is not None:
        return f"the case is marked {case.mark.kind}"
    if case.sensitive:
        return "the case is sensitive"
    if not case.automated_messages_allowed:
        rule = case.routing.rule if case.routing else "routing"
        return f"automated messages are off for this case (routing rule {rule})"
    if not case.status.is_active:
        return f"the case is {case.status}"
    return ""


def _no_longer_applies(case: Case, facts: GateFacts) -> str:
    if facts.purpose is Purpose.ACKNOWLEDGEMENT:
        if case.first_response_at_ms is not None or case.awaiting_reply_since_ms is None:
            return "the brand has answered the customer already"
        return ""
    if case.status is not CaseStatus.PENDING_CUSTOMER:
        return f"the case is {case.status}, no longer waiting for the customer"
    since = facts.pending_since_ms
    if since is not None and case.last_inbound_at_ms is not None and case.last_inbound_at_ms > since:
        return "the customer wrote since the case began waiting for them"
    return ""


def private_channel(case: Case) -> Channel | None:
    """The private channel the customer last wrote on (None: they wrote only in public)."""
    private = [(at_ms, channel) for channel, at_ms in case.last_inbound_by_channel.items() if not channel.is_public]
    return max(private)[1] if private else None


def _delivery(case: Case, channel: Channel, facts: GateFacts) -> Delivery:
    """Raises OutsideMessagingWindow with the platform's reason when it may not go now."""
    nudge = facts.purpose is Purpose.NUDGE

    def window(*, has_template: bool) -> WindowDecision:
        return check_reply_window(
            channel=channel,
            mode=ReplyMode.PRIVATE,
            now_ms=facts.now_ms,
            last_inbound_ms=case.last_inbound_by_channel.get(channel),
            human_agent_allowed=nudge and facts.human_agent_allowed,
            has_template=has_template,
        )

    try:
        return Delivery(channel, tag=window(has_template=False).tag)
    except TemplateRequired as exc:
        if not (nudge and facts.has_template):
            raise TemplateRequired(f"{exc.message}, and no approved template is configured for this message") from exc
    window(has_template=True)
    return Delivery(channel, as_template=True)
