"""Playing a customer by hand (``socialcare customer``): a realistic delivery on every channel, the
same name the same customer, and the platform sandbox that knows them once shown the delivery."""

from __future__ import annotations

import json
import time

import pytest
from socialcare_local.config import ConfigError, load_config
from socialcare_local.sandbox import Sandbox
from socialcare_local.sandbox.channels import BrandChannels
from socialcare_local.sandbox.customers import CHANNELS, customer_id_for, played_message
from socialcare_local.sandbox.reply_api import ReplyApi
from socialcare_local.sandbox.reply_platforms import Incoming

pytestmark = pytest.mark.unit

CONFIG = load_config(None)


def _brand() -> BrandChannels:
    return BrandChannels(Sandbox("http://127.0.0.1:9", CONFIG))


@pytest.mark.parametrize("channel", CHANNELS)
def test_every_channel_gives_a_signed_delivery_to_the_brand_stamped_now(channel: str) -> None:
    before = time.time_ns() // 1_000_000
    played = played_message(_brand(), channel, name="Sheena Nelson", text="Where is my parcel?")

    assert played.at_ms >= before
    assert played.delivery.platform in ("meta", "x", "telegram")
    assert played.account_id in CONFIG.account_ids
    assert played.customer_id == customer_id_for(channel, "Sheena Nelson")
    headers = {k.lower() for k in played.delivery.headers}
    assert headers & {"x-hub-signature-256", "x-twitter-webhooks-signature", "x-telegram-bot-api-secret-token"}
    assert b"Where is my parcel?" in played.delivery.body
    assert played.message_id.encode() in played.delivery.body


def test_the_same_name_is_the_same_customer_and_each_message_is_new() -> None:
    first = played_message(_brand(), "whatsapp", name="Sheena Nelson", text="one")
    second = played_message(_brand(), "whatsapp", name="sheena nelson ", text="two")
    other = played_message(_brand(), "whatsapp", name="Kofi Mensah", text="three")

    assert first.customer_id == second.customer_id != other.customer_id
    assert first.message_id != second.message_id


def test_x_posts_and_dms_share_the_customer_and_meta_channels_do_not() -> None:
    assert customer_id_for("x_post", "Joe Average") == customer_id_for("x_dm", "Joe Average")
    assert customer_id_for("messenger", "Joe Average") != customer_id_for("facebook_comment", "Joe Average")


def test_an_unknown_channel_is_refused() -> None:
    with pytest.raises(ConfigError, match="unknown channel"):
        played_message(_brand(), "fax", name="A", text="b")


def _whatsapp_reply(api: ReplyApi, to: str) -> dict:
    phone = CONFIG.accounts.whatsapp_phone_number_id
    token = CONFIG.credentials.meta.page_tokens[phone]  # type: ignore[union-attr,index]
    body = {"messaging_product": "whatsapp", "to": to, "type": "text", "text": {"body": "Hello"}}
    _, answer = api.serve(
        Incoming(
            method="POST",
            path=f"/graph/v21.0/{phone}/messages",
            query={},
            headers={"authorization": f"Bearer {token}", "content-type": "application/json"},
            body=json.dumps(body).encode(),
        )
    )
    return {"status": answer.status, **answer.doc}


def test_a_reply_to_someone_who_never_wrote_says_the_recipient_is_unknown() -> None:
    api = ReplyApi(CONFIG)
    played = played_message(_brand(), "whatsapp", name="Curl Person", text="hi")

    refused = _whatsapp_reply(api, played.customer_id)
    assert refused["status"] == 400
    assert refused["error"]["code"] == 131026
    assert "never written to this WhatsApp number" in refused["error"]["error_user_msg"]
    assert "24 hours" not in json.dumps(refused)

    # Shown the delivery (what POST /_sandbox/deliveries/meta does), the sandbox knows the customer.
    _, shown = api.serve(
        Incoming("POST", "/_sandbox/deliveries/meta", {}, {"content-type": "application/json"}, played.delivery.body)
    )
    assert shown.status == 200
    assert _whatsapp_reply(api, played.customer_id)["status"] == 200
