"""The reply client for each channel, built once per process from the platforms' base URLs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from socialcare import constants as c
from socialcare.model.events import Channel
from socialcare.outbound.meta_client import MetaReplyClient
from socialcare.outbound.replies import ReplyClient
from socialcare.outbound.telegram_client import TelegramReplyClient
from socialcare.outbound.x_client import XReplyClient


@dataclass(frozen=True, slots=True)
class ReplyApiUrls:
    """Base URLs of the reply APIs: the real platforms by default, the sandbox locally."""

    meta_graph: str = c.META_GRAPH_URL
    x_api: str = c.X_API_URL
    telegram_api: str = c.TELEGRAM_API_URL


def reply_clients(urls: ReplyApiUrls | None = None) -> Mapping[Channel, ReplyClient]:
    urls = urls or ReplyApiUrls()
    meta = MetaReplyClient(urls.meta_graph)
    x = XReplyClient(urls.x_api)
    telegram = TelegramReplyClient(urls.telegram_api)
    by_channel: dict[Channel, ReplyClient] = {
        Channel.MESSENGER: meta,
        Channel.INSTAGRAM_DM: meta,
        Channel.FACEBOOK_COMMENT: meta,
        Channel.INSTAGRAM_COMMENT: meta,
        Channel.WHATSAPP: meta,
        Channel.X_DM: x,
        Channel.X_POST: x,
        Channel.TELEGRAM: telegram,
    }
    return MappingProxyType(by_channel)
