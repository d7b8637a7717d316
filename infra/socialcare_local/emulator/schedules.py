"""Schedules on the local stack: named callables run every N seconds, EventBridge Scheduler's stand-in.

moto stores schedules and rules but never fires them, so the stack runs its own: each schedule on a
thread of its own, first run at once (or after one period), then every ``every_s`` seconds measured
from the start of the previous run, never two runs of one schedule at once. A run that raises is
logged (``socialcare_local.schedules``) and the schedule carries on, as Scheduler retries and moves
on. ``run_now`` runs a schedule in the caller's thread (the demo publishes its last figures so).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from socialcare_local.emulator.logs import get_logger

log = get_logger("schedules")


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
