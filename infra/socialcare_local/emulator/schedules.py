"""The local stand-in for EventBridge Scheduler: moto never fires a schedule, so a thread does.

``ScheduledRuns`` invokes a function every ``every_s`` seconds with the event a schedule sends, in
its own execution environment, one run at a time (a run that takes longer delays the next, as a
Lambda run outlasting its rate would overlap; the check is idempotent either way). A run that fails
is logged (the function's name and the error's type; in AWS the scheduler retries it) and the next
one comes on time. The local stack runs the surge check this way (``[surges] check_every_seconds``).
"""

from __future__ import annotations

import threading
import time
import uuid
from typing import Any

from socialcare_local.emulator.functions import FunctionEnvironments, Handler, LambdaContext
from socialcare_local.emulator.logs import get_logger

log = get_logger("schedules")


class ScheduledRuns:
    def __init__(
        self, handler: Handler | FunctionEnvironments, *, function_name: str, every_s: float, region: str = "us-east-1"
    ) -> None:
        if every_s <= 0:
            raise ValueError("a schedule needs a positive period")
        self.environments = FunctionEnvironments.of(handler)
        self.function_name = function_name
        self.every_s = every_s
        self.region = region
        self.runs = 0  # runs made (tests wait on it)
        self.failures = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=f"schedule-{self.function_name}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None

    def run_once(self) -> Any:
        """One scheduled invocation now; what the function returned (None when it failed)."""
        event = {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": "Scheduled Event",
            "source": "aws.scheduler",
            "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "region": self.region,
            "detail": {},
        }
        context = LambdaContext(function_name=self.function_name, region=self.region)
        try:
            result = self.environments.invoke(event, context)
        except Exception as exc:  # a failed run is the function's error, logged; the schedule goes on
            log.warning("scheduled run failed", extra={"function": self.function_name, "error": type(exc).__name__})
            result = None
            with self._lock:
                self.failures += 1
        with self._lock:
            self.runs += 1
        return result

    def _run(self) -> None:
        while not self._stop.wait(self.every_s):
            self.run_once()
