"""Admins reading and changing a brand account's profile (signature, canned responses, invitation);
every change is audited on the account."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from socialcare.agents import access
from socialcare.agents.base import CaseActions
from socialcare.agents.identity import Caller
from socialcare.agents.results import ProfileResult
from socialcare.errors import InvalidRequest
from socialcare.ids import new_ulid
from socialcare.model.audit import AuditAction, AuditRecord
from socialcare.model.profile import profile_from_document

ACCOUNT_ID_PATTERN = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")


class ProfileAdmin(CaseActions):
    def get_profile(self, caller: Caller, account_id: str) -> ProfileResult:
        access.require_admin(caller)
        _check_account_id(account_id)
        return ProfileResult(self._profile(account_id))

    def put_profile(self, caller: Caller, account_id: str, document: Mapping[str, Any]) -> ProfileResult:
        access.require_admin(caller)
        _check_account_id(account_id)
        now = self._clock()
        base = self._profile(account_id)
        profile = replace(
            profile_from_document(account_id, document, base=base), updated_at_ms=now, updated_by=caller.agent_id
        )
        audit = AuditRecord(
            record_id=new_ulid(now),
            at_ms=now,
            actor=caller.agent_id,
            actor_role=caller.role.value,
            action=AuditAction.PROFILE_UPDATED,
            account_id=account_id,
            details={"fields": ",".join(sorted(document))},
        )
        self._store.save_profile(profile, audit)
        return ProfileResult(profile)


def _check_account_id(account_id: str) -> None:
    if not ACCOUNT_ID_PATTERN.match(account_id):
        raise InvalidRequest(f"account id must match {ACCOUNT_ID_PATTERN.pattern}")
