"""In-memory twins of ``socialcare.aws.case_clocks`` (the ``CaseClocks`` and ``FollowUps`` ports):
record the executions started, by name, with their input; a second start of a name keeps the first,
as Step Functions does. Nothing runs: tests read ``started``."""

from __future__ import annotations

import threading
from collections.abc import Mapping

from socialcare.model.escalation import clock_name
from socialcare.model.follow_up import follow_up_name


class MemoryNamedExecutions:
    def name_of(self, case_id: str, number: int) -> str:
        raise NotImplementedError

    def __init__(self) -> None:
        self.started: dict[str, dict[str, str]] = {}  # execution name -> its input, in start order
        self._lock = threading.Lock()

    def start(self, case_id: str, number: int, input: Mapping[str, str]) -> None:
        with self._lock:
            self.started.setdefault(self.name_of(case_id, number), dict(input))


class MemoryCaseClocks(MemoryNamedExecutions):
    def name_of(self, case_id: str, number: int) -> str:
        return clock_name(case_id, number)


class MemoryFollowUps(MemoryNamedExecutions):
    def name_of(self, case_id: str, number: int) -> str:
        return follow_up_name(case_id, number)
