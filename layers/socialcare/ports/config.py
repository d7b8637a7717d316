"""The configuration's ports: SLA, departments, routing rules (the admin routes;
``agents/sla_admin.py``, ``routing_admin.py``), and what ingest reads of them.

The DynamoDB adapter is ``socialcare.aws.config_store.ConfigStore``, its twin
``socialcare.memory.config_store.MemoryConfigStore``; ``tests/contract/test_config_store.py`` holds
both to the same behaviour.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from socialcare.model.audit import AuditRecord
from socialcare.model.config import ConfigKind, StoredConfig


@dataclass(frozen=True, slots=True)
class SlaConfigDocuments:
    """What a case's due times are computed from: the policy set (``None`` until one is stored) and
    every stored business calendar, read together."""

    policies: StoredConfig | None
    calendars: tuple[StoredConfig, ...]


class ConfigReader(Protocol):
    """One configuration document, as those who only follow the configuration read it (ingest)."""

    def get_config(self, kind: ConfigKind, name: str) -> StoredConfig | None: ...


class ConfigRepository(ConfigReader, Protocol):
    """Versioned configuration documents, each write audited. Reads are keyed (GetItem, Query)."""

    def list_configs(self, kind: ConfigKind) -> list[StoredConfig]:
        """Every stored configuration of the kind, by name."""
        ...

    def sla_config(self) -> SlaConfigDocuments:
        """The stored policy set and calendars, read together (one keyed Query)."""
        ...

    def save_config(self, config: StoredConfig, audit: AuditRecord) -> None:
        """Store ``config`` as its version and its audit record, together or not at all: only over
        ``config.version - 1`` (nothing stored when that is 0); ``ConfigVersionConflict`` otherwise."""
        ...

    def config_audit(self, *, limit: int) -> list[AuditRecord]:
        """The latest audit records of configuration changes, newest first."""
        ...
