"""Threads each event of a verified delivery into its case, exactly once.

Exactly-once rests on the platform's own message ids: the message, its case change and
the dedup marker are written in one transaction conditioned on the marker not existing,
so a retried delivery (Meta retries for up to 7 days) or a re-run batch changes nothing.

Only the brand's own accounts count: an event of an account that is not configured (another
Page's entry in a shared batch, a dashboard test ping) is kept raw and never becomes or touches
a case; nor does the brand ever become its own customer. An event about a message not stored yet
(an edit, deletion, status or reaction that overtook it) makes the delivery wait: it is retried
a bounded number of times, then kept raw as ``target_never_arrived``.

Every customer message stored is counted for surge detection (``rules/surges.py``): its brand
account and topics, in a ``SurgeTally`` written with one keyed ADD per bucket after the delivery
(or, given a tally, by the caller: the ingest function writes one per invocation). Counts are a
signal: a write that fails is logged and the delivery stands.
"""

from __future__ import annotations

import logging
import re
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace

from socialcare import constants as c
from socialcare.clock import Clock
from socialcare.errors import (
    CaseNotFound,
    CaseVersionConflict,
    ConcurrentThreadingConflict,
    DuplicateEvent,
    UnstorableEvent,
)
from socialcare.ids import new_ulid
from socialcare.ingest.copies import DeliveryCopies
from socialcare.ingest.entries import message_entry
from socialcare.ingest.identity import NO_CASE, record_identity_change
from socialcare.ingest.triage import MessageReading, Triage, classified, sensitive_notice
from socialcare.model.accounts import BrandAccounts
from socialcare.model.case import Case, CaseMark, EntryKind
from socialcare.model.events import Customer, DeliveryState, EventKind, ParsedDelivery, PlatformEvent
from socialcare.model.outbound import is_own_echo
from socialcare.model.stored import CurrentCase
from socialcare.model.surges import SurgeTally
from socialcare.model.tasks import CaseTask, TaskKind
from socialcare.platforms.fields import UNKNOWN_CUSTOMER_PREFIX
from socialcare.ports import CaseRepository, LeadNotifier, MessageCommit, SurgeCounter, TaskQueue
from socialcare.rules.case_sla import SlaInForce, with_sla
from socialcare.rules.cases import (
    Threading,
    apply_inbound,
    apply_outbound,
    apply_read_receipt,
    decide_threading,
    new_case,
)
from socialcare.rules.routing import route_new_case
from socialcare.rules.routing_rules import RoutingRules
from socialcare.rules.sla import ResponseTargets
from socialcare.rules.surges import SurgeSettings, bucket_of, shard_of

logger = logging.getLogger(__name__)


class Outcome:
    """What ingesting one event did (counted per delivery, and as metrics)."""

    STORED = "stored"
    DUPLICATE = "duplicate"
    STALE = "stale"  # an older event that must not overwrite newer state
    APPLIED = "applied"
    UNMATCHED = "unmatched"
    WAITING = "waiting"  # concerns a message not stored yet: the delivery is retried later
    FOREIGN = "foreign_account"  # not an account of the brand's: kept raw, never a case


_REASON_CODE = re.compile(r"[a-z][a-z0-9_]{0,63}")

# Reasons of the unmatched log that say the event is not the brand's (counted as FOREIGN).
FOREIGN_ACCOUNT = "foreign_account"
TEST_PING = "test_ping"


@dataclass(frozen=True, slots=True)
class IngestSettings:
    default_team: str = c.DEFAULT_TEAM
    account_teams: Mapping[str, str] = field(default_factory=dict)
    reopen_window_ms: int = c.DEFAULT_REOPEN_WINDOW_HOURS * 3_600_000
    targets: ResponseTargets = field(default_factory=ResponseTargets)
    # An edit/status/deletion/reaction whose message is still unknown after this many deliveries is
    # kept as unmatched instead of retried further (the message predates the system, or never came).
    unmatched_after_attempts: int = c.INGEST_TARGET_ATTEMPTS
    # The wait before a delivery that waits for a message is tried again, times its attempt.
    target_retry_delay_s: int = c.INGEST_TARGET_RETRY_DELAY_S
    max_threading_attempts: int = 5
    # The brand's own accounts. None: not checked (an Ingestor built in a test); the ingest function
    # always sets them (its configuration requires them).
    brand_accounts: BrandAccounts | None = None
    # The brand's routing rules (rules/routing_rules.py); None: none configured, every new case takes
    # rules/routing.py's route (sensitive messages still go to the trained team).
    routing_rules: RoutingRules | None = None
    # What a stored message counts for in surge detection (its keyword topics; rules/surges.py).
    surges: SurgeSettings = field(default_factory=SurgeSettings)


