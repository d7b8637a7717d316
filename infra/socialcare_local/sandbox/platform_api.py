"""One platform's reply endpoints in the sandbox: the base of ``graph_api`` (Meta), ``x_api`` and
``telegram_api``."""

from __future__ import annotations

from socialcare_local.config import LocalConfig
from socialcare_local.sandbox.platform_state import PlatformState
from socialcare_local.sandbox.reply_platforms import Answer, Incoming, PlatformIds, TakeFault


class PlatformApi:
    """One platform's reply endpoints, below its root in the sandbox's URL space: ``handle`` answers
    a call and names the endpoint it was for, as far as the URL and body tell (refused and throttled
    calls too)."""

    def __init__(self, config: LocalConfig, state: PlatformState, ids: PlatformIds) -> None:
        self._config = config
        self._state = state
        self._ids = ids

    def handle(self, incoming: Incoming, path: list[str], take_fault: TakeFault) -> Answer:
        answer = self._handle(incoming, path, take_fault)
        answer.endpoint = answer.endpoint or self._endpoint(incoming, path)
        return answer

    def _handle(self, incoming: Incoming, path: list[str], take_fault: TakeFault) -> Answer:
        raise NotImplementedError

    def _endpoint(self, incoming: Incoming, path: list[str]) -> str:
        raise NotImplementedError
