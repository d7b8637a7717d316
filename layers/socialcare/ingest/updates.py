"""Events that change what is stored rather than thread a customer's new message into a case.

The brand's own messages (echoes) answer the customer and stop the clock; edits, deletions,
delivery statuses (read receipts among them) and reactions change the stored message they name;
an identity change teaches the customer's case their new ids. An update of a message not stored
yet (it overtook it) waits: the delivery is retried a bounded number of times, then kept raw as
``target_never_arrived``.
"""

from __future__ import annotations

import logging

from socialcare.clock import Clock
from socialcare.errors import CaseNotFound, CaseVersionConflict, ConcurrentThreadingConflict
from socialcare.ingest.copies import DeliveryCopies
from socialcare.ingest.entries import message_entry
from socialcare.ingest.identity import NO_CASE, record_identity_change
from socialcare.ingest.outcomes import Outcome
from socialcare.ingest.settings import IngestSettings
from socialcare.ingest.unmatched import Unmatched
from socialcare.model.automation import Purpose, automated_entry_id
from socialcare.model.case import Case, EntryKind
from socialcare.model.events import Channel, DeliveryState, EventKind, PlatformEvent
from socialcare.model.outbound import is_own_echo
from socialcare.model.stored import CurrentCase, MessageRef
from socialcare.platforms.fields import UNKNOWN_CUSTOMER_PREFIX
from socialcare.ports import CaseRepository, MessageCommit
from socialcare.rules.cases import apply_outbound, apply_read_receipt

logger = logging.getLogger(__name__)

# The direct-message channels this system sends acknowledgements on whose echoes carry no tag of ours
# (Messenger's do: ``model.outbound.own_echo_tag``; WhatsApp and Telegram echo no message sent by API).
UNTAGGED_ECHO_CHANNELS = frozenset({Channel.INSTAGRAM_DM, Channel.X_DM})
UPDATES = frozenset(
    {EventKind.ECHO, EventKind.EDIT, EventKind.DELETE, EventKind.STATUS, EventKind.REACTION, EventKind.IDENTITY_CHANGE}
)


