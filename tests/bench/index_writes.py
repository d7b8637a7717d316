"""DynamoDB write and read units of recorded calls, exactly, from the items as they were before and
after each write: the table's stream (``NEW_AND_OLD_IMAGES``), read after a run (``moto_streams``).

Every write call of a table (``aws_calls``, recorded from the table's creation on) is matched with
the stream records it made, in order — one per item written; a cancelled or refused write makes
none, a delete of nothing makes none. Replaying the records also gives the table's items at the
moment of each call, which sizes what reads and refused writes consumed.

Write units (DynamoDB's published rules; sizes by ``ddb_cost.item_size``):

- the table: the larger of the item before and after, 1 unit per KB (at least 1); a refused
  conditional write, the existing item's; each item of a ``TransactWriteItems`` twice ("two
  underlying reads or writes of every item in the transaction: one to prepare, one to commit"),
  ``ConditionCheck`` items included;
- each index (``GSI.Writes``), from the item as projected into it (``TableShape`` reads the table
  definition: keys, ``ALL``/``INCLUDE``/``KEYS_ONLY``): nothing when the item is in the index neither
  before nor after, or when neither its index keys nor any projected attribute changed; a put when
  it enters the index, a delete when it leaves, a delete and a put when an index key changed, else
  one write of the projected item; 1 unit per KB of the projected item. Index writes are not doubled
  for a transaction: the transactions guide doubles the items of the transaction, and says a
  committed transaction's changes then propagate to the indexes like any other write.

Read units: 1 per 4 KB strongly consistent, half that eventually consistent, twice that
transactional; a Query or Scan sums the sizes of the items it read (index items as projected) and
rounds once. Items a Query read but did not return (``Select=COUNT``, a filter) are sized as the
mean of the items of its partition.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from tests.bench import moto_streams
from tests.bench.aws_calls import Call
from tests.bench.ddb_cost import item_size

Item = dict[str, Any]
WRITES = ("PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem")
READS = ("GetItem", "BatchGetItem", "TransactGetItems", "Query", "Scan")


@dataclass(frozen=True)
class Index:
    name: str
    keys: tuple[str, ...]  # partition key, then sort key if any
    projection: str  # ALL, KEYS_ONLY or INCLUDE
    included: frozenset[str] = frozenset()


@dataclass(frozen=True)
class TableShape:
    keys: tuple[str, ...]
    indexes: tuple[Index, ...]

    @classmethod
    def of(cls, create_table_kwargs: Mapping[str, Any]) -> TableShape:
        """From the table's ``create_table`` arguments (``socialcare.aws.schema.create_table_kwargs``)."""
        indexes = [
            Index(
                spec["IndexName"],
                _key_names(spec["KeySchema"]),
                spec["Projection"]["ProjectionType"],
                frozenset(spec["Projection"].get("NonKeyAttributes", ())),
            )
            for kind in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes")
            for spec in create_table_kwargs.get(kind, ())
        ]
        return cls(_key_names(create_table_kwargs["KeySchema"]), tuple(indexes))

    def index(self, name: str) -> Index:
        return next(index for index in self.indexes if index.name == name)

    def key(self, item: Item) -> Item:
        return {name: item[name] for name in self.keys}

    def projected(self, index: Index, item: Item | None) -> Item | None:
        """The item as the index holds it, or None when it is not in the (sparse) index."""
        if item is None or any(name not in item for name in index.keys):
            return None
        if index.projection == "ALL":
            return item
        kept = {*self.keys, *index.keys, *(index.included if index.projection == "INCLUDE" else ())}
        return {name: value for name, value in item.items() if name in kept}


@dataclass(frozen=True)
class Charge:
    index: str | None  # None: the table
    key: str  # the partition key value written (the table's or the index's)
    units: int
    item: str = ""  # what the table item written is (``item_kind``), for the item and its index rows alike


def item_kind(key: Item) -> str:
    """What a table item is, from its key: a case, a thread entry, an audit record, a customer's
    current-case copy, a platform-message marker, else its partition's prefix (``REPORTDAY``...)."""
    from socialcare import constants as c
    from socialcare.aws import keys

    pk, sk = _string(key[c.PARTITION_KEY]), _string(key[c.SORT_KEY])
    if pk.startswith(keys.case_pk("")):
        if sk == keys.CASE_SK:
            return "case"
        if sk.startswith(keys.ENTRY_PREFIX):
            return "thread entry"
        if sk.startswith(keys.AUDIT_PREFIX):
            return "audit record"
    if sk == keys.CURRENT_SK:
        return "current-case copy"
    if sk == keys.PMSG_SK:
        return "platform-message marker"
    prefix = pk.split("#", 1)[0]
    return f"{prefix} item"


