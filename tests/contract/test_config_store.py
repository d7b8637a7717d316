"""The configuration store's contract (``socialcare.ports.ConfigRepository``): the same tests against
the DynamoDB store (on moto) and its in-memory twin."""

from __future__ import annotations

from typing import Any

import pytest
from socialcare.errors import ConfigVersionConflict
from socialcare.model.audit import AuditAction, AuditRecord
from socialcare.model.config import POLICY_SET_NAME, ConfigKind, StoredConfig
from socialcare.ports import ConfigRepository

pytestmark = pytest.mark.integration

T0 = 1_767_258_000_000


@pytest.fixture(params=["dynamodb", "memory"])
def store(request: pytest.FixtureRequest) -> ConfigRepository:
    if request.param == "dynamodb":
        from socialcare.aws.config_store import ConfigStore

        aws: Any = request.getfixturevalue("aws")
        return ConfigStore(aws.table_name, client=aws.dynamodb)
    from socialcare.memory.config_store import MemoryConfigStore

    return MemoryConfigStore()


def config(kind: ConfigKind, name: str, version: int, **document: object) -> StoredConfig:
    return StoredConfig(kind, name, version, {"name": name, **document}, T0 + version, "root")


def audit(n: int, subject: str, version: int) -> AuditRecord:
    return AuditRecord(
        record_id=f"01JGZ8Q5K2M3N4P5Q6R7S8T{n:03d}",
        at_ms=T0 + n,
        actor="root",
        actor_role="admin",
        action=AuditAction.CALENDAR_UPDATED,
        subject=subject,
        details={"version": str(version)},
    )


def test_a_saved_configuration_reads_back_as_stored(store: ConfigRepository) -> None:
    saved = config(ConfigKind.CALENDAR, "berlin", 1, time_zone="Europe/Berlin", hours={"mon": ["09:00-17:00"]})
    store.save_config(saved, audit(1, "calendar/berlin", 1))
    assert store.get_config(ConfigKind.CALENDAR, "berlin") == saved
    assert store.get_config(ConfigKind.CALENDAR, "paris") is None
    assert store.get_config(ConfigKind.DEPARTMENT, "berlin") is None  # kinds do not mix


def test_each_write_must_replace_the_version_before_it(store: ConfigRepository) -> None:
    store.save_config(config(ConfigKind.DEPARTMENT, "billing", 1), audit(1, "department/billing", 1))
    with pytest.raises(ConfigVersionConflict):
        store.save_config(config(ConfigKind.DEPARTMENT, "billing", 1), audit(2, "department/billing", 1))
    with pytest.raises(ConfigVersionConflict):
        store.save_config(config(ConfigKind.DEPARTMENT, "billing", 3), audit(3, "department/billing", 3))
    with pytest.raises(ConfigVersionConflict):  # a first write must be version 1
        store.save_config(config(ConfigKind.DEPARTMENT, "legal", 2), audit(4, "department/legal", 2))
    second = config(ConfigKind.DEPARTMENT, "billing", 2, note="changed")
    store.save_config(second, audit(5, "department/billing", 2))
    assert store.get_config(ConfigKind.DEPARTMENT, "billing") == second
    # a refused write leaves no audit record behind
    assert [r.details["version"] for r in store.config_audit(limit=10)] == ["2", "1"]


def test_lists_are_by_kind_and_name(store: ConfigRepository) -> None:
    for n, (kind, name) in enumerate(
        [
            (ConfigKind.CALENDAR, "paris"),
            (ConfigKind.DEPARTMENT, "legal"),
            (ConfigKind.CALENDAR, "always"),
            (ConfigKind.DEPARTMENT, "billing"),
        ],
        start=1,
    ):
        store.save_config(config(kind, name, 1), audit(n, kind.subject(name), 1))
    assert [c.name for c in store.list_configs(ConfigKind.CALENDAR)] == ["always", "paris"]
    assert [c.name for c in store.list_configs(ConfigKind.DEPARTMENT)] == ["billing", "legal"]
    assert store.list_configs(ConfigKind.SLA_POLICIES) == []


def test_the_sla_configuration_is_the_policy_set_and_every_calendar(store: ConfigRepository) -> None:
    assert store.sla_config().policies is None
    assert store.sla_config().calendars == ()
    calendar = config(ConfigKind.CALENDAR, "always", 1, always_open=True)
    policies = StoredConfig(ConfigKind.SLA_POLICIES, POLICY_SET_NAME, 1, {"version": 1, "policies": []}, T0, "root")
    store.save_config(calendar, audit(1, "calendar/always", 1))
    store.save_config(policies, audit(2, "sla/policies", 1))
    store.save_config(config(ConfigKind.DEPARTMENT, "billing", 1), audit(3, "department/billing", 1))
    found = store.sla_config()
    assert found.policies == policies
    assert found.calendars == (calendar,)


def test_audit_records_come_newest_first_with_their_subject(store: ConfigRepository) -> None:
    store.save_config(config(ConfigKind.CALENDAR, "berlin", 1), audit(1, "calendar/berlin", 1))
    store.save_config(config(ConfigKind.CALENDAR, "berlin", 2), audit(2, "calendar/berlin", 2))
    store.save_config(config(ConfigKind.DEPARTMENT, "legal", 1), audit(3, "department/legal", 1))
    records = store.config_audit(limit=2)
    assert [(r.subject, r.details["version"]) for r in records] == [("department/legal", "1"), ("calendar/berlin", "2")]
    assert records[0] == audit(3, "department/legal", 1)


def test_a_document_read_is_a_copy(store: ConfigRepository) -> None:
    store.save_config(config(ConfigKind.CALENDAR, "berlin", 1, hours={"mon": ["09:00-17:00"]}), audit(1, "c", 1))
    read = store.get_config(ConfigKind.CALENDAR, "berlin")
    assert read is not None
    read.document["hours"]["mon"].append("18:00-19:00")  # type: ignore[index]
    again = store.get_config(ConfigKind.CALENDAR, "berlin")
    assert again is not None
    assert again.document["hours"] == {"mon": ["09:00-17:00"]}
