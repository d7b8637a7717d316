"""The agent service: every action of the agent API, one object delegating to the units that do it.

Each action reads the case, checks who may do it (``access``) and whether the case allows it, and
stores its effect in one transaction conditioned on the case version it read (``base``); a change
made meanwhile by a person is answered as a conflict, one made only by the system's bookkeeping is
decided again (``bookkeeping``). The units: ``reads`` (queues, own cases, a case, its audit trail,
canned responses), ``ownership`` (claim, assign, release), ``lifecycle`` (status), ``sending``
(replies, move to private), ``notes``, ``profile_admin``; entry-creating actions are made once per
Idempotency-Key (``idempotency``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from socialcare import constants as c
from socialcare.agents.base import AgentDeps
from socialcare.agents.commands import (
    AssignCommand,
    MoveToPrivateCommand,
    NoteCommand,
    PageQuery,
    QueueQuery,
    ReplyCommand,
    StatusCommand,
)
from socialcare.agents.cursor import CursorCodec
from socialcare.agents.identity import Caller
from socialcare.agents.lifecycle import Lifecycle
from socialcare.agents.notes import Notes
from socialcare.agents.ownership import Ownership
from socialcare.agents.profile_admin import ProfileAdmin
from socialcare.agents.reads import Reads
from socialcare.agents.results import ActionResult, AuditList, CannedList, CaseDetail, CaseList, ProfileResult
from socialcare.agents.sending import Sending
from socialcare.clock import Clock
from socialcare.ports import AgentReplyQueue, AgentRepository


class AgentService:
    def __init__(
        self,
        store: AgentRepository,
        outbound: AgentReplyQueue,
        *,
        clock: Clock,
        cursors: CursorCodec,
        default_brand_name: str = "our team",
        idempotency_ttl_ms: int = c.IDEMPOTENCY_TTL_HOURS * 3_600_000,
    ) -> None:
        deps = AgentDeps(store, outbound, clock, cursors, default_brand_name, idempotency_ttl_ms)
        self._reads = Reads(deps)
        self._ownership = Ownership(deps)
        self._lifecycle = Lifecycle(deps)
        self._sending = Sending(deps)
        self._notes = Notes(deps)
        self._profiles = ProfileAdmin(deps)

    # ---- reads -------------------------------------------------------------------------------
    def list_queue(self, caller: Caller, team: str, query: QueueQuery) -> CaseList:
        return self._reads.list_queue(caller, team, query)

    def my_cases(self, caller: Caller, query: PageQuery) -> CaseList:
        return self._reads.my_cases(caller, query)

    def get_case(self, caller: Caller, case_id: str) -> CaseDetail:
        return self._reads.get_case(caller, case_id)

    def audit_trail(self, caller: Caller, case_id: str, query: PageQuery) -> AuditList:
        return self._reads.audit_trail(caller, case_id, query)

    def canned_responses(self, caller: Caller, case_id: str) -> CannedList:
        return self._reads.canned_responses(caller, case_id)

    # ---- ownership and status ------------------------------------------------------------------
    def claim(self, caller: Caller, case_id: str, *, expected_version: int | None = None) -> ActionResult:
        return self._ownership.claim(caller, case_id, expected_version=expected_version)

    def assign(
        self, caller: Caller, case_id: str, command: AssignCommand, *, expected_version: int | None = None
    ) -> ActionResult:
        return self._ownership.assign(caller, case_id, command, expected_version=expected_version)

    def release(self, caller: Caller, case_id: str, *, expected_version: int | None = None) -> ActionResult:
        return self._ownership.release(caller, case_id, expected_version=expected_version)

    def change_status(
        self, caller: Caller, case_id: str, command: StatusCommand, *, expected_version: int | None = None
    ) -> ActionResult:
        return self._lifecycle.change_status(caller, case_id, command, expected_version=expected_version)

    # ---- thread entries ------------------------------------------------------------------------
    def reply(
        self,
        caller: Caller,
        case_id: str,
        command: ReplyCommand,
        *,
        expected_version: int | None = None,
        idempotency_key: str | None = None,
    ) -> ActionResult:
        return self._sending.reply(
            caller, case_id, command, expected_version=expected_version, idempotency_key=idempotency_key
        )

    def move_to_private(
        self,
        caller: Caller,
        case_id: str,
        command: MoveToPrivateCommand,
        *,
        expected_version: int | None = None,
        idempotency_key: str | None = None,
    ) -> ActionResult:
        return self._sending.move_to_private(
            caller, case_id, command, expected_version=expected_version, idempotency_key=idempotency_key
        )

    def add_note(
        self,
        caller: Caller,
        case_id: str,
        command: NoteCommand,
        *,
        expected_version: int | None = None,
        idempotency_key: str | None = None,
    ) -> ActionResult:
        return self._notes.add_note(
            caller, case_id, command, expected_version=expected_version, idempotency_key=idempotency_key
        )

    # ---- brand profiles ------------------------------------------------------------------------
    def get_profile(self, caller: Caller, account_id: str) -> ProfileResult:
        return self._profiles.get_profile(caller, account_id)

    def put_profile(self, caller: Caller, account_id: str, document: Mapping[str, Any]) -> ProfileResult:
        return self._profiles.put_profile(caller, account_id, document)
