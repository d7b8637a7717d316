"""A customer, played by hand against a running local stack (``socialcare customer``).

``played_message`` builds the delivery the platform would send when a customer writes to the
brand on one channel, stamped with the current time: signed as the platform signs it, with a new
message id each time and the customer's id derived from their name (the same name is the same
customer, so a second message joins their case; ``customer_id`` chooses one). X posts and DMs share
the customer's X id, as on X; Meta gives one person different ids in Messenger, Page comments and
Instagram, and so does this.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from dataclasses import dataclass

from socialcare_local.config import ConfigError
from socialcare_local.sandbox import payloads as p
from socialcare_local.sandbox.channels import BrandChannels
from socialcare_local.sandbox.client import Delivery

CHANNELS = (
    "messenger",
    "facebook_comment",
    "instagram_dm",
    "instagram_comment",
    "whatsapp",
    "x_post",
    "x_dm",
    "telegram",
)
# Channels whose deliveries carry no name for the customer (the platform gives only an id).
NAMELESS = frozenset({"messenger", "instagram_dm"})
_X_EPOCH_MS = 1_288_834_974_657  # X ids are snowflakes: milliseconds since this, shifted left 22 bits

# Each kind of id, derived from the customer's name: (salt, prefix, digits after the prefix).
_ID_SHAPES = {
    "messenger": ("psid", "6", 15),  # a page-scoped id
    "facebook_comment": ("fb-user", "10", 15),  # an app-scoped commenter id
    "instagram_dm": ("igsid", "178414", 11),
    "instagram_comment": ("ig-user", "178414", 11),
    "whatsapp": ("wa", "346", 8),  # a mobile number, as WhatsApp's wa_id
    "x_post": ("x", "3", 18),  # one X id for posts and DMs
    "x_dm": ("x", "3", 18),
    "telegram": ("telegram", "5", 9),
}


@dataclass(frozen=True)
class PlayedMessage:
    """One message a customer writes, and where it goes."""

    channel: str
    account_id: str
    customer_id: str
    customer_name: str
    message_id: str
    at_ms: int
    delivery: Delivery


def customer_id_for(channel: str, name: str) -> str:
    """The id the platform gives this customer on ``channel``: the same name, the same id."""
    salt, prefix, digits = _ID_SHAPES[channel]
    number = int(hashlib.sha256(f"{salt}:{name.strip().casefold()}".encode()).hexdigest(), 16)
    return prefix + str(number % 10**digits).rjust(digits, "0")


def handle_for(name: str) -> str:
    """An @handle made from a name: "Sheena Nelson" -> "sheena_nelson"."""
    return re.sub(r"[^a-z0-9]+", "_", name.casefold()).strip("_")[:15] or "customer"


def played_message(
    brand: BrandChannels,
    channel: str,
    *,
    name: str,
    text: str,
    customer_id: str | None = None,
    at_ms: int | None = None,
) -> PlayedMessage:
    """The delivery of ``text`` written now by ``name`` on ``channel`` to the configured brand."""
    if channel not in CHANNELS:
        raise ConfigError(f"unknown channel {channel!r}; one of {', '.join(CHANNELS)}")
    at = at_ms if at_ms is not None else time.time_ns() // 1_000_000
    who = customer_id or customer_id_for(channel, name)
    builders = {
        "messenger": _messenger,
        "facebook_comment": _facebook_comment,
        "instagram_dm": _instagram_dm,
        "instagram_comment": _instagram_comment,
        "whatsapp": _whatsapp,
        "x_post": _x_post,
        "x_dm": _x_dm,
        "telegram": _telegram,
    }
    account, message_id, delivery = builders[channel](brand, who, name, text, at)
    return PlayedMessage(channel, account, who, name, message_id, at, delivery)


_Built = tuple[str, str, Delivery]  # (brand account, message id, delivery)


def _messenger(brand: BrandChannels, who: str, name: str, text: str, at: int) -> _Built:
    mid = f"m_{secrets.token_urlsafe(24)}"
    return _account(brand.accounts.facebook_page_id), mid, brand.messenger(who, mid, text, at)


def _facebook_comment(brand: BrandChannels, who: str, name: str, text: str, at: int) -> _Built:
    comment_id = f"1001_{_digits(16)}"
    return (
        _account(brand.accounts.facebook_page_id),
        comment_id,
        brand.facebook_comment(who, name, comment_id, text, at),
    )


def _instagram_dm(brand: BrandChannels, who: str, name: str, text: str, at: int) -> _Built:
    mid = f"aWdfZAG1faWQ6{secrets.token_urlsafe(24)}"
    return _account(brand.accounts.instagram_account_id), mid, brand.instagram_dm(who, mid, text, at)


def _instagram_comment(brand: BrandChannels, who: str, name: str, text: str, at: int) -> _Built:
    comment_id = f"1785{_digits(13)}"
    delivery = brand.instagram_comment(who, handle_for(name).replace("_", "."), comment_id, text, at)
    return _account(brand.accounts.instagram_account_id), comment_id, delivery


def _whatsapp(brand: BrandChannels, who: str, name: str, text: str, at: int) -> _Built:
    wamid = f"wamid.{secrets.token_urlsafe(30)}"
    return _account(brand.accounts.whatsapp_phone_number_id), wamid, brand.whatsapp(who, name, wamid, text, at)


def _x_user(who: str, name: str) -> p.Payload:
    return p.x_user(who, handle_for(name), name)


def _x_post(brand: BrandChannels, who: str, name: str, text: str, at: int) -> _Built:
    tweet_id = _snowflake(at)
    screen_name = brand.accounts.x_screen_name or "brand"
    body = text if f"@{screen_name}".casefold() in text.casefold() else f"@{screen_name} {text}"
    return _account(brand.accounts.x_user_id), tweet_id, brand.x_post(_x_user(who, name), tweet_id, body, at)


def _x_dm(brand: BrandChannels, who: str, name: str, text: str, at: int) -> _Built:
    event_id = _snowflake(at)
    return _account(brand.accounts.x_user_id), event_id, brand.x_dm(_x_user(who, name), event_id, text, at)


def _telegram(brand: BrandChannels, who: str, name: str, text: str, at: int) -> _Built:
    first, _, last = name.strip().partition(" ")
    user = p.telegram_user(int(who), first or "Customer", last_name=last or None, username=handle_for(name))
    message_id = at % 2_000_000_000  # unique within the chat, and growing, as Telegram numbers them
    delivery = brand.telegram(user, int(_digits(9)), message_id, text, at)
    return _account(brand.accounts.telegram_bot_id), str(message_id), delivery


def _account(value: str | None) -> str:
    if not value:
        raise ConfigError("the configuration has no brand account for this channel")
    return value


def _digits(count: int) -> str:
    return str(secrets.randbelow(9 * 10 ** (count - 1)) + 10 ** (count - 1))


def _snowflake(at_ms: int) -> str:
    return str(((at_ms - _X_EPOCH_MS) << 22) | secrets.randbelow(1 << 22))
