"""Customers writing to the configured brand, one method per channel, as signed ``Delivery`` objects.

The payload builders (``payloads``) know each platform's shapes; this knows the brand's accounts
(from the local config) and fills in the envelope, so a scenario reads like what happens::

    to_brand = BrandChannels(sandbox)
    sandbox.send(to_brand.whatsapp("34600111222", "Sheena Nelson", "wamid.A1", "Where is my parcel?", at_ms))

Times are epoch milliseconds; each method converts to the unit its platform uses (Telegram,
WhatsApp and Page comments carry seconds). Message ids are the platform's own, and are what
deduplication keys on: the same id twice is one message.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from socialcare_local.config import BrandAccounts, ConfigError
from socialcare_local.sandbox import payloads as p
from socialcare_local.sandbox.client import Delivery, Sandbox


@dataclass(frozen=True)
class MessengerMessage:
    psid: str
    mid: str
    text: str
    at_ms: int


class BrandChannels:
    """Deliveries to the brand's accounts, signed by ``sandbox`` as each platform signs them."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.accounts: BrandAccounts = sandbox.config.accounts

    # --- Meta ------------------------------------------------------------------------------------
    def messenger(self, psid: str, mid: str, text: str, at_ms: int, *, label: str = "") -> Delivery:
        return self.messenger_batch([MessengerMessage(psid, mid, text, at_ms)], label=label or "messenger")

    def messenger_batch(self, messages: Sequence[MessengerMessage], *, label: str = "") -> Delivery:
        """Many Messenger messages in one POST, one ``entry`` each, as Meta batches them."""
        page = self._require(self.accounts.facebook_page_id, "accounts.facebook.page_id")
        entries = [
            p.meta_entry(page, [p.messenger_message(page, m.psid, m.mid, m.text, m.at_ms)], time=m.at_ms)
            for m in messages
        ]
        return self.sandbox.meta(p.meta_delivery("page", entries), label=label or f"{len(messages)} messenger")

    def facebook_comment(
        self, user_id: str, name: str, comment_id: str, text: str, at_ms: int, *, post: str = "1001"
    ) -> Delivery:
        """A comment on one of the Page's posts (``post`` is the post's own number)."""
        page = self._require(self.accounts.facebook_page_id, "accounts.facebook.page_id")
        at_s = at_ms // 1000
        change = p.facebook_comment(page, f"{page}_{post}", comment_id, user_id, name, text, at_s)
        return self.sandbox.meta(p.meta_delivery("page", [p.meta_entry(page, [change], time=at_s)]), label="facebook")

    def instagram_dm(self, igsid: str, mid: str, text: str, at_ms: int) -> Delivery:
        account = self._require(self.accounts.instagram_account_id, "accounts.instagram.account_id")
        event = p.instagram_dm(account, igsid, mid, text, at_ms)
        return self.sandbox.meta(
            p.meta_delivery("instagram", [p.meta_entry(account, [event], time=at_ms)]), label="instagram dm"
        )

    def instagram_comment(
        self,
        user_id: str,
        username: str,
        comment_id: str,
        text: str,
        at_ms: int,
        *,
        media_id: str = "17990000000000001",
    ) -> Delivery:
        account = self._require(self.accounts.instagram_account_id, "accounts.instagram.account_id")
        change = p.instagram_comment(comment_id, user_id, username, text, media_id)
        return self.sandbox.meta(
            p.meta_delivery("instagram", [p.meta_entry(account, [change], time=at_ms // 1000)]),
            label="instagram comment",
        )

    def whatsapp(self, wa_id: str, name: str, wamid: str, text: str, at_ms: int) -> Delivery:
        number = self._require(self.accounts.whatsapp_phone_number_id, "accounts.whatsapp.phone_number_id")
        waba = self.accounts.whatsapp_business_account_id or number
        display = self.accounts.whatsapp_display_phone_number or "15550783881"
        value = p.whatsapp_message(number, wa_id, wamid, text, at_ms // 1000, name=name)
        value["value"]["metadata"]["display_phone_number"] = display
        return self.sandbox.meta(
            p.meta_delivery("whatsapp_business_account", [p.meta_entry(waba, [value])]), label="whatsapp"
        )

    # --- X ---------------------------------------------------------------------------------------
    @property
    def x_brand(self) -> p.Payload:
        brand = self._require(self.accounts.x_user_id, "accounts.x.user_id")
        return p.x_user(brand, self.accounts.x_screen_name or "brand", self.accounts.brand_name)

    def x_post(
        self, user: p.Payload, tweet_id: str, text: str, at_ms: int, *, in_reply_to: tuple[str, p.Payload] | None = None
    ) -> Delivery:
        """A customer's public post mentioning the brand (or replying to one of its posts)."""
        brand = self.x_brand
        tweet = p.x_tweet(tweet_id, user, text, at_ms, mentions=[brand], in_reply_to=in_reply_to)
        return self.sandbox.x(p.x_delivery(brand["id_str"], tweet_create_events=[tweet]), label="x post")

    def x_brand_reply(self, tweet_id: str, customer: p.Payload, replying_to: str, text: str, at_ms: int) -> Delivery:
        """The brand's own public reply to a customer's post: X echoes it back to the webhook."""
        brand = self.x_brand
        tweet = p.x_tweet(tweet_id, brand, text, at_ms, in_reply_to=(replying_to, customer), mentions=[customer])
        return self.sandbox.x(p.x_delivery(brand["id_str"], tweet_create_events=[tweet]), label="x brand reply")

    def x_dm(self, user: p.Payload, event_id: str, text: str, at_ms: int) -> Delivery:
        brand = self.x_brand
        dm = p.x_dm(event_id, user["id_str"], brand["id_str"], text, at_ms)
        delivery = p.x_delivery(brand["id_str"], users=[user, brand], direct_message_events=[dm])
        return self.sandbox.x(delivery, label="x dm")

    # --- Telegram --------------------------------------------------------------------------------
    def telegram(self, user: p.Payload, update_id: int, message_id: int, text: str, at_ms: int) -> Delivery:
        bot = self._require(self.accounts.telegram_bot_id, "accounts.telegram.bot_id")
        update = p.telegram_message(update_id, message_id, user, text, at_ms // 1000)
        return self.sandbox.telegram(update, bot_id=bot, label="telegram")

    @staticmethod
    def _require(value: str | None, name: str) -> str:
        if not value:
            raise ConfigError(f"{name} is not configured")
        return value
