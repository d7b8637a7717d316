"""The shape every agent action shares: load the case, check who may act and on which version,
decide, and commit the effect in one transaction conditioned on the version read.

``AgentDeps`` is what the actions run on (the store and queue ports, the clock, the cursor codec,
settings, the crises); ``CaseActions`` is the base of each unit of the agent service (reads,
ownership, lifecycle, replies, notes, profiles, crises).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from socialcare import constants as c
from socialcare.agents.bookkeeping import only_bookkeeping_changed
from socialcare.agents.cursor import CursorCodec
from socialcare.agents.department_deps import DepartmentDeps
from socialcare.agents.identity import Caller
from socialcare.clock import Clock
from socialcare.errors import CaseNotFound, CaseVersionConflict, MovedOnByBookkeeping, StateConflict
from socialcare.ids import new_ulid
from socialcare.model.audit import AuditAction, AuditRecord
from socialcare.model.case import Case, CaseStatus, ThreadEntry
from socialcare.model.config import ConfigKind
from socialcare.model.crisis import Crisis
from socialcare.model.profile import BrandProfile, case_values
from socialcare.ports import (
    AgentChange,
    AgentReplyQueue,
    AgentRepository,
    ConfigRepository,
    EscalationWrite,
    HeldMessages,
    IdempotencyMarker,
)
from socialcare.rules.case_sla import SlaInForce, status_changed, with_sla
from socialcare.rules.crisis import crisis_from_config
from socialcare.rules.sla import ResponseTargets

logger = logging.getLogger(__name__)

CASE_ID_PATTERN = re.compile(r"^[0-9A-HJKMNP-TV-Z]{26}$")

AccessCheck = Callable[[Caller, Case], None]


@dataclass(frozen=True, slots=True)
class AgentDeps:
    store: AgentRepository
    outbound: AgentReplyQueue
    clock: Clock
    cursors: CursorCodec
    default_brand_name: str = "our team"
    idempotency_ttl_ms: int = c.IDEMPOTENCY_TTL_HOURS * 3_600_000
    # The per-channel targets due times fall back to while no SLA policy set is stored.
    targets: ResponseTargets = field(default_factory=ResponseTargets)
    # The SLA in force (the stored policy set, read through a short cache); None: ``targets``.
    sla: Callable[[], SlaInForce] | None = None
    # Department escalation (None: not deployed here, the escalation routes answer 503).
    departments: DepartmentDeps | None = None
    # Crisis mode (``crisis_admin``): the crises among the configuration, and the messages they hold.
    # None: no crisis is known (the case views carry none; the crisis routes are unavailable).
    config: ConfigRepository | None = None
    held: HeldMessages | None = None


class CaseActions:
    def __init__(self, deps: AgentDeps) -> None:
        self._deps = deps
        self._store = deps.store
        self._clock = deps.clock

    def _sla(self) -> SlaInForce:
        source = self._deps.sla
        return source() if source is not None else SlaInForce(self._deps.targets)

    def _moved(self, before: Case, after: Case, now: int) -> Case:
        """``after`` (``before`` in a new status, re-routed, or answered) with its SLA facts, due times
        and follow-up (planned when it enters ``pending_customer``)."""
        from socialcare.agents.follow_up import with_agent_follow_up

        sla = self._sla()
        if after.status is not CaseStatus.PENDING_INTERNAL:
            after = replace(after, waiting_on=None)  # no longer waiting on a department
        return with_agent_follow_up(sla, before, with_sla(status_changed(before, after, sla, now), sla, now), now)

    def _case(self, case_id: str) -> Case:
        if not CASE_ID_PATTERN.match(case_id):
            raise CaseNotFound(f"no case {case_id}")
        return self._store.get_case(case_id)

    def _load(self, caller: Caller, case_id: str, check: AccessCheck, expected_version: int | None) -> Case:
        case = self._case(case_id)
        self._check(caller, case, check, expected_version)
        return case

    @staticmethod
    def _check(caller: Caller, case: Case, check: AccessCheck, expected_version: int | None) -> None:
        check(caller, case)
        if expected_version is not None and case.version != expected_version:
            raise CaseVersionConflict(
                f"case {case.case_id} is at version {case.version}, not {expected_version} as expected (If-Match); "
                "review the change and try again",
                current=case,
            )

    def _crises(self, now_ms: int) -> tuple[Crisis, ...]:
        """Every declared crisis active at ``now_ms`` (none when crises are not wired in)."""
        config = self._deps.config
        if config is None:
            return ()
        crises = (crisis_from_config(c.document, version=c.version) for c in config.list_configs(ConfigKind.CRISIS))
        return tuple(crisis for crisis in crises if crisis.active_at(now_ms))

    def _profile(self, account_id: str) -> BrandProfile:
        return self._store.profile(account_id) or BrandProfile.default(account_id, self._deps.default_brand_name)

    def _commit(
        self,
        caller: Caller,
        before: Case,
        after: Case,
        action: AuditAction,
        now: int,
        *,
        details: Mapping[str, str],
        entries: Sequence[ThreadEntry] = (),
        marker: IdempotencyMarker | None = None,
        escalation: EscalationWrite | None = None,
    ) -> None:
        """Store the action whole; on a lost race, the error carries the case as it now is."""
        by = (caller.agent_id, caller.role.value)
        audit = AuditRecord.of_case(after.version, before.case_id, action, by=by, at_ms=now, details=details)
        try:
            self._store.commit(AgentChange(before, after, audit, entries, marker, escalation), now_ms=now)
        except StateConflict as exc:
            current = self._store.get_case(before.case_id)
            if (
                isinstance(exc, CaseVersionConflict)
                and only_bookkeeping_changed(before, current)
                and not self._store.acted_since(before.case_id, before.version)
            ):
                raise MovedOnByBookkeeping(exc.message, current=current) from exc
            exc.current = current
            logger.info("agent action lost a race", extra={"case_id": before.case_id, "action": action.value})
            raise


def audit_record(caller: Caller, action: AuditAction, now: int, **about: Any) -> AuditRecord:
    """The caller's action now, for the audit trail; ``about``: what it was done to (``case_id`` and
    ``case_version``, ``account_id`` or ``subject``) and its ``details``."""
    return AuditRecord(
        record_id=new_ulid(now), at_ms=now, actor=caller.agent_id, actor_role=caller.role.value, action=action, **about
    )


def bump(case: Case, now: int) -> Case:
    """The case as an action leaves it: a new version, updated now."""
    return replace(case, updated_at_ms=now, version=case.version + 1)


def placeholder_values(case: Case, caller: Caller, profile: BrandProfile) -> dict[str, str | None]:
    """The values a canned response's placeholders take for this case and caller."""
    return {
        **case_values(case, profile.brand_name),
        "agent_name": caller.display_name,
        "agent_first_name": caller.first_name,
    }
