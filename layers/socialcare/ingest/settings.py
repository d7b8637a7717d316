"""What the ingest service is configured with (the ingest function builds it from its configuration)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from socialcare import constants as c
from socialcare.model.accounts import BrandAccounts
from socialcare.rules.routing_rules import RoutingRules
from socialcare.rules.sla import ResponseTargets
from socialcare.rules.surges import SurgeSettings


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
