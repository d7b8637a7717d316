"""DynamoDB access for what agents do: queues, own work, actions on cases, audit, idempotency, profiles.

Reads are Query/GetItem on keys and indexes (GSI1 queue, GSI3 owner, GSI4 resolved/closed) —
never Scan. Every agent action is one TransactWriteItems: the case (conditioned on the version the
action was decided on) and its current-case copies, the thread entries it adds, its audit record
and, for requests that carry an idempotency key, the key's marker. Either all of it is stored or
none of it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from botocore.exceptions import ClientError

from socialcare import constants as c
from socialcare.agents.profile import BrandProfile, CannedResponse, SignatureStyle
from socialcare.aws import keys
from socialcare.aws.case_store import CaseStore, MessageRef
from socialcare.aws.items import Item, entry_item, item_key, item_to_case, n, s
from socialcare.errors import CaseVersionConflict, InvalidCursor, SocialCareError
from socialcare.model.audit import AuditAction, AuditRecord
from socialcare.model.case import Case, CaseStatus, Priority, ThreadEntry
from socialcare.model.events import Channel

T = TypeVar("T")
Position = dict[str, str]

MAX_QUERIES_PER_PAGE = 10  # a very selective filter returns a short page with a cursor, not a slow one


class MarkerExists(SocialCareError):
    """The idempotency key's marker is already stored: the request was made before."""

    code = "idempotency_marker_exists"


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    next_position: Position | None


@dataclass(frozen=True, slots=True)
class CaseFilter:
    statuses: frozenset[CaseStatus] | None = None
    channel: Channel | None = None
    priority: Priority | None = None
    owner: str | None = None
    unowned: bool = False

    @property
    def is_empty(self) -> bool:
        return not (self.statuses or self.channel or self.priority or self.owner or self.unowned)


@dataclass(frozen=True, slots=True)
class IdempotencyMarker:
    case_id: str
    agent_id: str
    key: str
    fingerprint: str
    entry_id: str
    created_at_ms: int
    expires_at_s: int
    queued: bool = True  # the reply's outbound request reached the queue (always true for notes)
    request_json: str | None = None  # the outbound request, to queue again when it did not


