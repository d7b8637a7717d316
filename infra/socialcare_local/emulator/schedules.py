"""The local stand-in for EventBridge Scheduler: moto never fires a schedule, so threads do.

``ScheduleRunner`` runs named schedules, each on a thread of its own: first run at once (or after one
period), then every ``every_s`` seconds measured from the start of the previous run, never two runs
of one schedule at once; a run that raises is logged (``socialcare_local.schedules``: the schedule and
the error) and the schedule carries on (in AWS the scheduler retries it). A schedule is a callable
(``add``) or a function (``add_function``), invoked as the scheduler invokes it: the scheduler's event,
a Lambda context with the function's timeout, in its own execution environment. ``run_now`` runs a
schedule in the caller's thread (the demo publishes its last figures so). The local stack runs the
surge check, the metrics publisher and the clock sweep this way.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from socialcare_local.emulator.functions import FunctionEnvironments, Handler, LambdaContext
from socialcare_local.emulator.logs import get_logger

log = get_logger("schedules")


def scheduled_event(region: str) -> dict[str, Any]:
    """The event EventBridge Scheduler invokes a function with (its payload says nothing)."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.scheduler",
        "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "region": region,
        "detail": {},
    }


@dataclass
class Schedule:
    name: str
    every_s: float
    run: Callable[[], object]
    at_start: bool = True  # first run when the runner starts (else after one period)
    runs: int = 0
    failures: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)


class ScheduleRunner:
    def __init__(self) -> None:
        self._schedules: dict[str, Schedule] = {}
        self._threads: list[threading.Thread] = []
        self._stopping = threading.Event()
        self._busy = 0
        self._busy_lock = threading.Lock()

    def add(self, name: str, every_s: float, run: Callable[[], object], *, at_start: bool = True) -> None:
        """Run ``run`` every ``every_s`` seconds once started; names are unique."""
        if every_s <= 0:
            raise ValueError(f"schedule {name!r}: every_s must be positive")
        if name in self._schedules:
            raise ValueError(f"schedule {name!r} exists already")
        self._schedules[name] = Schedule(name, every_s, run, at_start)

    def add_function(
        self,
        name: str,
        handler: Handler | FunctionEnvironments,
        *,
        function_name: str,
        every_s: float,
        timeout_s: float = 60.0,
        region: str = "us-east-1",
        at_start: bool = True,
    ) -> None:
        """Invoke the function every ``every_s`` seconds as its schedule would; a run's result is what
        the function returned."""
        environments = FunctionEnvironments.of(handler)

        def invoke() -> Any:
            context = LambdaContext(function_name=function_name, timeout_s=timeout_s, region=region)
            return environments.invoke(scheduled_event(region), context)

        self.add(name, every_s, invoke, at_start=at_start)

    def schedule(self, name: str) -> Schedule:
        return self._schedules[name]

    def start(self) -> ScheduleRunner:
        self._stopping.clear()
        for schedule in self._schedules.values():
            thread = threading.Thread(
                target=self._loop, args=(schedule,), name=f"schedule-{schedule.name}", daemon=True
            )
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self, timeout_s: float = 10.0) -> None:
        """Stop every schedule, letting a run in progress finish."""
        self._stopping.set()
        for thread in self._threads:
            thread.join(timeout_s)
        self._threads.clear()

    def run_now(self, name: str) -> object:
        """Run the schedule once now, in this thread (after a scheduled run in progress); its result."""
        return self._run(self._schedules[name], raise_errors=True)

    def is_idle(self) -> bool:
        with self._busy_lock:
            return self._busy == 0

    def _loop(self, schedule: Schedule) -> None:
        wait = 0.0 if schedule.at_start else schedule.every_s
        while not self._stopping.wait(wait):
            started = time.monotonic()
            self._run(schedule, raise_errors=False)
            wait = max(0.0, schedule.every_s - (time.monotonic() - started))

    def _run(self, schedule: Schedule, *, raise_errors: bool) -> object:
        with schedule.lock:
            with self._busy_lock:
                self._busy += 1
            started = time.monotonic()
            try:
                result = schedule.run()
            except Exception:
                schedule.failures += 1
                log.exception("scheduled run failed", extra={"schedule": schedule.name})
                if raise_errors:
                    raise
                return None
            finally:
                schedule.runs += 1
                with self._busy_lock:
                    self._busy -= 1
            log.info(
                "scheduled run done",
                extra={"schedule": schedule.name, "elapsed_ms": int((time.monotonic() - started) * 1000)},
            )
            return result
