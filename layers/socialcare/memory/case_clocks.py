"""In-memory twin of ``socialcare.aws.case_clocks`` (the ``CaseClocks`` port): records the clocks
started, by name, with their input; a second start of a name keeps the first clock, as Step Functions
does. Nothing runs: tests read ``started``."""

from __future__ import annotations

import threading
from collections.abc import Mapping

from socialcare.model.escalation import clock_name


class MemoryCaseClocks:
    def __init__(self) -> None:
        self.started: dict[str, dict[str, str]] = {}  # clock name -> its input, in start order
        self._lock = threading.Lock()

    def start(self, case_id: str, generation: int, input: Mapping[str, str]) -> None:
        with self._lock:
            self.started.setdefault(clock_name(case_id, generation), dict(input))
