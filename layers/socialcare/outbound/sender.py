"""The outbound sender: one queued reply to the platform, exactly once, with its outcome recorded.

For each ``OutboundRequest``:

1. Read the reply's entry. Sent or failed already: nothing to do (a duplicate queue message).
   Claimed by another attempt: still within the lease, retry later; past it, the attempt died
   between claiming and recording, so nobody knows whether the platform got the reply: it is
   marked FAILED "delivery uncertain" instead of being sent a second time.
2. Re-check the messaging window on the case as it is now, prepare the platform calls and fetch
   the token. A reply that cannot go out (window closed, wrong mode, too long, no token) is
   marked FAILED with a reason the agent can act on; nothing is called.
3. Claim the entry with a conditional write (→ SENDING, this attempt's id), then call the
   platform, part after part. Each accepted part is recorded at once with its platform-message
   index item (so the echo is a duplicate, WhatsApp statuses find the entry); the first one also
   stops the case's response clock (``apply_outbound``) and links the customer's Messenger id
   after a private reply to a comment — unless the entry is an automated message (an
   acknowledgement or a nudge), which never counts as the brand's answer and changes no case.
   A message a crisis holds (``held``) or a person discarded is never sent from here.
4. Throttling and server errors give the claim back and raise ``RetryLater`` with the delay
   (the platform's own, or exponential backoff); on the queue's last receive the reply is marked
   FAILED ("moved to the dead-letter queue") and the message goes to the DLQ. Refusals are FAILED
   at once. A call whose answer was lost is FAILED "delivery uncertain" — never retried blind.
"""

from __future__ import annotations

import logging
import math
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum

from socialcare import constants as c
from socialcare.clock import Clock
from socialcare.errors import (
    AnswerLost,
    CaseChanged,
    CaseNotFound,
    ClaimLost,
    MessageIdTaken,
    OutsideMessagingWindow,
    ReplyRefused,
    RequestNotSent,
    RetryLater,
)
from socialcare.model.automation import automated_purpose
from socialcare.model.case import Case, EntryKind
from socialcare.model.events import Channel, DeliveryState
from socialcare.model.outbound import OutboundRequest, ReplyMode
from socialcare.model.sending import CustomerLink, OutboundEntry, PartRecord, SendFailure, SendState
from socialcare.model.stored import MessageRef
from socialcare.outbound.backoff import Backoff
from socialcare.outbound.http import Transport
from socialcare.outbound.replies import Accepted, PlannedCall, Rejected, ReplyClient, Retryable
from socialcare.ports import CaseReader, Credentials, OutboundRepository
from socialcare.rules.cases import apply_outbound
from socialcare.rules.windows import HUMAN_AGENT_TAG, WindowDecision, check_reply_window

logger = logging.getLogger(__name__)

UNCERTAIN_ABANDONED = (
    "delivery uncertain: the attempt that was sending this reply stopped before it could record the "
    "platform's answer; check the conversation on the platform before sending it again"
)
UNCERTAIN_NO_ANSWER = (
    "delivery uncertain: the platform did not answer ({detail}); check the conversation on the "
    "platform before sending it again"
)


class Outcome(StrEnum):
    SENT = "sent"
    FAILED = "failed"
    ALREADY_DONE = "already_done"  # a duplicate queue message: sent or failed before
    MISSING = "missing"  # no such entry (erased, or never stored)
    NOT_A_REPLY = "not_a_reply"
    HELD = "held"  # an automated message a crisis holds, or one a person discarded: never sent from here


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    outcome: Outcome
    platform_message_ids: tuple[str, ...] = ()
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class SenderSettings:
    max_receives: int = c.OUTBOUND_MAX_RECEIVE_COUNT
    claim_lease_ms: int = c.OUTBOUND_CLAIM_LEASE_S * 1000
    http_timeout_s: float = c.OUTBOUND_HTTP_TIMEOUT_S
    backoff: Backoff = field(default_factory=Backoff)
    max_record_attempts: int = 5


