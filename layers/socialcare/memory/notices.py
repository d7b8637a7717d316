"""In-memory twin of the ``LeadNotifier`` and the ``SurgeAlerts``: the notices sent, in order."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from socialcare.model.notices import SensitiveCaseNotice, SurgeNotice


@dataclass
class RecordedNotices:
    sent: list[SensitiveCaseNotice] = field(default_factory=list)
    surges: list[SurgeNotice] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def sensitive_case(self, notice: SensitiveCaseNotice) -> None:
        with self._lock:
            self.sent.append(notice)

    def surge_detected(self, notice: SurgeNotice) -> None:
        with self._lock:
            self.surges.append(notice)
