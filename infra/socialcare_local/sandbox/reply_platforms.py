"""What the sandbox's reply endpoints share: the call as received, the answer (in the platform's
shape, with the webhooks the platform sends back about what it accepted), injected faults, ids.

The endpoints themselves (``platform_api.PlatformApi``) are ``graph_api`` (Meta), ``x_api`` and
``telegram_api``, written from the platforms' documentation (PLATFORMS.md), independently of the reply clients in
``socialcare.outbound``, so a mistake in one shows up as a refused call instead of being mirrored.
"""

from __future__ import annotations

import itertools
import json
import re
import secrets
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

DAY_MS = 24 * 3_600_000
HUMAN_AGENT_MS = 7 * DAY_MS
HTTP_URL = re.compile(r"^https?://[^\s/]+")


@dataclass(frozen=True, slots=True)
class Incoming:
    method: str
    path: str
    query: Mapping[str, str]
    headers: Mapping[str, str]  # lower-case names
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None

    def json_object(self) -> dict[str, Any] | None:
        """The body when it is a JSON object; None for anything else (no body, not JSON, a list...)."""
        try:
            doc = self.json()
        except ValueError:
            return None
        return doc if isinstance(doc, dict) else None


@dataclass(frozen=True, slots=True)
class Echo:
    """A webhook the platform sends back about an accepted message (or its status)."""

    platform: str
    payload: dict[str, Any]
    label: str


@dataclass(frozen=True, slots=True)
class Fault:
    kind: str  # "throttle" | "fail"
    retry_after_s: float = 1.0
    status: int = 500


@dataclass
class Answer:
    status: int
    doc: Any
    headers: dict[str, str] = field(default_factory=dict)
    endpoint: str = ""  # what the call was: messenger, private_reply, whatsapp, x_dm, x_reply, telegram...
    account_id: str | None = None
    message_id: str | None = None
    echoes: list[Echo] = field(default_factory=list)
    fault: str | None = None


TakeFault = Callable[[str], Fault | None]


class PlatformIds:
    """Ids in each platform's form, unique within the sandbox."""

    def __init__(self) -> None:
        self._counter = itertools.count(1)
        self._lock = threading.Lock()

    def number(self) -> int:
        with self._lock:
            return next(self._counter)

    def mid(self) -> str:
        return f"m_{secrets.token_urlsafe(24)}"

    def wamid(self) -> str:
        return f"wamid.HBgL{secrets.token_hex(16).upper()}"

    def snowflake(self, now_ms: int) -> str:
        return str(((now_ms - 1_288_834_974_657) << 22) | (self.number() & 0x3FFFFF))


def bearer(headers: Mapping[str, str]) -> str | None:
    value = headers.get("authorization", "")
    scheme, _, token = value.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def attachment_problem(attachment: Any) -> str | None:
    if not isinstance(attachment, dict):
        return "message[attachment] must be an object"
    if attachment.get("type") not in ("image", "video", "audio", "file"):
        return "message[attachment][type] must be one of image, video, audio, file"
    url = get_path(attachment, "payload", "url")
    if not isinstance(url, str) or not HTTP_URL.match(url):
        return "message[attachment][payload][url] must be a valid URL"
    return None


def get_path(doc: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(doc, dict):
            return None
        doc = doc.get(key)
    return doc
