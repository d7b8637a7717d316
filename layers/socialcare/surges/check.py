"""The scheduled surge check (``functions/surge``, every five minutes).

Each run reads, with one Query per counter shard, the bucket that just ended, the one still filling
and the ``baseline_buckets`` before the ended one, and applies ``rules/surges.py``'s rule to both
windows: the ended bucket against the buckets before it, and the open one the same way (its count
can only grow, so a surge seen early is a surge). A surge is raised once per key and bucket: it is
claimed first (a conditional write), then put on the bus; when the bus refuses, the claim is
released so the next run raises it again, and the run fails (the scheduler retries it).
"""

from __future__ import annotations

from dataclasses import dataclass

from socialcare.clock import Clock
from socialcare.errors import NotificationFailed
from socialcare.model.notices import SurgeNotice
from socialcare.model.surges import SurgeKey, SurgeReading, SurgeScope
from socialcare.ports import SurgeAlerts, SurgeWindows
from socialcare.rules.surges import BUCKET_MS, SHARDS, SurgeSettings, bucket_of, surges


@dataclass(frozen=True, slots=True)
class CheckReport:
    checked_at_ms: int
    windows: tuple[int, ...]  # the buckets judged: the ended one, then the open one
    raised: tuple[SurgeNotice, ...]  # surges raised by this run
    already_raised: int  # surges found that an earlier run had raised
    items_read: int  # counter items the run read (every shard of every bucket read that held counts)


class SurgeCheck:
    def __init__(self, windows: SurgeWindows, alerts: SurgeAlerts, *, settings: SurgeSettings, clock: Clock) -> None:
        self._windows = windows
        self._alerts = alerts
        self._settings = settings
        self._clock = clock

    def run(self) -> CheckReport:
        now = self._clock()
        current = bucket_of(now)
        ended = current - BUCKET_MS
        first = ended - self._settings.baseline_buckets * BUCKET_MS
        reading = self._windows.read(first, current, shards=SHARDS)
        found = [*self._judge(reading, ended, window_open=False), *self._judge(reading, current, window_open=True)]
        raised, already, failed = [], 0, []
        for notice in found:
            key = SurgeKey(SurgeScope(notice.scope), notice.name)
            if not self._windows.claim(notice.window_start_ms, key):
                already += 1
                continue
            try:
                self._alerts.surge_detected(notice)
            except Exception as exc:  # any refusal: the claim goes, so the next run tries again
                self._windows.release(notice.window_start_ms, key)
                failed.append(f"{key}: {exc}")
                continue
            raised.append(notice)
        if failed:
            raise NotificationFailed(f"{len(failed)} surge(s) not raised: {'; '.join(failed)}")
        return CheckReport(now, (ended, current), tuple(raised), already, reading.items_read)

    def _judge(self, reading: SurgeReading, window: int, *, window_open: bool) -> list[SurgeNotice]:
        baseline = [reading.bucket(window - i * BUCKET_MS) for i in range(1, self._settings.baseline_buckets + 1)]
        return surges(reading.bucket(window), baseline, self._settings, window_open=window_open)
