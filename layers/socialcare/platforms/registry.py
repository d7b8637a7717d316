"""Platform name (the webhook URL's path segment) to its adapter.

Imported on every webhook cold start: the adapters depend only on the standard library
(json, hmac, hashlib, base64) and the socialcare model, so this stays cheap.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from socialcare.errors import UnknownPlatform
from socialcare.platforms.base import PlatformAdapter
from socialcare.platforms.meta import MetaAdapter
from socialcare.platforms.telegram import TelegramAdapter
from socialcare.platforms.x import XAdapter

ADAPTERS: Mapping[str, PlatformAdapter] = MappingProxyType(
    {
        "meta": MetaAdapter(),
        "x": XAdapter(),
        "telegram": TelegramAdapter(),
    }
)


def get_adapter(name: str) -> PlatformAdapter:
    """The adapter for ``name`` (exactly "meta", "x" or "telegram"); otherwise UnknownPlatform (404)."""
    adapter = ADAPTERS.get(name)
    if adapter is None:
        raise UnknownPlatform(f"unknown platform {name[:40]!r}")
    return adapter
