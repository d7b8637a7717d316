"""In-memory twins of the raw-delivery store and the raw archive (the ``RawStore`` and ``RawArchive``
ports), in one key space as in the raw bucket (``model/archived.py``)."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence

from socialcare.clock import Clock, system_clock
from socialcare.model.archived import ArchivedDelivery, archive_prefix, day_prefixes, find_archived, is_archive_object


class MemoryRawStore:
    def __init__(self) -> None:
        self.objects: dict[str, tuple[bytes, dict[str, str]]] = {}
        self._lock = threading.Lock()

    def put(self, key: str, body: bytes, *, metadata: dict[str, str]) -> None:
        with self._lock:
            self.objects[key] = (bytes(body), dict(metadata))

    def get(self, key: str) -> bytes:
        """The object's bytes; KeyError when there is none (S3 answers NoSuchKey)."""
        with self._lock:
            return self.objects[key][0]

    def find(self, raw_key: str) -> bytes | None:
        with self._lock:
            if raw_key in self.objects:
                return self.objects[raw_key][0]
            keys = sorted(self.objects)
            archived = [
                self.objects[k][0]
                for prefix in day_prefixes(raw_key)
                for k in keys
                if k.startswith(prefix) and is_archive_object(k, prefix)
            ]
        return find_archived(archived, raw_key)


class MemoryRawArchive:
    """A Firehose stream per platform that delivers at once: one object per call, under the platform's
    prefix and the hour it arrived (``clock``). ``refuse`` holds delivery ids it refuses, as Firehose
    refuses a record (FailedPutCount) — every time, until taken out."""

    def __init__(self, store: MemoryRawStore, *, clock: Clock = system_clock) -> None:
        self._store = store
        self._clock = clock
        self.refuse: set[str] = set()
        self.calls = 0

    def archive(self, deliveries: Sequence[ArchivedDelivery]) -> set[int]:
        self.calls += 1
        refused = {p for p, d in enumerate(deliveries) if d.delivery_id in self.refuse}
        by_platform: dict[str, list[bytes]] = {}
        for position, delivery in enumerate(deliveries):
            if position not in refused:
                by_platform.setdefault(delivery.platform, []).append(delivery.to_line())
        hour = time.strftime("%Y/%m/%d/%H", time.gmtime(self._clock() / 1000))
        for platform, lines in by_platform.items():
            key = f"{archive_prefix(platform)}{hour}/memory-{self.calls:06d}"
            self._store.put(key, b"".join(lines), metadata={})
        return refused
