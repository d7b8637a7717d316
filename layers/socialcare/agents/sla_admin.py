"""Admins changing the SLA configuration and the departments; leads and admins reading them.

Every document is validated by the rule that reads it (``PolicySet``, ``BusinessCalendar``,
``Department``: ``InvalidConfig`` naming the field) and stored in its normalised form as the next
version, together with its audit record. ``expected_version`` (If-Match) pins the version the admin
looked at: another one is ``ConfigVersionConflict``, and so is losing a race to a concurrent write.
Version 0 means "nothing stored": expecting it creates. A policy set may only name stored calendars.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from socialcare.agents import access
from socialcare.agents.identity import Caller
from socialcare.agents.sla_base import SlaActions, body_version, check_version
from socialcare.agents.sla_results import DEFAULTS_VERSION, ConfigList, ConfigResult
from socialcare.errors import ConfigNotFound, InvalidCalendar, InvalidConfig, InvalidDepartment, InvalidPolicy
from socialcare.model.config import POLICY_SET_NAME, ConfigKind
from socialcare.model.department import Department
from socialcare.rules.calendar import BusinessCalendar
from socialcare.rules.policies import PolicySet

NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")  # calendar names and department ids


class SlaAdmin(SlaActions):
    # --- the policy set -----------------------------------------------------------------------
    def get_policies(self, caller: Caller) -> ConfigResult:
        access.require_config_read(caller)
        stored = self._stored(ConfigKind.SLA_POLICIES, POLICY_SET_NAME)
        if stored is not None:
            return ConfigResult.of(stored)
        document = {**self._default_policies().to_config(), "version": DEFAULTS_VERSION}
        return ConfigResult(ConfigKind.SLA_POLICIES, POLICY_SET_NAME, DEFAULTS_VERSION, document, source="defaults")

    def put_policies(
        self, caller: Caller, document: Mapping[str, Any], *, expected_version: int | None
    ) -> ConfigResult:
        """Replace the policy set. ``version`` in the body, when given, is the version it replaces
        (as If-Match); the stored set gets the next one."""
        access.require_config_write(caller)
        expected = body_version(document, expected_version, InvalidPolicy)
        documents = self._config.sla_config()
        current = documents.policies.version if documents.policies else 0
        check_version(ConfigKind.SLA_POLICIES, POLICY_SET_NAME, current, expected)
        policy_set = PolicySet.from_config({**document, "version": current + 1})
        policy_set.require_calendars([calendar.name for calendar in documents.calendars])
        return self._save(caller, ConfigKind.SLA_POLICIES, POLICY_SET_NAME, current, policy_set.to_config())

    # --- calendars ----------------------------------------------------------------------------
    def list_calendars(self, caller: Caller) -> ConfigList:
        access.require_config_read(caller)
        return ConfigList(
            ConfigKind.CALENDAR, [ConfigResult.of(c) for c in self._config.list_configs(ConfigKind.CALENDAR)]
        )

    def get_calendar(self, caller: Caller, name: str) -> ConfigResult:
        access.require_config_read(caller)
        return self._get(ConfigKind.CALENDAR, name)

    def put_calendar(
        self, caller: Caller, name: str, document: Mapping[str, Any], *, expected_version: int | None
    ) -> ConfigResult:
        access.require_config_write(caller)
        _check_name(name, "name", InvalidCalendar)
        calendar = BusinessCalendar.from_config(_named(document, "name", name, InvalidCalendar))
        return self._put(caller, ConfigKind.CALENDAR, name, calendar.to_config(), expected_version)

    # --- departments --------------------------------------------------------------------------
    def list_departments(self, caller: Caller) -> ConfigList:
        access.require_config_read(caller)
        found = self._config.list_configs(ConfigKind.DEPARTMENT)
        return ConfigList(ConfigKind.DEPARTMENT, [ConfigResult.of(d) for d in found])

    def get_department(self, caller: Caller, department_id: str) -> ConfigResult:
        access.require_config_read(caller)
        return self._get(ConfigKind.DEPARTMENT, department_id)

    def put_department(
        self, caller: Caller, department_id: str, document: Mapping[str, Any], *, expected_version: int | None
    ) -> ConfigResult:
        access.require_config_write(caller)
        _check_name(department_id, "id", InvalidDepartment)
        department = Department.from_config(_named(document, "id", department_id, InvalidDepartment))
        return self._put(caller, ConfigKind.DEPARTMENT, department_id, department.to_config(), expected_version)

    # --- shared -------------------------------------------------------------------------------
    def _get(self, kind: ConfigKind, name: str) -> ConfigResult:
        stored = self._stored(kind, name) if NAME_PATTERN.match(name) else None
        if stored is None:
            raise ConfigNotFound(f"no {kind.value} named {name!r}")
        return ConfigResult.of(stored)

    def _put(
        self, caller: Caller, kind: ConfigKind, name: str, document: dict[str, object], expected: int | None
    ) -> ConfigResult:
        stored = self._stored(kind, name)
        current = stored.version if stored else 0
        check_version(kind, name, current, expected)
        return self._save(caller, kind, name, current, document)


def _check_name(name: str, field: str, error: type[InvalidConfig]) -> None:
    if not NAME_PATTERN.match(name):
        raise error(field, f"must match {NAME_PATTERN.pattern}")


def _named(document: Mapping[str, Any], field: str, name: str, error: type[InvalidConfig]) -> dict[str, Any]:
    """The document with its name from the path; a different name in the body is refused."""
    given = document.get(field, name)
    if given != name:
        raise error(field, f"is {given!r} but the path names {name!r}")
    return {**document, field: name}
