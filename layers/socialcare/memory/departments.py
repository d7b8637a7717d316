"""In-memory twins of the department escalation's outside world: the state machine
(``DepartmentWorkflows``: starts recorded by name, the first kept, as Step Functions does; callbacks
recorded, answered True while a token is ``waiting``) and the ``DepartmentNotifier`` (notices kept)."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field

from socialcare.ports import DepartmentRequestNotice


@dataclass
class MemoryDepartmentWorkflows:
    started: dict[str, dict[str, object]] = field(default_factory=dict)  # execution name -> input
    waiting: set[str] = field(default_factory=set)  # tokens still waited on (others: the wait is over)
    succeeded: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (token, error)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self, name: str, input: Mapping[str, object]) -> None:
        with self._lock:
            self.started.setdefault(name, dict(input))

    def succeed(self, task_token: str, output: Mapping[str, str]) -> bool:
        with self._lock:
            self.succeeded.append((task_token, dict(output)))
            return self._end(task_token)

    def fail(self, task_token: str, *, error: str, cause: str) -> bool:
        with self._lock:
            self.failed.append((task_token, error))
            return self._end(task_token)

    def _end(self, token: str) -> bool:
        if token not in self.waiting:
            return False
        self.waiting.discard(token)
        return True


@dataclass
class RecordedDepartmentNotices:
    sent: list[DepartmentRequestNotice] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def department_request(self, notice: DepartmentRequestNotice) -> None:
        with self._lock:
            self.sent.append(notice)
