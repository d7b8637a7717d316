"""The SLA configuration and the departments in memory (the ``ConfigRepository`` port), twin of
``aws.config_store``: versioned documents, each write conditioned on the version it replaces and
stored with its audit record, or not at all."""

from __future__ import annotations

import copy
import threading

from socialcare.errors import ConfigVersionConflict
from socialcare.model.audit import AuditRecord
from socialcare.model.config import POLICY_SET_NAME, ConfigKind, StoredConfig
from socialcare.ports import SlaConfigDocuments


class MemoryConfigStore:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._configs: dict[tuple[ConfigKind, str], StoredConfig] = {}
        self._audit: list[AuditRecord] = []

    def get_config(self, kind: ConfigKind, name: str) -> StoredConfig | None:
        with self._lock:
            return self._copy(self._configs.get((kind, name)))

    def list_configs(self, kind: ConfigKind) -> list[StoredConfig]:
        with self._lock:
            found = sorted((cfg for (k, _), cfg in self._configs.items() if k is kind), key=lambda cfg: cfg.name)
            return [cfg for cfg in map(self._copy, found) if cfg is not None]

    def sla_config(self) -> SlaConfigDocuments:
        return SlaConfigDocuments(
            self.get_config(ConfigKind.SLA_POLICIES, POLICY_SET_NAME), tuple(self.list_configs(ConfigKind.CALENDAR))
        )

    def save_config(self, config: StoredConfig, audit: AuditRecord) -> None:
        with self._lock:
            stored = self._configs.get((config.kind, config.name))
            if (stored.version if stored else 0) != config.version - 1:
                raise ConfigVersionConflict(
                    f"{config.kind.subject(config.name)} changed since version {config.version - 1}; "
                    "reload it and try again"
                )
            self._configs[(config.kind, config.name)] = self._copy(config) or config
            self._audit.append(audit)

    def config_audit(self, *, limit: int) -> list[AuditRecord]:
        with self._lock:
            return sorted(self._audit, key=lambda r: (r.at_ms, r.record_id), reverse=True)[:limit]

    @staticmethod
    def _copy(config: StoredConfig | None) -> StoredConfig | None:
        """A deep copy, as a store returns what it read: a caller changing a document changes nothing here."""
        if config is None:
            return None
        return StoredConfig(
            config.kind,
            config.name,
            config.version,
            copy.deepcopy(dict(config.document)),
            config.updated_at_ms,
            config.updated_by,
        )