@dataclass(slots=True)
class DeliveryReport:
    outcomes: Counter[str] = field(default_factory=Counter)

    def count(self, outcome: str) -> int:
        return self.outcomes[outcome]

    @property
    def waiting(self) -> bool:
        """Some event waits for its message: the delivery is to be retried."""
        return self.outcomes[Outcome.WAITING] > 0


class Ingestor:
    def __init__(
        self,
        store: CaseRepository,
        *,
        clock: Clock,
        settings: IngestSettings | None = None,
        triage: Triage | None = None,
        notifier: LeadNotifier | None = None,
        sla: Callable[[], SlaInForce] | None = None,
        counter: SurgeCounter | None = None,
        tasks: TaskQueue | None = None,
    ) -> None:
        self._store = store
        self._tasks = tasks
        self._clock = clock
        self._settings = settings or IngestSettings()
        # The SLA in force: the stored policy set (read through a short cache by the caller), else the
        # settings' per-channel targets.
        fallback = SlaInForce(self._settings.targets)
        self._sla = sla or (lambda: fallback)
        self._triage = triage or Triage(self._settings.routing_rules)
        self._notifier = notifier
        self._counter = counter

    def ingest(
        self,
        parsed: ParsedDelivery,
        *,
        raw_key: str | None = None,
        attempt: int = 1,
        tally: SurgeTally | None = None,
        copies: DeliveryCopies | None = None,
    ) -> DeliveryReport:
        """Ingest every event of one delivery, oldest first.

        Events are independent: one whose target is not yet known does not hold up the rest; it
        is counted as WAITING, and the caller retries the delivery (what was stored dedupes). One
        that DynamoDB can never store (an item over 400 KB) is kept in the unmatched log, pointing
        at the raw delivery, instead of making the whole delivery a poison message. The messages
        stored are counted into ``tally`` (written by the caller), else written at the end.
        ``copies``: the current-case copies its batch read (``read_copies``); None: read the delivery's.
        """
        own_tally = tally is None
        counted = SurgeTally() if tally is None else tally
        report = DeliveryReport()
        events = [self._timed(event) for event in parsed.sorted_events()]
        copies = copies or self.read_copies((parsed,))
        for event in events:
            try:
                outcome = self.ingest_event(event, raw_key=raw_key, attempt=attempt, tally=counted, copies=copies)
            except UnstorableEvent as exc:
                logger.error(
                    "event cannot be stored; kept as unmatched",
                    extra={"platform": event.platform, "event_id": event.event_id[:200], "error": exc.message},
                )
                self._store.record_unmatched(event, reason="unstorable", raw_key=raw_key, day=self._day(event))
                outcome = Outcome.UNMATCHED
            report.outcomes[outcome] += 1
            logger.info(
                "event ingested",
                extra={"platform": event.platform, "kind": event.kind, "event_id": event.event_id, "outcome": outcome},
            )
        if own_tally:
            self.count_surges(counted)
        return report

    def read_copies(self, deliveries: Sequence[ParsedDelivery]) -> DeliveryCopies:
        """The current-case copies these deliveries' events will read, read together: one BatchGetItem
        per 100 ids for a queue batch's deliveries. A read that fails is no delivery's failure: each
        event then reads its own copies."""
        copies = DeliveryCopies(self._store)
        try:
            copies.read_together(key for parsed in deliveries for key in self._copies_read(parsed.events))
        except Exception:
            logger.warning("current-case copies not read together; each event reads its own", exc_info=True)
        return copies

    def count_surges(self, tally: SurgeTally) -> None:
        """Write the tally's counts: one keyed ADD per bucket, on the shard its first message picks."""
        if self._counter is None or not tally:
            return
        shard = shard_of(tally.shard_hint)
        for bucket in tally.buckets.values():
            try:
                self._counter.add(bucket, shard=shard)
            except Exception:  # a signal, not the message: the delivery stands, the count is short
                logger.warning(
                    "surge counts not written", extra={"bucket_ms": bucket.bucket_ms, "messages": bucket.messages}
                )

    def retry_delay_s(self, attempt: int) -> int:
        """How long a delivery that waits for a message waits before its next attempt."""
        return self._settings.target_retry_delay_s * max(1, attempt)

    def ingest_event(
        self,
        event: PlatformEvent,
        *,
        raw_key: str | None = None,
        attempt: int = 1,
        tally: SurgeTally | None = None,
        copies: DeliveryCopies | None = None,
    ) -> str:
        """One event; a customer message stored is counted into ``tally`` (else written at once).
        ``copies``: the current-case copies its delivery read (None: read what it needs)."""
        copies = copies or DeliveryCopies(self._store)
        if not self._is_brands(event):
            return self._set_aside(event, raw_key)
        if event.is_customer_message:
            if self._is_brand_party(event):
                return self._keep_raw(event, "brand_own_message", raw_key)
            return self._thread_customer_message(event, tally, copies)
        if event.kind is EventKind.ECHO:
            return self._record_echo(event, raw_key, copies)
        if event.kind is EventKind.EDIT:
            return self._apply_edit(event, raw_key, attempt)
        if event.kind is EventKind.DELETE:
            return self._apply_delete(event, raw_key, attempt)
        if event.kind is EventKind.STATUS:
            return self._apply_status(event, raw_key, attempt, copies)
        if event.kind is EventKind.REACTION:
            return self._apply_reaction(event, raw_key, attempt)
        if event.kind is EventKind.IDENTITY_CHANGE:
            return self._apply_identity_change(event, raw_key, copies)
        # The adapter's reason is the log's reason when it is a code (test_ping, service_message...);
        # a shape problem it describes in words goes to the log line only.
        reason = event.reason if event.reason and _REASON_CODE.fullmatch(event.reason) else "unknown_kind"
        logger.warning(
            "event kept raw",
            extra={
                "platform": event.platform,
                "raw_kind": event.raw_kind,
                "event_id": event.event_id,
                "reason": reason,
                "detail": (event.reason or "")[:200],
            },
        )
        return self._keep_raw(event, reason, raw_key)

    # ---- the brand's own accounts ----------------------------------------------------------
    def _is_brands(self, event: PlatformEvent) -> bool:
        accounts = self._settings.brand_accounts
        return accounts is None or accounts.owns(event.platform, event.account_id)

    def _copies_read(self, events: Sequence[PlatformEvent]) -> Iterator[tuple[str, str]]:
        """The copies a delivery's customer messages and echoes will read (of the ids they name)."""
        for event in events:
            threaded = event.is_customer_message or event.kind is EventKind.ECHO
            if threaded and event.customer is not None and self._is_brands(event):
                yield from ((event.account_id, uid) for uid in event.customer.all_ids)

    def _is_brand_party(self, event: PlatformEvent) -> bool:
        """The "customer" is one of the brand's own accounts (an unmarked echo, the Page commenting)."""
        accounts = self._settings.brand_accounts
        ids = event.customer.all_ids if event.customer else ()
        return accounts is not None and accounts.is_brand(event.platform, ids)

    def _set_aside(self, event: PlatformEvent, raw_key: str | None) -> str:
        """Not the brand's: kept raw, and logged without its body (it may be anyone's data)."""
        reason = TEST_PING if event.reason == TEST_PING else FOREIGN_ACCOUNT
        logger.warning(
            "event of an account that is not the brand's kept raw",
            extra={
                "platform": event.platform,
                "kind": event.kind,
                "account_id": event.account_id[:64],
                "event_id": event.event_id[:200],
                "reason": reason,
            },
        )
        self._store.record_unmatched(event, reason=reason, raw_key=raw_key, day=self._day(event))
        return Outcome.FOREIGN

    def _keep_raw(self, event: PlatformEvent, reason: str, raw_key: str | None) -> str:
        self._store.record_unmatched(event, reason=reason, raw_key=raw_key, day=self._day(event))
        return Outcome.UNMATCHED

    def _timed(self, event: PlatformEvent) -> PlatformEvent:
        """An event whose payload had no usable time (and that was parsed without the received
        time) takes the time it is ingested."""
        if event.timestamp_estimated and event.timestamp_ms == 0:
            return replace(event, timestamp_ms=self._clock())
        return event

    def _day(self, event: PlatformEvent) -> str:
        """The day an unmatched event is filed under: its platform time, or (for events that carry
        none, such as WhatsApp errors or Telegram button presses) the day it was ingested."""
        return _day(event.timestamp_ms or self._clock())

    # ---- customer messages ---------------------------------------------------------------
    def _thread_customer_message(self, event: PlatformEvent, tally: SurgeTally | None, copies: DeliveryCopies) -> str:
        assert event.customer is not None
        assert event.message_id is not None
        settings = self._settings
        reading = self._triage.read(event)
        sla = self._sla()
        known: tuple[str, ...] = ()
        for attempt in range(settings.max_threading_attempts):
            current = self._read_current(event, copies, thorough=attempt > 0, also=known)
            known = current.case.customer.all_ids if current.case is not None else ()
            recent = current.case.recent_posts if current.case is not None else ()
            mark = self._triage.mark(event, reading, recent)
            decision = decide_threading(current.case, event.timestamp_ms, settings.reopen_window_ms)
            now = self._clock()
            superseded = None
            if decision.action is Threading.NEW:
                case = self._open_case(event, reading, mark, sla, now=now, follow_up_of=decision.follow_up_of)
                if current.case is not None:
                    # The follow-up knows every id of its customer, so all their copies move to it.
                    case = replace(case, customer=_with_ids(case.customer, current.case.customer.all_ids))
                    superseded = replace(
                        current.case, superseded_by=case.case_id, updated_at_ms=now, version=current.case.version + 1
                    )
            else:
                assert decision.case is not None
                case = apply_inbound(decision.case, event, now_ms=now, sla=sla)
                # Triage may raise the priority: the due times follow the policy for the case as routed.
                case = _with_sla_if_moved(case, self._triage.joined(case, reading, mark), sla, now)
            case = self._triage.remember(case, event, recent)
            entry = message_entry(event, case.case_id, EntryKind.INBOUND, author=event.customer.user_id, now_ms=now)
            try:
                self._store.commit_message(MessageCommit(event, classified(entry, reading), current, case, superseded))
            except DuplicateEvent:
                return Outcome.DUPLICATE
            except ConcurrentThreadingConflict:
                copies.forget(event.account_id, (*current.seen, *case.customer.all_ids))
                continue
            copies.wrote(case)
            self._triaged(event, reading, before=current.case, after=case)
            self._count(event, case, now, tally)
            if decision.action is Threading.NEW:
                self._ask_acknowledgement(case, event)
            return Outcome.STORED
        raise ConcurrentThreadingConflict(
            f"could not thread {event.event_id} after {settings.max_threading_attempts} tries"
        )

    def _open_case(
        self,
        event: PlatformEvent,
        reading: MessageReading,
        mark: CaseMark | None,
        sla: SlaInForce,
        *,
        now: int,
        follow_up_of: str | None,
    ) -> Case:
        settings = self._settings
        base = route_new_case(event, account_teams=settings.account_teams, default_team=settings.default_team)
        route = self._triage.route(event, reading, base)
        case = new_case(
            event,
            case_id=new_ulid(now),
            team=route.team,
            now_ms=now,
            sla=sla,
            priority=route.priority,
            follow_up_of=follow_up_of,
        )
        return _with_sla_if_moved(case, self._triage.opened(case, route, reading, mark), sla, now)

    def _triaged(self, event: PlatformEvent, reading: MessageReading, *, before: Case | None, after: Case) -> None:
        """Logs what triage found (ids and categories, never text) and tells a lead of a sensitive case."""
        routing = after.routing
        logger.info(
            "message triaged",
            extra={
                "event_id": event.event_id,
                "case_id": after.case_id,
                "team": after.team,
                "priority": str(after.priority),
                "rule": routing.rule if routing else None,
                "mark": after.mark.kind if after.mark else None,
                **reading.to_log(),
            },
        )
        notice = sensitive_notice(before, after)
        if notice is None or self._notifier is None:
            return
        try:
            self._notifier.sensitive_case(notice)
        except Exception:  # the case is in the trained team's queue at urgent already: the delivery stands
            logger.exception("lead not notified of a sensitive case", extra={"case_id": after.case_id})

    def _count(self, event: PlatformEvent, case: Case, now: int, tally: SurgeTally | None) -> None:
        if self._counter is None:
            return
        tags = case.routing.tags if case.routing else ()
        keys = self._settings.surges.keys(event.account_id, tags, event.text or "")
        counted = SurgeTally() if tally is None else tally
        counted.add(bucket_of(now), keys, case.case_id, hint=event.event_id)
        if tally is None:
            self.count_surges(counted)

    def _ask_acknowledgement(self, case: Case, event: PlatformEvent) -> None:
        """A message opened the case: the outbound function decides whether (and what) to acknowledge
        (``socialcare.automated``). Best effort: the message is stored, and a retried delivery is a
        duplicate that asks nothing again, so a failure is logged rather than raised."""
        if self._tasks is None:
            return
        task = CaseTask(TaskKind.ACKNOWLEDGE, case.case_id)
        try:
            self._tasks.send_json(task.to_json(), case_id=case.case_id, channel=event.channel.value)
        except Exception:
            logger.exception("acknowledgement not asked for", extra={"case_id": case.case_id})

    def _read_current(
        self, event: PlatformEvent, copies: DeliveryCopies, *, thorough: bool = False, also: tuple[str, ...] = ()
    ) -> CurrentCase:
        """The customer's current case: one read, of the copies of the event's ids (and ``also``'s).

        The case may know ids the event lacks (the number a WhatsApp customer changed from). Every
        write of a case writes all its ids' copies, so theirs are taken to hold it as read; the
        write is conditioned on that and fails if one does not, and the retry (``thorough``, with
        the ids the case read before knew as ``also``) reads them too.
        """
        assert event.customer is not None
        ids = tuple(dict.fromkeys((*event.customer.all_ids, *also)))
        current = copies.current_case(event.account_id, ids)
        case = current.case
        others = [uid for uid in case.customer.all_ids if uid not in current.seen] if case is not None else []
        if case is None or not others:
            return current
        if thorough:
            return copies.current_case(event.account_id, (*ids, *others))
        return CurrentCase(case, {**current.seen, **dict.fromkeys(others, (case.case_id, case.version))})

    # ---- the brand's own messages ----------------------------------------------------------
    def _record_echo(self, event: PlatformEvent, raw_key: str | None, copies: DeliveryCopies) -> str:
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
                current = self._read_current(event, copies, thorough=attempt > 0, also=known)
                known = current.case.customer.all_ids if current.case is not None else ()
            if current.case is None:
                if not names_no_customer and self._store.find_message(
                    event.platform, event.account_id, event.message_id
                ):
                    return Outcome.DUPLICATE  # this system's reply, to a customer id no case knows
                self._store.record_unmatched(event, reason="echo_without_case", raw_key=raw_key, day=self._day(event))
                return Outcome.UNMATCHED
            now = self._clock()
            case = apply_outbound(current.case, timestamp_ms=event.timestamp_ms, now_ms=now)
            entry = message_entry(event, case.case_id, EntryKind.OUTBOUND, author="brand", now_ms=now)
            try:
                self._store.commit_message(MessageCommit(event, entry, current, case))
            except DuplicateEvent:
                return Outcome.DUPLICATE
            except ConcurrentThreadingConflict:
                copies.forget(event.account_id, (*current.seen, *case.customer.all_ids))
                continue
            copies.wrote(case)
            return Outcome.STORED
        raise ConcurrentThreadingConflict(f"could not record echo {event.event_id}")

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
            return self._keep_raw(event, "identity_without_case", raw_key)
        return outcome

    def _target_unknown(self, event: PlatformEvent, raw_key: str | None, attempt: int) -> str:
        """Its message is not stored yet: wait for it (the delivery is retried), up to a bound."""
        if attempt < self._settings.unmatched_after_attempts:
            logger.info(
                "event waits for its message",
                extra={"platform": event.platform, "kind": event.kind, "event_id": event.event_id, "attempt": attempt},
            )
            return Outcome.WAITING
        return self._keep_raw(event, "target_never_arrived", raw_key)


def _with_sla_if_moved(before: Case, triaged: Case, sla: SlaInForce, now: int) -> Case:
    """``triaged``: ``before`` (its due times computed at ``now``) as triage left it. Its due times again
    only if triage moved what they depend on (team, priority, a mark; it never changes the status)."""
    if (triaged.team, triaged.priority, triaged.mark) == (before.team, before.priority, before.mark):
        return triaged
    return with_sla(triaged, sla, now)


def _with_ids(customer: Customer, ids: tuple[str, ...]) -> Customer:
    alt_ids = tuple(i for i in dict.fromkeys((*customer.alt_ids, *ids)) if i != customer.user_id)
    return replace(customer, alt_ids=alt_ids)


def _day(timestamp_ms: int) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(timestamp_ms / 1000))