@dataclass
class CallUnits:
    call: Call
    writes: list[Charge] = field(default_factory=list)
    read_units: float = 0.0

    @property
    def write_units(self) -> int:
        return sum(charge.units for charge in self.writes)

    @property
    def index_write_units(self) -> int:
        return sum(charge.units for charge in self.writes if charge.index is not None)


def units(size: int, per: int) -> int:
    return max(1, math.ceil(size / per))


def item_write(
    shape: TableShape, key: Item, old: Item | None, new: Item | None, *, transactional: bool
) -> list[Charge]:
    """What writing ``new`` over ``old`` (None: absent) costs the table and each index."""
    written = [
        Charge(None, _string(key[shape.keys[0]]), units(max(_size(old), _size(new)), 1024) * (1 + transactional))
    ]
    for index in shape.indexes:
        before, after = shape.projected(index, old), shape.projected(index, new)
        if before == after:
            continue
        moved = before is not None and after is not None and _values(before, index) != _values(after, index)
        if before is not None and (after is None or moved):
            written.append(Charge(index.name, _string(before[index.keys[0]]), units(_size(before), 1024)))
        if after is not None:
            written.append(Charge(index.name, _string(after[index.keys[0]]), units(_size(after), 1024)))
    return written


@dataclass
class _Table:
    shape: TableShape
    records: Sequence[dict[str, Any]]
    at: int = 0
    items: dict[str, Item] = field(default_factory=dict)

    def current(self, key: Item) -> Item | None:
        return self.items.get(_ref(key))

    def take(self, key: Item) -> tuple[Item | None, Item | None] | None:
        """The next record's (old, new) when it is this key's, else None (the call changed nothing)."""
        if not self._next_is(key):
            return None
        change = self.records[self.at]["dynamodb"]
        if "OldImage" not in change and change.get("NewImage") == key and self._next_is(key, 1):
            # moto's UpdateItem of an absent item first puts the bare key (a record DynamoDB does not make)
            self.at += 1
            change = self.records[self.at]["dynamodb"]
        self.at += 1
        old, new = change.get("OldImage"), change.get("NewImage")
        if new is None:
            self.items.pop(_ref(key), None)
        else:
            self.items[_ref(key)] = new
        return old, new

    def _next_is(self, key: Item, ahead: int = 0) -> bool:
        at = self.at + ahead
        return at < len(self.records) and self.records[at]["dynamodb"]["Keys"] == key


def account(calls: Iterable[Call], shapes: Mapping[str, TableShape]) -> list[CallUnits]:
    """Units of every DynamoDB call on the ``shapes`` tables (name -> shape), each table's stream read now.
    The calls must include every write made to those tables since they were created."""
    tables = {name: _Table(shape, moto_streams.records(name)) for name, shape in shapes.items()}
    accounted = []
    for call in calls:
        if call.service != "dynamodb" or call.operation not in WRITES + READS:
            continue
        units_of_call = CallUnits(call)
        if call.operation in WRITES:
            for name, kind, key in _written(call, shapes):
                units_of_call.writes += _write(tables[name], call, kind, key)
        else:
            units_of_call.read_units = _read(tables, call)
        accounted.append(units_of_call)
    for name, table in tables.items():
        if table.at != len(table.records):
            raise AssertionError(f"{name}: {len(table.records) - table.at} stream records no recorded call explains")
    return accounted


def _write(table: _Table, call: Call, kind: str, key: Item) -> list[Charge]:
    return [replace(charge, item=item_kind(key)) for charge in _charges(table, call, kind, key)]


def _charges(table: _Table, call: Call, kind: str, key: Item) -> list[Charge]:
    transactional = call.operation == "TransactWriteItems"
    if call.failed or kind == "ConditionCheck":
        current = table.current(key)
        return [Charge(None, _string(key[table.shape.keys[0]]), units(_size(current), 1024) * (1 + transactional))]
    change = table.take(key)
    if change is None:
        if kind != "Delete":
            raise AssertionError(f"the stream is out of step with the calls at {call.operation} {kind} {key}")
        return [Charge(None, _string(key[table.shape.keys[0]]), 1 + transactional)]  # deleted nothing
    old, new = change
    return item_write(table.shape, key, old, new, transactional=transactional)