class MessageUpdates:
    def __init__(self, store: CaseRepository, *, clock: Clock, settings: IngestSettings, unmatched: Unmatched) -> None:
        self._store = store
        self._clock = clock
        self._settings = settings
        self._unmatched = unmatched

    def apply(self, event: PlatformEvent, *, raw_key: str | None, attempt: int, copies: DeliveryCopies) -> str:
        """One event of a kind in ``UPDATES``: what it did."""
        if event.kind is EventKind.ECHO:
            return self._record_echo(event, raw_key, attempt, copies)
        if event.kind is EventKind.EDIT:
            return self._apply_edit(event, raw_key, attempt)
        if event.kind is EventKind.DELETE:
            return self._apply_delete(event, raw_key, attempt)
        if event.kind is EventKind.STATUS:
            return self._apply_status(event, raw_key, attempt, copies)
        if event.kind is EventKind.REACTION:
            return self._apply_reaction(event, raw_key, attempt)
        assert event.kind is EventKind.IDENTITY_CHANGE
        return self._apply_identity_change(event, raw_key, copies)

    # ---- the brand's own messages ----------------------------------------------------------
    def _record_echo(
        self, event: PlatformEvent, raw_key: str | None, delivery_attempt: int, copies: DeliveryCopies
    ) -> str:
        """A message the brand sent (here, natively, from the WhatsApp Business app, or by the app
        that holds the thread in standby) answers the customer and stops the clock."""
        assert event.message_id is not None
        if is_own_echo(event.echo_tag):
            # Sent from here: the sender records it (with its platform-message index item), and an
            # automated message must not count as the brand's answer, even when its echo comes first.
            return Outcome.DUPLICATE
        names_no_customer = event.customer is None or event.customer.user_id.startswith(UNKNOWN_CUSTOMER_PREFIX)
        # The brand's public replies name no customer; one this system sent is in the platform-message
        # index already: a duplicate, known in one read.
        if names_no_customer and self._store.find_message(event.platform, event.account_id, event.message_id):
            return Outcome.DUPLICATE
        known: tuple[str, ...] = ()
        for attempt in range(self._settings.max_threading_attempts):
            if names_no_customer:
                current = self._current_of_answered(event)
            else:
                current = copies.of_customer(event, thorough=attempt > 0, also=known)
                known = current.case.customer.all_ids if current.case is not None else ()
            if current.case is None:
                if not names_no_customer and self._store.find_message(
                    event.platform, event.account_id, event.message_id
                ):
                    return Outcome.DUPLICATE  # this system's reply, to a customer id no case knows
                return self._unmatched.keep(event, "echo_without_case", raw_key)
            if delivery_attempt < self._settings.unmatched_after_attempts and self._acknowledgement_in_flight(
                event, current.case
            ):
                logger.info(
                    "echo waits for the acknowledgement being sent",
                    extra={"platform": event.platform, "event_id": event.event_id, "attempt": delivery_attempt},
                )
                return Outcome.WAITING
            now = self._clock()
            case = apply_outbound(current.case, timestamp_ms=event.timestamp_ms, now_ms=now)
            entry = message_entry(event, case.case_id, EntryKind.OUTBOUND, author="brand", now_ms=now)
            outcome = copies.commit(MessageCommit(event, entry, current, case))
            if outcome is not None:
                return outcome
        raise ConcurrentThreadingConflict(f"could not record echo {event.event_id}")

    def _acknowledgement_in_flight(self, event: PlatformEvent, case: Case) -> bool:
        """Whether this untagged echo may be the case's acknowledgement, sent and not yet recorded: an
        echo there must not count as the brand's answer, so it waits until the sender has recorded the
        send (then it is a duplicate) or the acknowledgement has gone another way (then it is the
        brand's). Read only where that can be: a channel whose echoes carry no tag of ours, in a
        case not answered yet."""
        if event.channel not in UNTAGGED_ECHO_CHANNELS or case.first_response_at_ms is not None:
            return False
        ack_id = automated_entry_id(Purpose.ACKNOWLEDGEMENT, case.created_at_ms)
        ack = self._store.get_entry(MessageRef(case.case_id, ack_id))
        return ack is not None and ack.delivery_state in (DeliveryState.PENDING, DeliveryState.SENDING)

    def _current_of_answered(self, event: PlatformEvent) -> CurrentCase:
        """The case a public reply of the brand answers (a Page or Instagram comment under a
        customer's comment): found through the answered message, then read as that customer's
        current case."""
        none = CurrentCase(None, {})
        if not event.reply_to_id:
            return none
        ref = self._store.find_message(event.platform, event.account_id, event.reply_to_id)
        if ref is None:
            return none
        try:
            answered = self._store.get_case(ref.case_id)
        except CaseNotFound:
            return none
        return self._store.current_case(event.account_id, answered.customer.all_ids)

    # ---- edits, deletions, statuses --------------------------------------------------------
    def _apply_edit(self, event: PlatformEvent, raw_key: str | None, attempt: int) -> str:
        assert event.message_id is not None
        ref = self._store.find_message(event.platform, event.account_id, event.message_id)
        if ref is None:
            return self._target_unknown(event, raw_key, attempt)
        applied = self._store.update_entry_text(ref, text=event.text or "", edited_at_ms=event.timestamp_ms)
        return Outcome.APPLIED if applied else Outcome.STALE

    def _apply_delete(self, event: PlatformEvent, raw_key: str | None, attempt: int) -> str:
        assert event.message_id is not None
        ref = self._store.find_message(event.platform, event.account_id, event.message_id)
        if ref is None:
            return self._target_unknown(event, raw_key, attempt)
        applied = self._store.mark_entry_deleted(ref, deleted_at_ms=event.timestamp_ms)
        return Outcome.APPLIED if applied else Outcome.STALE

    def _apply_status(self, event: PlatformEvent, raw_key: str | None, attempt: int, copies: DeliveryCopies) -> str:
        assert event.status is not None
        if event.message_id:
            ref = self._store.find_message(event.platform, event.account_id, event.message_id)
            if ref is None:
                return self._target_unknown(event, raw_key, attempt)
            applied = self._store.set_delivery_state(
                ref, state=event.status, at_ms=event.timestamp_ms, error=event.status_error
            )
            return Outcome.APPLIED if applied else Outcome.STALE
        if event.status is DeliveryState.READ and event.watermark_ms is not None and event.customer is not None:
            return self._apply_read_watermark(event, event.watermark_ms, copies)
        return Outcome.STALE  # a delivery watermark without ids says nothing a later read won't

    def _apply_read_watermark(self, event: PlatformEvent, watermark_ms: int, copies: DeliveryCopies) -> str:
        assert event.customer is not None
        for _ in range(self._settings.max_threading_attempts):
            current = copies.current_case(event.account_id, event.customer.all_ids)
            if current.case is None:
                return Outcome.STALE
            updated = apply_read_receipt(current.case, watermark_ms=watermark_ms, now_ms=self._clock())
            if updated is None:
                return Outcome.STALE
            try:
                self._store.save_case(current.case, updated)
            except CaseVersionConflict:
                copies.forget(event.account_id, (*current.seen, *updated.customer.all_ids))
                continue
            copies.wrote(updated)
            return Outcome.APPLIED
        raise ConcurrentThreadingConflict(f"could not apply read receipt {event.event_id}")

    def _apply_reaction(self, event: PlatformEvent, raw_key: str | None, attempt: int) -> str:
        """Recorded on the message reacted to; never opens or reopens a case, never moves its clock."""
        assert event.customer is not None
        assert event.message_id is not None
        ref = self._store.find_message(event.platform, event.account_id, event.message_id)
        if ref is None:
            return self._target_unknown(event, raw_key, attempt)
        applied = self._store.set_reaction(
            ref, by=event.customer.user_id, emoji=event.emoji or None, at_ms=event.timestamp_ms
        )
        return Outcome.APPLIED if applied else Outcome.STALE

    def _apply_identity_change(self, event: PlatformEvent, raw_key: str | None, copies: DeliveryCopies) -> str:
        assert event.customer is not None
        # It reads and writes the copies itself: what this delivery holds of them goes out of date.
        copies.forget(event.account_id, (*event.previous_ids, *event.customer.all_ids))
        outcome = record_identity_change(
            self._store, event, clock=self._clock, attempts=self._settings.max_threading_attempts
        )
        if outcome == NO_CASE:
            return self._unmatched.keep(event, "identity_without_case", raw_key)
        return outcome

    def _target_unknown(self, event: PlatformEvent, raw_key: str | None, attempt: int) -> str:
        """Its message is not stored yet: wait for it (the delivery is retried), up to a bound."""
        if attempt < self._settings.unmatched_after_attempts:
            logger.info(
                "event waits for its message",
                extra={"platform": event.platform, "kind": event.kind, "event_id": event.event_id, "attempt": attempt},
            )
            return Outcome.WAITING
        return self._unmatched.keep(event, "target_never_arrived", raw_key)
