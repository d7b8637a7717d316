"""Threads each event of a verified delivery into its case, exactly once.

Exactly-once rests on the platform's own message ids: the message, its case change and
the dedup marker are written in one transaction conditioned on the marker not existing,
so a retried delivery (Meta retries for up to 7 days) or a re-run batch changes nothing.

Only the brand's own accounts count: an event of an account that is not configured (another
Page's entry in a shared batch, a dashboard test ping) is kept raw and never becomes or touches
a case; nor does the brand ever become its own customer (``unmatched.py``). The events that change
a stored message rather than thread a new one (echoes, edits, deletions, statuses, reactions,
identity changes) are applied by ``updates.py``; one about a message not stored yet makes the
delivery wait: it is retried a bounded number of times, then kept raw as ``target_never_arrived``.

Every customer message stored is counted for surge detection (``rules/surges.py``): its brand
account and topics, in a ``SurgeTally`` written with one keyed ADD per bucket after the delivery
(or, given a tally, by the caller: the ingest function writes one per invocation). Counts are a
signal: a write that fails is logged and the delivery stands.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace

from socialcare.clock import Clock
from socialcare.errors import (
    ConcurrentThreadingConflict,
    UnstorableEvent,
)
from socialcare.ids import new_ulid
from socialcare.ingest.copies import DeliveryCopies
from socialcare.ingest.entries import message_entry
from socialcare.ingest.outcomes import DeliveryReport, Outcome
from socialcare.ingest.settings import IngestSettings
from socialcare.ingest.triage import MessageReading, Triage, classified, sensitive_notice
from socialcare.ingest.unmatched import Unmatched
from socialcare.ingest.updates import UPDATES, MessageUpdates
from socialcare.model.case import Case, CaseMark, EntryKind
from socialcare.model.events import Customer, EventKind, ParsedDelivery, PlatformEvent
from socialcare.model.surges import SurgeTally
from socialcare.model.tasks import CaseTask, TaskKind
from socialcare.ports import CaseRepository, LeadNotifier, MessageCommit, SurgeCounter, TaskQueue
from socialcare.rules.case_sla import SlaInForce, with_sla
from socialcare.rules.cases import (
    Threading,
    apply_inbound,
    decide_threading,
    new_case,
)
from socialcare.rules.routing import route_new_case
from socialcare.rules.surges import bucket_of, shard_of

# What the ingest function and the tests import from here (settings and outcomes have modules of their own).
__all__ = ["DeliveryReport", "IngestSettings", "Ingestor", "Outcome"]

logger = logging.getLogger(__name__)


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
        self._unmatched = Unmatched(store, clock=clock)
        self._updates = MessageUpdates(store, clock=clock, settings=self._settings, unmatched=self._unmatched)

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
                outcome = self._unmatched.keep(event, "unstorable", raw_key)
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
            return self._unmatched.set_aside(event, raw_key)
        if event.is_customer_message:
            if self._is_brand_party(event):
                return self._unmatched.keep(event, "brand_own_message", raw_key)
            return self._thread_customer_message(event, tally, copies)
        if event.kind in UPDATES:
            return self._updates.apply(event, raw_key=raw_key, attempt=attempt, copies=copies)
        return self._unmatched.unknown_kind(event, raw_key)

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

    def _timed(self, event: PlatformEvent) -> PlatformEvent:
        """An event whose payload had no usable time (and that was parsed without the received
        time) takes the time it is ingested."""
        if event.timestamp_estimated and event.timestamp_ms == 0:
            return replace(event, timestamp_ms=self._clock())
        return event

    # ---- customer messages ---------------------------------------------------------------
    def _thread_customer_message(self, event: PlatformEvent, tally: SurgeTally | None, copies: DeliveryCopies) -> str:
        assert event.customer is not None
        assert event.message_id is not None
        settings = self._settings
        reading = self._triage.read(event)
        sla = self._sla()
        known: tuple[str, ...] = ()
        for attempt in range(settings.max_threading_attempts):
            current = copies.of_customer(event, thorough=attempt > 0, also=known)
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
            outcome = copies.commit(MessageCommit(event, classified(entry, reading), current, case, superseded))
            if outcome is None:
                continue
            if outcome == Outcome.DUPLICATE:
                return outcome
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


def _with_sla_if_moved(before: Case, triaged: Case, sla: SlaInForce, now: int) -> Case:
    """``triaged``: ``before`` (its due times computed at ``now``) as triage left it. Its due times again
    only if triage moved what they depend on (team, priority, a mark; it never changes the status)."""
    if (triaged.team, triaged.priority, triaged.mark) == (before.team, before.priority, before.mark):
        return triaged
    return with_sla(triaged, sla, now)


def _with_ids(customer: Customer, ids: tuple[str, ...]) -> Customer:
    alt_ids = tuple(i for i in dict.fromkeys((*customer.alt_ids, *ids)) if i != customer.user_id)
    return replace(customer, alt_ids=alt_ids)
