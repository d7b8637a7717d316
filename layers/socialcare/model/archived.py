"""Where a raw delivery is kept, and the form the archive keeps it in.

Two places, one key scheme (``raw_key``, ``raw/<platform>/<yyyy/mm/dd>/<sha256>.json``, the day it
was received):

- a delivery too big for one SQS message is an S3 object of its own at exactly ``raw_key`` (the
  webhook puts it before it acknowledges);
- every other one travels in its SQS message and ingest archives it through the platform's Firehose
  stream, which writes GZIP objects under ``raw/<platform>/`` and its own ``YYYY/MM/dd/HH/`` time
  path (the hour it arrived, UTC). Each record is one JSON line (``ArchivedDelivery``) that names its
  ``raw_key``, so a key found in the unmatched log leads to its bytes: they are in an object of the
  received day's prefix or of one of the following days'.

A delivery whose ingest was retried may be archived more than once (the same line again): readers
keep the first.
"""

from __future__ import annotations

import calendar
import gzip
import json
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass

from socialcare import constants as c

_KEY = re.compile(r"^(?P<prefix>.+/)(?P<day>\d{4}/\d{2}/\d{2})/[^/]+$")
_GZIP_MAGIC = b"\x1f\x8b"


def raw_key_for(platform: str, received_at_ms: int, digest: str) -> str:
    """Same bytes on the same day -> same key: a platform retry overwrites, never duplicates."""
    day = time.strftime("%Y/%m/%d", time.gmtime(received_at_ms / 1000))
    return f"{c.RAW_KEY_PREFIX}{platform}/{day}/{digest}.json"


def archive_prefix(platform: str) -> str:
    """The Firehose stream's S3 prefix (Firehose appends ``YYYY/MM/dd/HH/``)."""
    return f"{c.RAW_KEY_PREFIX}{platform}/"


@dataclass(frozen=True, slots=True)
class ArchivedDelivery:
    """One raw delivery as the archive keeps it: the exact body and what identifies it."""

    delivery_id: str
    platform: str
    received_at_ms: int
    raw_key: str
    body: str
    account_id: str | None = None

    def to_line(self) -> bytes:
        doc = {
            "delivery_id": self.delivery_id,
            "platform": self.platform,
            "received_at_ms": self.received_at_ms,
            "raw_key": self.raw_key,
            **({"account_id": self.account_id} if self.account_id is not None else {}),
            "body": self.body,
        }
        return (json.dumps(doc, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")

    @classmethod
    def from_line(cls, line: bytes) -> ArchivedDelivery:
        doc = json.loads(line)
        return cls(
            delivery_id=doc["delivery_id"],
            platform=doc["platform"],
            received_at_ms=int(doc["received_at_ms"]),
            raw_key=doc["raw_key"],
            body=doc["body"],
            account_id=doc.get("account_id"),
        )


def day_prefixes(raw_key: str, days: int = c.RAW_ARCHIVE_SEARCH_DAYS) -> list[str]:
    """The prefixes whose archive objects may hold ``raw_key``: its received day and the ``days`` after.
    Empty for a key that is not a raw key."""
    match = _KEY.match(raw_key)
    if match is None:
        return []
    start = calendar.timegm(time.strptime(match["day"], "%Y/%m/%d"))
    return [f"{match['prefix']}{time.strftime('%Y/%m/%d', time.gmtime(start + n * 86_400))}/" for n in range(days + 1)]


def is_archive_object(key: str, day_prefix: str) -> bool:
    """Firehose's objects sit in an hour folder below the day; a delivery's own object sits in the day."""
    return "/" in key[len(day_prefix) :]


def archived_lines(data: bytes) -> Iterable[ArchivedDelivery]:
    """The deliveries of one archive object (GZIP as Firehose writes it; plain as moto's Firehose does)."""
    text = gzip.decompress(data) if data[:2] == _GZIP_MAGIC else data
    for line in text.splitlines():
        if line.strip():
            yield ArchivedDelivery.from_line(line)


def find_archived(objects: Iterable[bytes], raw_key: str) -> bytes | None:
    """The raw body archived under ``raw_key`` in the first of ``objects`` that holds it."""
    for data in objects:
        for delivery in archived_lines(data):
            if delivery.raw_key == raw_key:
                return delivery.body.encode("utf-8")
    return None
