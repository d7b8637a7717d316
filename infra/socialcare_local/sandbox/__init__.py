"""The platform sandbox: plays Meta, X and Telegram against the local stack.

``payloads`` builds each platform's real payload shapes, ``signing`` signs them as the platform
does, and ``client.Sandbox`` sends them to the webhook endpoints over HTTP.
"""

from __future__ import annotations

from socialcare_local.sandbox.client import Delivery, Sandbox, SentDelivery

__all__ = ["Delivery", "Sandbox", "SentDelivery"]
