"""The SLA configuration, the departments and the routing rules on DynamoDB (the ``ConfigRepository`` port).

Items (see ``schema.py``): the policy set ``CONFIG#sla`` / ``POLICIES``, each calendar
``CONFIG#sla`` / ``CALENDAR#<name>``, each department ``CONFIG#departments`` / ``DEPARTMENT#<id>``,
the routing rules ``CONFIG#routing`` / ``RULES``;
each declared crisis ``CONFIG#crises`` / ``CRISIS#<id>``;
each holds its document as JSON text with ``version``, ``updated_at_ms`` and ``updated_by``. Keeping
the policy set and the calendars in one partition lets a case's SLA be read with one Query. A write
is one transaction: the item, conditioned on the version it replaces, and its audit record under
``CONFIG#audit``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from botocore.exceptions import ClientError

from socialcare import constants as c
from socialcare.aws import keys
from socialcare.aws.audit_store import audit_item, item_to_audit
from socialcare.aws.items import item_key, n, s
from socialcare.aws.paging import conditional_put
from socialcare.aws.wiring import lazy_client
from socialcare.clock import Clock
from socialcare.errors import ConfigVersionConflict
from socialcare.model.audit import AuditRecord
from socialcare.model.config import POLICY_SET_NAME, ROUTING_RULES_NAME, ConfigKind, StoredConfig
from socialcare.ports import ConfigRepository, SlaConfigDocuments
from socialcare.rules.case_sla import SlaInForce
from socialcare.rules.sla import ResponseTargets

Item = dict[str, Any]


def config_key(kind: ConfigKind, name: str) -> tuple[str, str]:
    """(PK, SK) of a configuration item."""
    if kind is ConfigKind.SLA_POLICIES:
        return keys.SLA_CONFIG_PK, keys.POLICIES_SK
    if kind is ConfigKind.CALENDAR:
        return keys.SLA_CONFIG_PK, keys.CALENDAR_PREFIX + name
    if kind is ConfigKind.ROUTING_RULES:
        return keys.ROUTING_CONFIG_PK, keys.ROUTING_RULES_SK
    if kind is ConfigKind.CRISIS:
        return keys.CRISES_PK, keys.CRISIS_PREFIX + name
    return keys.DEPARTMENTS_PK, keys.DEPARTMENT_PREFIX + name


class ConfigStore:
    def __init__(self, table_name: str, *, client: Any = None) -> None:
        self._table = table_name
        self._client = lazy_client("dynamodb", client)

    def get_config(self, kind: ConfigKind, name: str) -> StoredConfig | None:
        pk, sk = config_key(kind, name)
        item = self._client().get_item(TableName=self._table, Key=item_key(pk, sk), ConsistentRead=True).get("Item")
        return None if item is None else item_to_config(item)

    def list_configs(self, kind: ConfigKind) -> list[StoredConfig]:
        pk, sk = config_key(kind, "")
        return [item_to_config(item) for item in self._query(pk, sk)]

    def sla_config(self) -> SlaConfigDocuments:
        found = [item_to_config(item) for item in self._query(keys.SLA_CONFIG_PK, None)]
        policies = next((cfg for cfg in found if cfg.kind is ConfigKind.SLA_POLICIES), None)
        return SlaConfigDocuments(policies, tuple(cfg for cfg in found if cfg.kind is ConfigKind.CALENDAR))

    def save_config(self, config: StoredConfig, audit: AuditRecord) -> None:
        item = config_item(config)
        if config.version == 1:
            put = conditional_put(self._table, item, "attribute_not_exists(#pk)")
        else:
            put = conditional_put(
                self._table,
                item,
                "attribute_exists(#pk) AND #version = :previous",
                names={"#version": "version"},
                values={":previous": n(config.version - 1)},
            )
        try:
            self._client().transact_write_items(
                TransactItems=[put, conditional_put(self._table, audit_item(audit), "attribute_not_exists(#pk)")]
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "TransactionCanceledException":
                raise
            raise ConfigVersionConflict(
                f"{config.kind.subject(config.name)} changed since version {config.version - 1}; reload it and try again"
            ) from exc

    def config_audit(self, *, limit: int) -> list[AuditRecord]:
        resp = self._client().query(
            TableName=self._table,
            KeyConditionExpression="#pk = :pk",
            ExpressionAttributeNames={"#pk": c.PARTITION_KEY},
            ExpressionAttributeValues={":pk": s(keys.CONFIG_AUDIT_PK)},
            ScanIndexForward=False,
            ConsistentRead=True,
            Limit=limit,
        )
        return [item_to_audit(item) for item in resp.get("Items", [])]

    def _query(self, pk: str, sort_prefix: str | None) -> list[Mapping[str, Any]]:
        names = {"#pk": c.PARTITION_KEY}
        values: dict[str, Any] = {":pk": s(pk)}
        condition = "#pk = :pk"
        if sort_prefix:
            names["#sk"] = c.SORT_KEY
            values[":sk"] = s(sort_prefix)
            condition += " AND begins_with(#sk, :sk)"
        params: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": condition,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
            "ConsistentRead": True,
        }
        items: list[Mapping[str, Any]] = []
        while True:
            resp = self._client().query(**params)
            items.extend(resp.get("Items", []))
            if "LastEvaluatedKey" not in resp:
                return items
            params["ExclusiveStartKey"] = resp["LastEvaluatedKey"]


def config_item(config: StoredConfig) -> Item:
    pk, sk = config_key(config.kind, config.name)
    return {
        **item_key(pk, sk),
        "entity": s(config.kind.value),
        "name": s(config.name),
        "version": n(config.version),
        "document": s(json.dumps(config.document, ensure_ascii=False, sort_keys=True)),
        "updated_at_ms": n(config.updated_at_ms),
        "updated_by": s(config.updated_by),
    }


def item_to_config(item: Mapping[str, Any]) -> StoredConfig:
    kind = ConfigKind(item["entity"]["S"])
    fixed = {ConfigKind.SLA_POLICIES: POLICY_SET_NAME, ConfigKind.ROUTING_RULES: ROUTING_RULES_NAME}
    return StoredConfig(
        kind=kind,
        name=fixed.get(kind) or str(item["name"]["S"]),
        version=int(item["version"]["N"]),
        document=json.loads(item["document"]["S"]),
        updated_at_ms=int(item["updated_at_ms"]["N"]),
        updated_by=str(item["updated_by"]["S"]),
    )


SLA_CACHE_MS = 60_000


class CachedSla:
    """The SLA in force for case writes, read from the store at most once a minute per process.

    A change an admin makes applies to the due times computed from then on, within a minute, at one
    Query a minute per warm function rather than one per message. While no policy set is stored, the
    deployed per-channel ``targets`` apply (``rules.case_sla``).
    """

    def __init__(
        self, store: ConfigRepository, targets: ResponseTargets, *, clock: Clock, ttl_ms: int = SLA_CACHE_MS
    ) -> None:
        self._store = store
        self._targets = targets
        self._clock = clock
        self._ttl_ms = ttl_ms
        self._value: SlaInForce | None = None
        self._read_at_ms = 0

    def __call__(self) -> SlaInForce:
        now = self._clock()
        if self._value is None or now - self._read_at_ms >= self._ttl_ms:
            documents = self._store.sla_config()
            self._value = SlaInForce.from_documents(
                documents.policies.document if documents.policies is not None else None,
                [calendar.document for calendar in documents.calendars],
                self._targets,
            )
            self._read_at_ms = now
        return self._value