class OutboundSender:
    def __init__(
        self,
        *,
        cases: CaseReader,
        outbound: OutboundRepository,
        clients: Mapping[Channel, ReplyClient],
        transport: Transport,
        credentials: Credentials,
        clock: Clock,
        settings: SenderSettings | None = None,
        new_attempt_id: Callable[[], str] = lambda: uuid.uuid4().hex,
    ) -> None:
        self._cases = cases
        self._outbound = outbound
        self._clients = clients
        self._transport = transport
        self._credentials = credentials
        self._clock = clock
        self._settings = settings or SenderSettings()
        self._new_attempt_id = new_attempt_id

    def deliver(self, request: OutboundRequest, *, receive_count: int = 1) -> DeliveryReport:
        """Send one queued reply; raises RetryLater when it should be tried again later."""
        ref = MessageRef(request.case_id, request.entry_id)
        seen = self._outbound.get(ref)
        if seen is None:
            logger.warning("reply entry not found", extra=_ids(request))
            return DeliveryReport(Outcome.MISSING)
        if seen.entry.kind is not EntryKind.OUTBOUND:
            logger.error("queued reply names an entry that is not outbound", extra=_ids(request))
            return DeliveryReport(Outcome.NOT_A_REPLY)
        if seen.send_state in (SendState.SENT, SendState.FAILED):
            return DeliveryReport(Outcome.ALREADY_DONE, seen.platform_message_ids, seen.entry.delivery_error)
        if seen.entry.delivery_state in (DeliveryState.HELD, DeliveryState.DISCARDED):
            # A crisis holds it (or a person discarded it): only a person's release makes it PENDING.
            logger.info("held automated message not sent", extra=_ids(request))
            return DeliveryReport(Outcome.HELD)
        last_try = receive_count >= self._settings.max_receives
        if seen.send_state is SendState.SENDING:
            return self._claimed_before(request, seen, last_try)
        try:
            return self._send(request, seen, receive_count=receive_count, last_try=last_try)
        except RetryLater:
            raise
        except Exception as exc:
            if last_try:  # the queue message goes to the DLQ now: the thread must say so
                self._give_up_after_error(request, exc, receive_count)
            raise

    def _give_up_after_error(self, request: OutboundRequest, error: Exception, receive_count: int) -> None:
        try:
            fresh = self._outbound.get(MessageRef(request.case_id, request.entry_id))
            if fresh is None or fresh.send_state in (SendState.SENT, SendState.FAILED):
                return
            now = self._clock()
            if fresh.send_state is SendState.SENDING:  # it may have reached the platform
                self._outbound.fail(fresh, SendFailure(UNCERTAIN_ABANDONED, uncertain=True), now_ms=now)
                return
            reason = (
                f"not delivered after {receive_count} attempts; the last one failed ({type(error).__name__}). "
                "The reply was moved to the dead-letter queue"
            )
            self._outbound.fail(fresh, SendFailure(reason, gave_up=True), now_ms=now)
        except Exception:  # the original error is what matters; this is best effort
            logger.exception("could not mark the reply given up", extra=_ids(request))

    # ---- a claim found in place -----------------------------------------------------------
    def _claimed_before(self, request: OutboundRequest, seen: OutboundEntry, last_try: bool) -> DeliveryReport:
        now = self._clock()
        age = now - (seen.claimed_at_ms or 0)
        if age < self._settings.claim_lease_ms and not last_try:
            wait = math.ceil((self._settings.claim_lease_ms - age) / 1000) + 1
            raise RetryLater("another attempt is sending this reply", delay_s=wait)
        # The claimant died (its function timeout is shorter than the lease), or this is the
        # queue's last delivery. Sending again could duplicate the reply: say so instead.
        if self._outbound.fail(seen, SendFailure(UNCERTAIN_ABANDONED, uncertain=True), now_ms=now):
            logger.warning(
                "abandoned send marked uncertain", extra={**_ids(request), "claimed_at_ms": seen.claimed_at_ms}
            )
            return DeliveryReport(Outcome.FAILED, seen.platform_message_ids, UNCERTAIN_ABANDONED)
        raise RetryLater("the reply changed while its abandoned claim was being resolved", delay_s=1)

    # ---- sending --------------------------------------------------------------------------
    def _send(
        self, request: OutboundRequest, seen: OutboundEntry, *, receive_count: int, last_try: bool
    ) -> DeliveryReport:
        now = self._clock()
        client = self._clients.get(request.channel)
        try:
            case = self._cases.get_case(request.case_id)
            if client is None:
                raise ReplyRefused(f"replies on {request.channel} are not supported")
            decision = self._window(request, case, now)
            calls = client.plan(request, tag=decision.tag, credentials=self._credentials())
            if seen.parts_sent >= len(calls):
                raise ReplyRefused("the reply changed shape after part of it was delivered")
        except (OutsideMessagingWindow, ReplyRefused, CaseNotFound) as exc:
            if not self._outbound.fail(seen, SendFailure(exc.message), now_ms=now):
                raise RetryLater("the reply changed while it was being refused", delay_s=1) from exc
            logger.info("reply refused before sending", extra={**_ids(request), "code": exc.code})
            return DeliveryReport(Outcome.FAILED, seen.platform_message_ids, exc.message)

        attempt = self._new_attempt_id()
        if not self._outbound.claim(seen, attempt_id=attempt, now_ms=now):
            raise RetryLater("another attempt claimed this reply first", delay_s=1)
        seen = replace(
            seen,
            send_state=SendState.SENDING,
            attempt_id=attempt,
            claimed_at_ms=now,
            attempts=seen.attempts + 1,
            entry=replace(seen.entry, delivery_state=DeliveryState.SENDING) if seen.parts_sent == 0 else seen.entry,
        )
        assert client is not None
        for index in range(seen.parts_sent, len(calls)):
            call = calls[index]
            try:
                response = self._transport.send(call.request, timeout_s=self._settings.http_timeout_s)
            except RequestNotSent as exc:
                return self._retry(
                    request, seen, Retryable(f"could not reach the platform ({exc})"), receive_count, last_try
                )
            except AnswerLost as exc:
                reason = UNCERTAIN_NO_ANSWER.format(detail=str(exc))
                self._outbound.fail(seen, SendFailure(reason, attempt, uncertain=True), now_ms=self._clock())
                logger.warning("platform answer lost; reply marked uncertain", extra=_ids(request))
                return DeliveryReport(Outcome.FAILED, seen.platform_message_ids, reason)
            outcome = client.interpret(call, response, now_ms=self._clock())
            if isinstance(outcome, Retryable):
                return self._retry(request, seen, outcome, receive_count, last_try)
            if isinstance(outcome, Rejected):
                return self._rejected(request, seen, attempt, call, outcome, first=index == 0)
            # The case as read for the window answers the first part's record, unless it changed since.
            known = case if index == 0 else None
            seen = self._record(request, seen, attempt, outcome, done=index == len(calls) - 1, case=known)
        logger.info(
            "reply sent",
            extra={**_ids(request), "parts": len(calls), "platform_message_ids": list(seen.platform_message_ids)},
        )
        return DeliveryReport(Outcome.SENT, seen.platform_message_ids)

    def _window(self, request: OutboundRequest, case: Case, now: int) -> WindowDecision:
        comment_at = None
        if request.mode is ReplyMode.PRIVATE_REPLY_TO_COMMENT and request.reply_to_id:
            found = self._cases.find_message(request.channel.platform, request.account_id, request.reply_to_id)
            comment = self._cases.get_entry(found) if found is not None else None
            comment_at = comment.timestamp_ms if comment is not None else None
        return check_reply_window(
            channel=request.channel,
            mode=request.mode,
            now_ms=now,
            last_inbound_ms=case.last_inbound_by_channel.get(request.channel),
            comment_at_ms=comment_at,
            human_agent_allowed=request.tag == HUMAN_AGENT_TAG,
            has_template=request.template is not None,
        )

    def _retry(
        self, request: OutboundRequest, seen: OutboundEntry, failure: Retryable, receive_count: int, last_try: bool
    ) -> DeliveryReport:
        now = self._clock()
        assert seen.attempt_id is not None
        if last_try:
            reason = (
                f"not delivered after {receive_count} attempts; the last one failed: {failure.reason}. "
                "The reply was moved to the dead-letter queue"
            )
            self._outbound.fail(seen, SendFailure(reason, seen.attempt_id, gave_up=True), now_ms=now)
            logger.warning(
                "reply given up; to the dead-letter queue", extra={**_ids(request), "attempts": receive_count}
            )
            raise RetryLater(reason, delay_s=0)
        delay = self._settings.backoff.delay_s(receive_count, failure.retry_after_s)
        note = f"attempt {receive_count} failed: {failure.reason}; retrying in {delay} s"
        self._outbound.release(seen, attempt_id=seen.attempt_id, note=note, now_ms=now)
        logger.info(
            "reply will be retried",
            extra={**_ids(request), "attempt": receive_count, "delay_s": delay, "throttled": failure.throttled},
        )
        raise RetryLater(note, delay_s=delay)

    def _rejected(
        self,
        request: OutboundRequest,
        seen: OutboundEntry,
        attempt: str,
        call: PlannedCall,
        rejection: Rejected,
        *,
        first: bool,
    ) -> DeliveryReport:
        reason = (
            rejection.reason
            if first
            else f"{call.part} was refused after the parts before it were delivered: {rejection.reason}"
        )
        self._outbound.fail(seen, SendFailure(reason, attempt), now_ms=self._clock())
        logger.info("reply rejected by the platform", extra={**_ids(request), "part": call.part})
        return DeliveryReport(Outcome.FAILED, seen.platform_message_ids, reason)

    # ---- recording an accepted part -------------------------------------------------------
    def _record(
        self,
        request: OutboundRequest,
        seen: OutboundEntry,
        attempt: str,
        accepted: Accepted,
        *,
        done: bool,
        case: Case | None = None,
    ) -> OutboundEntry:
        """``case``: the case as last read (None: read it when the part changes it)."""
        adopt: MessageRef | None = None
        message_id = accepted.message_id
        attempts = self._settings.max_record_attempts
        for number in range(1, attempts + 1):
            now = self._clock()
            case_change, link = self._case_change(
                request, seen, accepted, adopt, now, with_link=number < attempts, known=case
            )
            part = PartRecord(
                attempt_id=attempt,
                seen=seen,
                at_ms=now,
                platform=request.channel.platform.value,
                account_id=request.account_id,
                message_id=message_id,
                done=done,
                case_change=case_change,
                link=link,
                adopt=adopt,
            )
            try:
                self._outbound.record(part)
            except CaseChanged:
                case = None  # read it again
                continue
            except MessageIdTaken:
                adopt = self._echo_to_adopt(request, seen.ref, message_id)
                if adopt is None:
                    logger.error(
                        "platform message id already indexed elsewhere; recorded without the index", extra=_ids(request)
                    )
                    message_id = None
                continue
            except ClaimLost:
                fresh = self._outbound.get(seen.ref)
                if fresh is not None and fresh.attempt_id == attempt and fresh.parts_sent == seen.parts_sent:
                    seen = fresh  # a delivery status moved the visible state meanwhile: record over it
                    continue
                logger.error("the claim was lost after the platform accepted the reply", extra=_ids(request))
                raise
            ids = (*seen.platform_message_ids, message_id) if message_id else seen.platform_message_ids
            return replace(seen, parts_sent=seen.parts_sent + 1, platform_message_ids=ids)
        raise CaseChanged(f"could not record reply {request.entry_id} after {attempts} tries")

    def _case_change(
        self,
        request: OutboundRequest,
        seen: OutboundEntry,
        accepted: Accepted,
        adopt: MessageRef | None,
        now: int,
        *,
        with_link: bool,
        known: Case | None = None,
    ) -> tuple[tuple[Case, Case] | None, CustomerLink | None]:
        """How the case changes with this part: the first part answers the customer; an adopted
        echo already did (for a later part, its extra count is taken back). An automated message
        (an acknowledgement, a nudge) answers nobody: the case stays as it is, still awaiting the
        brand's reply, its first response unset and its SLA clock running. ``known``: the case as
        read already (its version is what the record is conditioned on)."""
        if automated_purpose(seen.entry) is not None:
            return None, None
        first = seen.parts_sent == 0
        if not first and adopt is None:
            return None, None
        case = known or self._cases.get_case(request.case_id)
        if not first:  # adopt is set: the echo counted a message this entry already counts
            return (
                case,
                replace(
                    case, message_count=max(0, case.message_count - 1), updated_at_ms=now, version=case.version + 1
                ),
            ), None
        link = self._link(request, case, accepted.recipient_id, now) if with_link else None
        after = case if adopt is not None else apply_outbound(case, timestamp_ms=now, now_ms=now)
        if link is not None:
            customer = replace(after.customer, alt_ids=(*after.customer.alt_ids, link.user_id))
            after = replace(after, customer=customer)
        if after is case:
            return None, None
        if after.version == case.version:
            after = replace(after, updated_at_ms=now, version=case.version + 1)
        return (case, after), link

    def _link(self, request: OutboundRequest, case: Case, recipient_id: str | None, now: int) -> CustomerLink | None:
        """After a private reply to a comment Meta names the customer's Messenger id (PSID), which
        differs from their commenter id: the case takes it, so their answer in Messenger joins it."""
        if request.mode is not ReplyMode.PRIVATE_REPLY_TO_COMMENT or not recipient_id:
            return None
        if recipient_id in case.customer.all_ids:
            return None
        current = self._cases.current_case(case.account_id, [recipient_id])
        seen = current.seen.get(recipient_id)
        other = current.case
        if other is None or other.case_id == case.case_id:
            return CustomerLink(recipient_id, seen)
        if other.status.is_active:
            # The customer already has an open private conversation: their Messenger messages keep
            # going there, rather than two open cases being silently merged.
            logger.warning(
                "private reply recipient already has an active case; not linked",
                extra={**_ids(request), "other_case_id": other.case_id},
            )
            return None
        displaced = None
        if other.superseded_by is None:
            displaced = (
                other,
                replace(other, superseded_by=case.case_id, updated_at_ms=now, version=other.version + 1),
            )
        return CustomerLink(recipient_id, seen, displaced)

    def _echo_to_adopt(self, request: OutboundRequest, ref: MessageRef, message_id: str | None) -> MessageRef | None:
        """The index names ``message_id`` already: the platform's echo of this very message was
        stored before this record. It is replaced when it is the brand's echo in this case."""
        if message_id is None:
            return None
        found = self._cases.find_message(request.channel.platform, request.account_id, message_id)
        if found is None or found.case_id != ref.case_id or found.entry_id == ref.entry_id:
            return None
        echo = self._cases.get_entry(found)
        if echo is None or echo.kind is not EntryKind.OUTBOUND or echo.entry_id == ref.entry_id:
            return None
        return found


def _ids(request: OutboundRequest) -> dict[str, str]:
    return {"case_id": request.case_id, "entry_id": request.entry_id, "channel": request.channel.value}


__all__ = ["DeliveryReport", "OutboundSender", "Outcome", "SenderSettings"]
