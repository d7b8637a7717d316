"""Who works a case: claiming it, a lead assigning it, releasing it. Only active cases are worked;
taking a case someone else owns is for leads and admins."""

from __future__ import annotations

from dataclasses import replace

from socialcare.agents import access
from socialcare.agents.base import CaseActions, bump
from socialcare.agents.bookkeeping import decided_again_after_bookkeeping
from socialcare.agents.commands import AssignCommand
from socialcare.agents.identity import Caller
from socialcare.agents.results import ActionResult
from socialcare.errors import AlreadyClaimed, CaseNotActive
from socialcare.model.audit import AuditAction
from socialcare.model.case import Case


class Ownership(CaseActions):
    @decided_again_after_bookkeeping
    def claim(self, caller: Caller, case_id: str, *, expected_version: int | None = None) -> ActionResult:
        case = self._load(caller, case_id, access.require_view, expected_version)
        return self._take(caller, case, caller.agent_id, AuditAction.CLAIMED)

    @decided_again_after_bookkeeping
    def assign(
        self, caller: Caller, case_id: str, command: AssignCommand, *, expected_version: int | None = None
    ) -> ActionResult:
        case = self._load(
            caller, case_id, lambda who, k: access.require_assign(who, k, command.agent_id), expected_version
        )
        return self._take(caller, case, command.agent_id, AuditAction.ASSIGNED)

    def _take(self, caller: Caller, case: Case, owner: str, action: AuditAction) -> ActionResult:
        now = self._clock()
        if not case.status.is_active:
            raise CaseNotActive(f"case {case.case_id} is {case.status}; only active cases are worked", current=case)
        if case.owner == owner:
            return ActionResult(case=case, now_ms=now, changed=False)
        if case.owner is not None and not caller.is_lead_or_admin:
            raise AlreadyClaimed(
                f"case {case.case_id} is already claimed by {case.owner}; a team lead can reassign it", current=case
            )
        after = bump(replace(case, owner=owner), now)
        details = {"owner": owner}
        if case.owner:
            details["previous_owner"] = case.owner
        self._commit(caller, case, after, action, now, details=details)
        return ActionResult(case=after, now_ms=now)

    @decided_again_after_bookkeeping
    def release(self, caller: Caller, case_id: str, *, expected_version: int | None = None) -> ActionResult:
        case = self._load(caller, case_id, access.require_release, expected_version)
        now = self._clock()
        if case.owner is None:
            return ActionResult(case=case, now_ms=now, changed=False)
        after = bump(replace(case, owner=None), now)
        self._commit(caller, case, after, AuditAction.RELEASED, now, details={"previous_owner": case.owner})
        return ActionResult(case=after, now_ms=now)
