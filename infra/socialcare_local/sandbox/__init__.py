"""The platform sandbox: plays Meta, X and Telegram against the local stack.

``payloads`` builds each platform's real payload shapes, ``signing`` signs them as the platform
does, and ``client.Sandbox`` sends them to the webhook endpoints over HTTP. ``reply_api.ReplyApi``
plays the platforms' reply APIs (Graph, X, Telegram Bot API) for the outbound function, and sends
the echoes and statuses the platforms send back.
"""

from __future__ import annotations

from socialcare_local.sandbox.client import Delivery, Sandbox, SentDelivery

__all__ = ["Delivery", "Sandbox", "SentDelivery"]
