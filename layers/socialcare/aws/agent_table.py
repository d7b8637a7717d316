"""The base of the agent store's units: the table, its DynamoDB client (made on first use when none
is given) and the case store they build on."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from socialcare.aws.case_store import CaseStore
from socialcare.aws.wiring import lazy_client


class _ClientOnFirstUse:
    """The lazily made client as an object (``CaseStore`` takes a client, not a getter)."""

    def __init__(self, get: Callable[[], Any]) -> None:
        self._get = get

    def __getattr__(self, name: str) -> Any:
        return getattr(self._get(), name)


class AgentTable:
    def __init__(self, table_name: str, *, client: Any = None, case_store: CaseStore | None = None) -> None:
        self._table = table_name
        self._client = lazy_client("dynamodb", client)
        self._cases = case_store or CaseStore(
            table_name, client=client if client is not None else _ClientOnFirstUse(self._client)
        )
