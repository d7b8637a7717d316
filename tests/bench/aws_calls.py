"""Every AWS API call the code under measurement makes, with its answer, whichever client made it.

Calls are seen through botocore's global history recorder (the hook the AWS CLI's ``history``
feature uses): ``API_CALL`` carries the service, the operation and the parameters as passed;
``PARSED_RESPONSE`` the answer (an error answer has ``Error``), paired with the call made last on
the same thread. The recorder stays on from ``recording()`` until the block ends, so a table's
writes can be matched one for one with its stream (``index_writes``). ``phase`` labels what a call
belongs to (a scenario, ``<scenario>/<step>`` for a function's invocation or the event source
mapping's requests), ``None`` for set-up; ``invocation`` numbers the function invocations.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from botocore.history import BaseHistoryHandler, get_global_history_recorder


@dataclass(eq=False)  # a call is itself: two identical requests are two calls
class Call:
    service: str  # botocore's name: dynamodb, sqs, s3, firehose, stepfunctions, events...
    operation: str  # as the API names it: PutItem, SendMessage...
    params: dict[str, Any]
    phase: str | None
    invocation: int  # which function invocation made it (``AwsCalls.invoked``), 0 outside one
    response: dict[str, Any] | None = None

    def within(self, phase: str) -> bool:
        """Made in ``phase`` or in one of its steps (``<phase>/<step>``)."""
        return self.phase is not None and (self.phase == phase or self.phase.startswith(f"{phase}/"))

    @property
    def failed(self) -> bool:
        return self.response is None or "Error" in self.response

    @property
    def error_code(self) -> str | None:
        if self.response is None:
            return "NoResponse"
        error = self.response.get("Error")
        return None if error is None else str(error.get("Code"))


@dataclass
class AwsCalls(BaseHistoryHandler):  # type: ignore[misc]
    calls: list[Call] = field(default_factory=list)
    phase: str | None = None
    invocation: int = 0
    active: bool = True
    _invocations: int = 0
    _last: dict[int, Call] = field(default_factory=dict)

    def emit(self, event_type: str, payload: Any, source: str) -> None:
        if not self.active:
            return
        if event_type == "API_CALL":
            call = Call(payload["service"], payload["operation"], payload["params"], self.phase, self.invocation)
            self.calls.append(call)
            self._last[threading.get_ident()] = call
        elif event_type == "PARSED_RESPONSE":
            last = self._last.get(threading.get_ident())
            if last is not None:
                last.response = payload

    def of(self, phase: str) -> list[Call]:
        """The calls of ``phase`` and of its steps (``<phase>/<step>``)."""
        return [call for call in self.calls if call.within(phase)]

    @contextmanager
    def during(self, phase: str | None) -> Iterator[None]:
        before, self.phase = self.phase, phase
        try:
            yield
        finally:
            self.phase = before

    @contextmanager
    def invoked(self, step: str) -> Iterator[None]:
        """A function invocation: its calls are the step ``<phase>/<step>`` and share a number."""
        before = (self.phase, self.invocation)
        self._invocations += 1
        self.invocation = self._invocations
        self.phase = step if self.phase is None else f"{self.phase.split('/', 1)[0]}/{step}"
        try:
            yield
        finally:
            self.phase, self.invocation = before


@contextmanager
def recording() -> Iterator[AwsCalls]:
    """Record every AWS call made in the block (botocore offers no way to remove a handler: it is
    switched off at the end)."""
    recorder = get_global_history_recorder()
    handler = AwsCalls()
    recorder.add_handler(handler)
    recorder.enable()
    try:
        yield handler
    finally:
        handler.active = False
