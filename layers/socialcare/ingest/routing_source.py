"""The routing rules ingest routes by: the stored ones, else the deployed ones, re-read every minute.

Admins change the rules through the agent API (``PUT /admin/routing/rules``), which stores them as a
versioned configuration document. Ingest reads that document on first use and again once its copy
is ``ttl_ms`` old (60 s by default), so a change applies to messages read within a minute, without a
redeploy, at the price of one GetItem per function instance per minute. While nothing is stored, the
rules the function was deployed with (``ROUTING_RULES``, or none) apply.

A stored document is validated when it is written; one that no longer loads (written by another
version of the code) is logged and the deployed rules apply instead. A failed read keeps the copy
already held (tried again on the next message); with none held yet, it fails the message, which the
queue delivers again.
"""

from __future__ import annotations

import logging
import threading

from socialcare.clock import Clock
from socialcare.errors import InvalidRoutingRules
from socialcare.ingest.triage import NO_RULES
from socialcare.model.config import ROUTING_RULES_NAME, ConfigKind
from socialcare.ports import ConfigReader
from socialcare.rules.routing_rules import RoutingRules

logger = logging.getLogger(__name__)

DEFAULT_TTL_MS = 60_000


class StoredRoutingRules:
    """``source()``: the rules in force now, read from ``config`` at most once per ``ttl_ms``."""

    def __init__(
        self, config: ConfigReader, *, deployed: RoutingRules | None, clock: Clock, ttl_ms: int = DEFAULT_TTL_MS
    ) -> None:
        self._config = config
        self._deployed = deployed or NO_RULES
        self._clock = clock
        self._ttl_ms = ttl_ms
        self._lock = threading.Lock()
        self._held: RoutingRules | None = None
        self._read_at_ms = 0

    def __call__(self) -> RoutingRules:
        now = self._clock()
        with self._lock:
            held = self._held
            if held is not None and now - self._read_at_ms < self._ttl_ms:
                return held
        try:
            rules = self._read()
        except Exception:
            if held is None:
                raise
            logger.warning("routing rules not read; the copy held stays in force", exc_info=True)
            return held
        with self._lock:
            self._held, self._read_at_ms = rules, now
        return rules

    def _read(self) -> RoutingRules:
        stored = self._config.get_config(ConfigKind.ROUTING_RULES, ROUTING_RULES_NAME)
        if stored is None:
            return self._deployed
        try:
            return RoutingRules.from_config({**stored.document, "version": stored.version})
        except InvalidRoutingRules as exc:
            logger.error(
                "stored routing rules do not load; the deployed rules apply",
                extra={"version": stored.version, "field": exc.field, "reason": exc.reason},
            )
            return self._deployed
