"""Where the webhooks live: ``/webhooks/<platform>``, one path per platform (the function URL sends every
path to the function, so the function and the local stand-in both read the platform off the path)."""

from __future__ import annotations

WEBHOOK_PREFIX = "/webhooks/"


def platform_of(path: str) -> str | None:
    """The ``<platform>`` of a ``/webhooks/<platform>`` path (None for any other path)."""
    rest = path[len(WEBHOOK_PREFIX) :] if path.startswith(WEBHOOK_PREFIX) else ""
    return rest if rest and "/" not in rest else None