def _written(call: Call, shapes: Mapping[str, TableShape]) -> list[tuple[str, str, Item]]:
    """(table, Put/Update/Delete/ConditionCheck, key) of every item a write call names on the
    ``shapes`` tables, in order."""
    params = call.params
    if call.operation == "TransactWriteItems":
        named = [next(iter(entry.items())) for entry in params["TransactItems"]]
        found = [(body["TableName"], kind, body.get("Key") or body["Item"]) for kind, body in named]
    elif call.operation == "BatchWriteItem":
        found = [
            (table, "Put", request["PutRequest"]["Item"])
            if "PutRequest" in request
            else (table, "Delete", request["DeleteRequest"]["Key"])
            for table, requests in params["RequestItems"].items()
            for request in requests
        ]
    else:
        kind = {"PutItem": "Put", "UpdateItem": "Update", "DeleteItem": "Delete"}[call.operation]
        found = [(params["TableName"], kind, params.get("Key") or params["Item"])]
    return [(table, kind, shapes[table].key(item)) for table, kind, item in found if table in shapes]


def _read(tables: Mapping[str, _Table], call: Call) -> float:
    params, op = call.params, call.operation
    if op == "GetItem":
        table = tables.get(params["TableName"])
        return 0.0 if table is None else _item_units(table, params["Key"], params.get("ConsistentRead", False))
    if op == "BatchGetItem":
        return sum(
            _item_units(tables[name], key, request.get("ConsistentRead", False))
            for name, request in params["RequestItems"].items()
            if name in tables
            for key in request["Keys"]
        )
    if op == "TransactGetItems":
        gets = [entry["Get"] for entry in params["TransactItems"] if entry["Get"]["TableName"] in tables]
        return sum(2 * _item_units(tables[get["TableName"]], get["Key"], True) for get in gets)
    table = tables.get(params["TableName"])
    if table is None or call.response is None:
        return 0.0
    return _query_units(table, params, call.response)


def _item_units(table: _Table, key: Item, consistent: bool) -> float:
    return units(_size(table.current(key)), 4096) * (1.0 if consistent else 0.5)


def _query_units(table: _Table, params: Mapping[str, Any], response: Mapping[str, Any]) -> float:
    index = table.shape.index(params["IndexName"]) if "IndexName" in params else None
    key_names = table.shape.keys
    sizes = []
    for returned in response.get("Items", ()):
        if all(name in returned for name in key_names):
            stored = table.current({name: returned[name] for name in key_names})
            sizes.append(_size(stored if index is None else table.shape.projected(index, stored)))
    unseen = int(response.get("ScannedCount", len(sizes))) - len(sizes)
    if unseen > 0:
        sizes += [_mean_size(table, index, params)] * unseen
    return units(sum(sizes), 4096) * (1.0 if params.get("ConsistentRead") else 0.5)


def _mean_size(table: _Table, index: Index | None, params: Mapping[str, Any]) -> int:
    """Mean size of the items in the queried partition (as the index holds them)."""
    pk = index.keys[0] if index is not None else table.shape.keys[0]
    value = _partition_value(params, pk)
    held = [table.shape.projected(index, item) if index is not None else item for item in table.items.values()]
    sizes = [_size(item) for item in held if item is not None and item.get(pk) == value]
    return sum(sizes) // len(sizes) if sizes else 0


def _partition_value(params: Mapping[str, Any], pk: str) -> Any:
    names = dict(params.get("ExpressionAttributeNames", {}))
    for left, right in re.findall(r"([#\w]+)\s*=\s*(:\w+)", params.get("KeyConditionExpression", "")):
        if names.get(left, left) == pk:
            return params["ExpressionAttributeValues"][right]
    return None


def _values(item: Item, index: Index) -> list[Any]:
    return [item.get(name) for name in index.keys]


def _size(item: Item | None) -> int:
    return 0 if item is None else item_size(item)


def _string(value: Mapping[str, Any]) -> str:
    ((_, inner),) = value.items()
    return str(inner)


def _ref(key: Item) -> str:
    return json.dumps(key, sort_keys=True)


def _key_names(schema: Sequence[Mapping[str, str]]) -> tuple[str, ...]:
    ordered = sorted(schema, key=lambda part: part["KeyType"] != "HASH")
    return tuple(part["AttributeName"] for part in ordered)
