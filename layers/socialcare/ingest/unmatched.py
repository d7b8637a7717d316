"""Events kept raw instead of threaded: the unmatched log, filed by day, and why each is there."""

from __future__ import annotations

import logging
import re
import time

from socialcare.clock import Clock
from socialcare.ingest.outcomes import Outcome
from socialcare.model.events import PlatformEvent
from socialcare.ports import CaseRepository

logger = logging.getLogger(__name__)

_REASON_CODE = re.compile(r"[a-z][a-z0-9_]{0,63}")

# Reasons of the unmatched log that say the event is not the brand's (counted as FOREIGN).
FOREIGN_ACCOUNT = "foreign_account"
TEST_PING = "test_ping"


class Unmatched:
    def __init__(self, store: CaseRepository, *, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    def keep(self, event: PlatformEvent, reason: str, raw_key: str | None) -> str:
        self._store.record_unmatched(event, reason=reason, raw_key=raw_key, day=self._day(event))
        return Outcome.UNMATCHED

    def set_aside(self, event: PlatformEvent, raw_key: str | None) -> str:
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

    def unknown_kind(self, event: PlatformEvent, raw_key: str | None) -> str:
        """An event ingest does nothing with. The adapter's reason is the log's reason when it is a code
        (test_ping, service_message...); a shape problem it describes in words goes to the log line only."""
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
        return self.keep(event, reason, raw_key)

    def _day(self, event: PlatformEvent) -> str:
        """The day an unmatched event is filed under: its platform time, or (for events that carry
        none, such as WhatsApp errors or Telegram button presses) the day it was ingested."""
        return time.strftime("%Y-%m-%d", time.gmtime((event.timestamp_ms or self._clock()) / 1000))
