"""The agent service: every action of the agent API, one object made of the units that do them.

Each action reads the case, checks who may do it (``access``) and whether the case allows it, and
stores its effect in one transaction conditioned on the case version it read (``base``); a change
made meanwhile by a person is answered as a conflict, one made only by the system's bookkeeping is
decided again (``bookkeeping``). The units: ``reads`` (queues, own cases, a case, its audit trail,
canned responses), ``ownership`` (claim, assign, release), ``lifecycle`` (status), ``sending``
(replies, move to private), ``notes``, ``profile_admin``, ``triage_actions`` (re-route, mark,
restore, hide a comment), ``escalations`` (department escalation and answers), ``crisis_admin``
(crisis mode: crises and the automated messages they hold); entry-creating actions are made once per
Idempotency-Key (``idempotency``).
"""

from __future__ import annotations

from collections.abc import Callable

from socialcare import constants as c
from socialcare.agents.base import AgentDeps
from socialcare.agents.crisis_admin import CrisisAdmin
from socialcare.agents.cursor import CursorCodec
from socialcare.agents.department_deps import DepartmentDeps
from socialcare.agents.escalations import Escalations
from socialcare.agents.lifecycle import Lifecycle
from socialcare.agents.notes import Notes
from socialcare.agents.ownership import Ownership
from socialcare.agents.profile_admin import ProfileAdmin
from socialcare.agents.reads import Reads
from socialcare.agents.sending import Sending
from socialcare.agents.triage_actions import Triaging
from socialcare.clock import Clock
from socialcare.ports import AgentReplyQueue, AgentRepository, ConfigRepository, HeldMessages
from socialcare.rules.case_sla import SlaInForce
from socialcare.rules.sla import ResponseTargets


class AgentService(Reads, Ownership, Lifecycle, Sending, Notes, ProfileAdmin, Triaging, Escalations, CrisisAdmin):
    """Every action of the agent API: the units' methods on one set of dependencies."""

    def __init__(
        self,
        store: AgentRepository,
        outbound: AgentReplyQueue,
        *,
        clock: Clock,
        cursors: CursorCodec,
        default_brand_name: str = "our team",
        idempotency_ttl_ms: int = c.IDEMPOTENCY_TTL_HOURS * 3_600_000,
        targets: ResponseTargets | None = None,
        sla: Callable[[], SlaInForce] | None = None,
        departments: DepartmentDeps | None = None,
        config: ConfigRepository | None = None,
        held: HeldMessages | None = None,
    ) -> None:
        super().__init__(
            AgentDeps(
                store,
                outbound,
                clock,
                cursors,
                default_brand_name,
                idempotency_ttl_ms,
                targets or ResponseTargets(),
                sla,
                departments,
                config,
                held,
            )
        )
