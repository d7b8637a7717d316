"""In-memory twin of the raw-delivery store (the ``RawStore`` port)."""

from __future__ import annotations

import threading


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
