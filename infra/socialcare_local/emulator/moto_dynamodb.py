"""moto's DynamoDB, made to behave like DynamoDB under a long-running, multi-threaded local stack.

moto 5.2 makes ``TransactWriteItems`` atomic by deep-copying every table the transaction names
(once per item of the transaction, stream history included) and, when an item fails, putting the
copy back in place of the live table. Two consequences for anything that runs longer than a unit test:

- a transaction costs time in proportion to everything ever written to the table: after a hundred
  stored messages one transaction takes ~0.3 s, after a thousand tens of seconds, so the local stack,
  the demo and the benchmarks crawl to a halt;
- the rollback replaces the whole table, so whatever other threads wrote in the meantime vanishes:
  with two ingest pollers, a refused duplicate could silently erase a message stored next to it.

DynamoDB itself checks every condition of a transaction first, then applies all its writes, isolated
from other requests. ``install()`` gives moto's backend exactly that: conditions are evaluated
against the current items, writes applied only when all hold, and only the items the transaction
touches are copied (for the rare write that fails after its conditions held). Every item operation
of the backend runs under one lock, so conditional writes and transactions are isolated from each
other as they are in DynamoDB. Error shapes (``TransactionCanceledException`` with one cancellation
reason per item, validation errors) are moto's own.

This touches moto's private API; it is kept here, in one place, and moto is pinned.
"""

from __future__ import annotations

import copy
import functools
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

_install_lock = threading.Lock()
_installed = False
# One lock for every item operation of the DynamoDB backend (re-entrant: a transaction calls them).
_ITEM_LOCK = threading.RLock()
_LOCKED_OPERATIONS = ("get_item", "query", "scan", "put_item", "update_item", "delete_item")
_MAX_TRANSACTION_ITEMS = 100
_OPERATIONS = ("ConditionCheck", "Put", "Delete", "Update")


def install() -> None:
    """Patch moto's DynamoDB backend (idempotent; affects the whole process, in-process mocks and server)."""
    global _installed
    with _install_lock:
        if _installed:
            return
        from moto.dynamodb.models import DynamoDBBackend

        for name in _LOCKED_OPERATIONS:
            setattr(DynamoDBBackend, name, _serialised(getattr(DynamoDBBackend, name)))
        DynamoDBBackend.transact_write_items = _serialised(_transact_write_items)  # type: ignore[method-assign]
        _installed = True


def _serialised(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def locked(*args: Any, **kwargs: Any) -> Any:
        with _ITEM_LOCK:
            return method(*args, **kwargs)

    return locked


@dataclass(frozen=True)
class _Step:
    operation: str
    table: Any  # moto.dynamodb.models.table.Table
    key: dict[str, Any]
    hash_value: Any  # DynamoType
    range_value: Any  # DynamoType | None
    request: dict[str, Any]


def _transact_write_items(backend: Any, transact_items: list[dict[str, Any]]) -> None:
    from moto.dynamodb.exceptions import (
        MockValidationException,
        MultipleTransactionsException,
        TooManyTransactionsException,
        TransactionCanceledException,
        TransactWriteSingleOpException,
    )

    if len(transact_items) > _MAX_TRANSACTION_ITEMS:
        raise TooManyTransactionsException()
    steps: list[_Step] = []
    targets: set[tuple[str, str]] = set()
    for entry in transact_items:
        if len(entry) != 1:
            raise TransactWriteSingleOpException()
        ((operation, request),) = entry.items()
        if operation not in _OPERATIONS:
            raise MockValidationException(f"Unsupported transaction operation {operation}")
        step = _plan(backend, operation, request)
        target = (step.table.name, repr(sorted(step.key.items())))
        if target in targets:
            raise MultipleTransactionsException()
        targets.add(target)
        steps.append(step)

    reasons = [_check(step) for step in steps]
    if any(code is not None for code, _, _ in reasons):
        raise TransactionCanceledException(reasons)

    before = [(step, copy.deepcopy(step.table.get_item(step.hash_value, step.range_value))) for step in steps]
    for position, step in enumerate(steps):
        try:
            _apply(backend, step)
        except MockValidationException:
            _restore(before)
            raise
        except Exception as exc:  # an item DynamoDB would refuse (too large, wrong type...): cancel all
            _restore(before)
            failed: list[tuple[str | None, str | None, Any]] = [(None, None, None)] * len(steps)
            failed[position] = (type(exc).__name__, str(exc), None)
            raise TransactionCanceledException(failed) from exc


def _plan(backend: Any, operation: str, request: dict[str, Any]) -> _Step:
    from moto.dynamodb.exceptions import MockValidationException

    table = backend.get_table(request["TableName"])
    if operation == "Put":
        item = request["Item"]
        key_names = [name for name in (table.hash_key_attr, table.range_key_attr) if name]
        missing = [name for name in key_names if name not in item]
        if missing:
            raise MockValidationException(
                f"One or more parameter values were invalid: Missing the key {missing[0]} in the item"
            )
        key = {name: item[name] for name in key_names}
    else:
        key = request["Key"]
    hash_value, range_value = backend.get_keys_value(table, key)
    return _Step(operation, table, key, hash_value, range_value, request)


def _check(step: _Step) -> tuple[str | None, str | None, Any]:
    """The cancellation reason of one item: (None, None, None) when its condition holds."""
    from moto.dynamodb.comparisons import get_filter_expression

    condition = step.request.get("ConditionExpression")
    if condition is None:
        return None, None, None
    current = step.table.get_item(step.hash_value, step.range_value)
    holds = get_filter_expression(
        condition, step.request.get("ExpressionAttributeNames"), step.request.get("ExpressionAttributeValues")
    ).expr(current)
    if holds:
        return None, None, None
    item = None
    if step.request.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD" and current is not None:
        item = current.to_json()["Attributes"]
    return "ConditionalCheckFailed", "The conditional request failed", item


def _apply(backend: Any, step: _Step) -> None:
    request = step.request
    if step.operation == "Put":
        backend.put_item(step.table.name, request["Item"])
    elif step.operation == "Delete":
        backend.delete_item(step.table.name, step.key)
    elif step.operation == "Update":
        backend.update_item(
            step.table.name,
            step.key,
            update_expression=request["UpdateExpression"],
            expression_attribute_names=request.get("ExpressionAttributeNames"),
            expression_attribute_values=request.get("ExpressionAttributeValues"),
        )


def _restore(before: list[tuple[_Step, Any]]) -> None:
    """Put back the items a cancelled transaction had already written (nothing else is touched)."""
    for step, item in reversed(before):
        items = step.table.items
        if step.range_value is not None:
            partition = items[step.hash_value]
            if item is None:
                partition.pop(step.range_value, None)
            else:
                partition[step.range_value] = item
        elif item is None:
            items.pop(step.hash_value, None)
        else:
            items[step.hash_value] = item