class AgentStore:
    def __init__(self, table_name: str, *, client: Any, case_store: CaseStore | None = None) -> None:
        self._table = table_name
        self._client = client
        self.cases = case_store or CaseStore(table_name, client=client)

    # ---- lists -----------------------------------------------------------------------------
    def team_queue(self, team: str, flt: CaseFilter, *, limit: int, start: Position | None) -> Page[Case]:
        """A team's active cases, the soonest (most overdue) response due first."""
        return self._page(
            index=(c.QUEUE_INDEX, c.QUEUE_INDEX_PK, c.QUEUE_INDEX_SK),
            partition=keys.queue_pk(team),
            flt=flt,
            limit=limit,
            start=start,
            forward=True,
            convert=item_to_case,
        )

    def team_finished(
        self, team: str, status: CaseStatus, flt: CaseFilter, *, limit: int, start: Position | None
    ) -> Page[Case]:
        """A team's resolved (or closed) cases, the most recently resolved (closed) first."""
        return self._page(
            index=(c.DONE_INDEX, c.DONE_INDEX_PK, c.DONE_INDEX_SK),
            partition=keys.done_pk(team, status.value),
            flt=flt,
            limit=limit,
            start=start,
            forward=False,
            convert=item_to_case,
        )

    def owned(self, agent_id: str, *, limit: int, start: Position | None) -> Page[Case]:
        """An agent's own active cases, the soonest response due first."""
        return self._page(
            index=(c.ASSIGNEE_INDEX, c.ASSIGNEE_INDEX_PK, c.ASSIGNEE_INDEX_SK),
            partition=keys.owner_pk(agent_id),
            flt=CaseFilter(),
            limit=limit,
            start=start,
            forward=True,
            convert=item_to_case,
        )

    def audit_trail(self, case_id: str, *, limit: int, start: Position | None) -> Page[AuditRecord]:
        """A case's audit records, oldest first."""
        return self._page(
            index=None,
            partition=keys.case_pk(case_id),
            sort_prefix=keys.AUDIT_PREFIX,
            flt=CaseFilter(),
            limit=limit,
            start=start,
            forward=True,
            convert=item_to_audit,
        )

    def acted_since(self, case_id: str, version: int) -> bool:
        """Whether anyone acted on the case after ``version`` (an audit record of a later version)."""
        resp = self._client.query(
            TableName=self._table,
            KeyConditionExpression="#pk = :pk AND #sk > :after",
            ExpressionAttributeNames={"#pk": c.PARTITION_KEY, "#sk": c.SORT_KEY},
            ExpressionAttributeValues={
                ":pk": s(keys.case_pk(case_id)),
                ":after": s(f"{keys.AUDIT_PREFIX}{version:013d}#~"),  # every record of a later version sorts after
            },
            ConsistentRead=True,
            Limit=1,
        )
        return any(str(item[c.SORT_KEY]["S"]).startswith(keys.AUDIT_PREFIX) for item in resp.get("Items", []))

    # ---- single reads ----------------------------------------------------------------------
    def get_entry(self, case_id: str, entry_id: str) -> ThreadEntry | None:
        return self.cases.get_entry(MessageRef(case_id=case_id, entry_id=entry_id))

    def marker(self, case_id: str, agent_id: str, key: str, *, now_ms: int) -> IdempotencyMarker | None:
        """The key's marker, unless it has expired (TTL deletes lazily, so expiry is checked here)."""
        resp = self._client.get_item(
            TableName=self._table,
            Key=item_key(keys.case_pk(case_id), keys.idempotency_sk(agent_id, key)),
            ConsistentRead=True,
        )
        item = resp.get("Item")
        if item is None or int(item[c.TTL_ATTRIBUTE]["N"]) * 1000 <= now_ms:
            return None
        return IdempotencyMarker(
            case_id=case_id,
            agent_id=agent_id,
            key=key,
            fingerprint=item["fingerprint"]["S"],
            entry_id=item["entry_id"]["S"],
            created_at_ms=int(item["created_at_ms"]["N"]),
            expires_at_s=int(item[c.TTL_ATTRIBUTE]["N"]),
            queued=bool(item.get("queued", {"BOOL": True})["BOOL"]),
            request_json=item["request"]["S"] if "request" in item else None,
        )

    def profile(self, account_id: str) -> BrandProfile | None:
        resp = self._client.get_item(
            TableName=self._table, Key=item_key(keys.account_pk(account_id), keys.PROFILE_SK), ConsistentRead=True
        )
        item = resp.get("Item")
        if item is None or "brand_name" not in item:
            return None
        return item_to_profile(account_id, item)

    # ---- writes ----------------------------------------------------------------------------
    def commit(
        self,
        *,
        before: Case,
        after: Case,
        audit: AuditRecord,
        entries: Sequence[ThreadEntry] = (),
        marker: IdempotencyMarker | None = None,
        now_ms: int = 0,
    ) -> None:
        """Store one agent action. CaseVersionConflict when the case moved on since ``before``;
        MarkerExists when the idempotency key was used meanwhile."""
        items = self.cases.case_write_items(before, after)
        case_positions = len(items)
        for entry in entries:
            items.append(_put(self._table, entry_item(entry), "attribute_not_exists(#pk)"))
        items.append(_put(self._table, audit_item(audit), "attribute_not_exists(#pk)"))
        if marker is not None:
            items.append(
                _put(
                    self._table,
                    marker_item(marker),
                    "attribute_not_exists(#pk) OR #exp <= :now",
                    names={"#exp": c.TTL_ATTRIBUTE},
                    values={":now": n(now_ms // 1000)},
                )
            )
        try:
            self._client.transact_write_items(TransactItems=items)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "TransactionCanceledException":
                raise
            codes = [r.get("Code") for r in exc.response.get("CancellationReasons") or []]
            if marker is not None and len(codes) == len(items) and codes[-1] == "ConditionalCheckFailed":
                raise MarkerExists("the idempotency key was used by a request that finished first") from exc
            if not codes or "TransactionConflict" in codes or "ConditionalCheckFailed" in codes[:case_positions]:
                raise CaseVersionConflict(
                    f"case {after.case_id} changed since version {before.version}; reload it and try again"
                ) from exc
            raise

    def mark_queued(self, marker: IdempotencyMarker) -> None:
        self._client.update_item(
            TableName=self._table,
            Key=item_key(keys.case_pk(marker.case_id), keys.idempotency_sk(marker.agent_id, marker.key)),
            UpdateExpression="SET queued = :t",
            ExpressionAttributeValues={":t": {"BOOL": True}},
        )

    def save_profile(self, profile: BrandProfile, audit: AuditRecord) -> None:
        """Set the profile's attributes (others on the item, if any, are kept) and audit the change."""
        attrs = profile_attributes(profile)
        names = {f"#a{i}": name for i, name in enumerate(attrs)}
        values = {f":a{i}": value for i, value in enumerate(attrs.values())}
        update = "SET entity = :entity, " + ", ".join(f"#a{i} = :a{i}" for i in range(len(attrs)))
        self._client.transact_write_items(
            TransactItems=[
                {
                    "Update": {
                        "TableName": self._table,
                        "Key": item_key(keys.account_pk(profile.account_id), keys.PROFILE_SK),
                        "UpdateExpression": update,
                        "ExpressionAttributeNames": names,
                        "ExpressionAttributeValues": {**values, ":entity": s("brand_profile")},
                    }
                },
                _put(self._table, audit_item(audit), "attribute_not_exists(#pk)"),
            ]
        )

    # ---- internals -------------------------------------------------------------------------
    def _page(
        self,
        *,
        index: tuple[str, str, str] | None,
        partition: str,
        flt: CaseFilter,
        limit: int,
        start: Position | None,
        forward: bool,
        convert: Callable[[Mapping[str, Any]], T],
        sort_prefix: str | None = None,
    ) -> Page[T]:
        pk_name = index[1] if index else c.PARTITION_KEY
        key_names = (c.PARTITION_KEY, c.SORT_KEY, *(index[1:] if index else ()))
        names = {"#qpk": pk_name}
        values: dict[str, Any] = {":qpk": s(partition)}
        condition = "#qpk = :qpk"
        if sort_prefix:
            names["#qsk"] = c.SORT_KEY
            values[":qsk"] = s(sort_prefix)
            condition += " AND begins_with(#qsk, :qsk)"
        params: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": condition,
            "ScanIndexForward": forward,
            "Limit": limit if flt.is_empty else min(max(limit * 4, 50), 500),
        }
        if index:
            params["IndexName"] = index[0]
        else:
            params["ConsistentRead"] = True
        filter_expr = _filter_expression(flt, names, values)
        if filter_expr:
            params["FilterExpression"] = filter_expr
        params["ExpressionAttributeNames"] = names
        params["ExpressionAttributeValues"] = values
        if start is not None:
            if set(start) != set(key_names) or start.get(pk_name) != partition:
                raise InvalidCursor("the cursor does not belong to this list")
            if sort_prefix and not start[c.SORT_KEY].startswith(sort_prefix):
                raise InvalidCursor("the cursor does not belong to this list")
            params["ExclusiveStartKey"] = {k: s(v) for k, v in start.items()}

        found: list[Mapping[str, Any]] = []
        for _ in range(MAX_QUERIES_PER_PAGE):
            resp = self._client.query(**params)
            batch = resp.get("Items", [])
            more = "LastEvaluatedKey" in resp
            for position, item in enumerate(batch):
                found.append(item)
                if len(found) == limit:
                    exhausted = position == len(batch) - 1 and not more
                    next_position = None if exhausted else {k: item[k]["S"] for k in key_names}
                    return Page([convert(i) for i in found], next_position)
            if not more:
                return Page([convert(i) for i in found], None)
            params["ExclusiveStartKey"] = resp["LastEvaluatedKey"]
        last = params["ExclusiveStartKey"]
        return Page([convert(i) for i in found], {k: v["S"] for k, v in last.items()})


def _filter_expression(flt: CaseFilter, names: dict[str, str], values: dict[str, Any]) -> str:
    parts = []
    if flt.statuses:
        names["#st"] = "status"
        placeholders = []
        for i, status in enumerate(sorted(flt.statuses)):
            values[f":st{i}"] = s(status.value)
            placeholders.append(f":st{i}")
        parts.append(f"#st IN ({', '.join(placeholders)})")
    if flt.channel:
        names["#ch"] = "channels"
        values[":ch"] = s(flt.channel.value)
        parts.append("contains(#ch, :ch)")
    if flt.priority:
        names["#pr"] = "priority"
        values[":pr"] = s(flt.priority.value)
        parts.append("#pr = :pr")
    if flt.owner:
        names["#ow"] = "owner"
        values[":ow"] = s(flt.owner)
        parts.append("#ow = :ow")
    elif flt.unowned:
        names["#ow"] = "owner"
        parts.append("attribute_not_exists(#ow)")
    return " AND ".join(parts)


def _put(
    table: str,
    item: Item,
    condition: str,
    *,
    names: Mapping[str, str] | None = None,
    values: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    put: dict[str, Any] = {
        "TableName": table,
        "Item": item,
        "ConditionExpression": condition,
        "ExpressionAttributeNames": {"#pk": c.PARTITION_KEY, **(names or {})},
    }
    if values:
        put["ExpressionAttributeValues"] = dict(values)
    return {"Put": put}


# ---- items ---------------------------------------------------------------------------------------
def audit_item(record: AuditRecord) -> Item:
    if record.case_id is not None:
        pk = keys.case_pk(record.case_id)
    elif record.account_id is not None:
        pk = keys.account_pk(record.account_id)
    else:  # pragma: no cover - a programming error
        raise ValueError("an audit record needs a case or an account")
    item: Item = {
        c.PARTITION_KEY: s(pk),
        c.SORT_KEY: s(
            keys.audit_sk(record.case_version if record.case_version is not None else record.at_ms, record.record_id)
        ),
        "entity": s("audit"),
        "record_id": s(record.record_id),
        "at_ms": n(record.at_ms),
        "actor": s(record.actor),
        "actor_role": s(record.actor_role),
        "action": s(record.action.value),
    }
    if record.case_version is not None:
        item["case_version"] = n(record.case_version)
    if record.details:
        item["details"] = {"M": {k: s(v) for k, v in record.details.items()}}
    return item


def item_to_audit(item: Mapping[str, Any]) -> AuditRecord:
    pk = str(item[c.PARTITION_KEY]["S"])
    return AuditRecord(
        record_id=str(item["record_id"]["S"]),
        at_ms=int(item["at_ms"]["N"]),
        actor=str(item["actor"]["S"]),
        actor_role=str(item["actor_role"]["S"]),
        action=AuditAction(item["action"]["S"]),
        case_id=pk.removeprefix("CASE#") if pk.startswith("CASE#") else None,
        account_id=pk.removeprefix("ACCOUNT#") if pk.startswith("ACCOUNT#") else None,
        case_version=int(item["case_version"]["N"]) if "case_version" in item else None,
        details={k: str(v["S"]) for k, v in item.get("details", {"M": {}})["M"].items()},
    )


def marker_item(marker: IdempotencyMarker) -> Item:
    item: Item = {
        c.PARTITION_KEY: s(keys.case_pk(marker.case_id)),
        c.SORT_KEY: s(keys.idempotency_sk(marker.agent_id, marker.key)),
        "entity": s("idempotency"),
        "fingerprint": s(marker.fingerprint),
        "entry_id": s(marker.entry_id),
        "created_at_ms": n(marker.created_at_ms),
        c.TTL_ATTRIBUTE: n(marker.expires_at_s),
        "queued": {"BOOL": marker.queued},
    }
    if marker.request_json is not None:
        item["request"] = s(marker.request_json)
    return item


def profile_attributes(profile: BrandProfile) -> dict[str, Any]:
    attrs: dict[str, Any] = {
        "brand_name": s(profile.brand_name),
        "signature_style": s(profile.signature_style.value),
        "human_agent_tag": {"BOOL": profile.human_agent_tag},
        "move_to_private_text": s(profile.move_to_private_text),
        "canned_responses": {
            "L": [
                {"M": {"id": s(r.response_id), "title": s(r.title), "text": s(r.text)}}
                for r in profile.canned_responses
            ]
        },
    }
    if profile.updated_at_ms is not None:
        attrs["updated_at_ms"] = n(profile.updated_at_ms)
    if profile.updated_by is not None:
        attrs["updated_by"] = s(profile.updated_by)
    return attrs


def item_to_profile(account_id: str, item: Mapping[str, Any]) -> BrandProfile:
    return BrandProfile(
        account_id=account_id,
        brand_name=str(item["brand_name"]["S"]),
        signature_style=SignatureStyle(item.get("signature_style", {"S": "first_name"})["S"]),
        human_agent_tag=bool(item.get("human_agent_tag", {"BOOL": False})["BOOL"]),
        move_to_private_text=str(item["move_to_private_text"]["S"]),
        canned_responses=tuple(
            CannedResponse(response_id=r["M"]["id"]["S"], title=r["M"]["title"]["S"], text=r["M"]["text"]["S"])
            for r in item.get("canned_responses", {"L": []})["L"]
        ),
        updated_at_ms=int(item["updated_at_ms"]["N"]) if "updated_at_ms" in item else None,
        updated_by=str(item["updated_by"]["S"]) if "updated_by" in item else None,
    )
