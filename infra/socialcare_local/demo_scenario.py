"""The demo's scenario: what the platforms send, in order, and what must hold afterwards.

Each ``Step`` sends signed deliveries over HTTP through the platform sandbox and returns a one-line
outcome; its ``checks`` are verified at the end with keyed reads of the table. To extend the demo
(agents claiming and replying through the agent API...), append steps to ``SCENARIO``.
"""

from __future__ import annotations

import time

from socialcare_local.demo import Check, Customer, DemoContext, Step
from socialcare_local.sandbox import payloads as p
from socialcare_local.sandbox.channels import MessengerMessage

# --- the people -----------------------------------------------------------------------------------
MAYA_PSID = "6014459241234567"  # Messenger
PRIYA = ("10160000000000001", "Priya Shah")  # a comment on the Page's post
OLA_IGSID = "17841499990000001"  # Instagram DM
TOM = ("17841499990000002", "tom.k")  # Instagram comment
LUCIA = ("34612345678", "Lucía Fernández")  # WhatsApp
ANA = p.x_user("2244994945", "ana_runs", "Ana Ruiz")  # X post
DMITRI = p.x_user("2244994946", "dmitri_k", "Dmitri Kowalski")  # X DM
LENA = p.telegram_user(5511223344, "Lena", last_name="Vogel", username="lenav")  # Telegram

JOE = p.x_user("3300000000000000001", "joe_average", "Joe Average")
JOE_TWEET = "1890000000000000001"
SHEENA = ("34600111222", "Sheena Nelson")
SHEENA_WAMID = "wamid.HBgLMzQ2MDAxMTEyMjIVAgASGBQzQTk3RjE2RTQ4QzA0QkQ1RjY5NQA="
BATCH_PSIDS = tuple(f"60144592400000{n:02d}" for n in range(5))
BATCH_SIZE = 50
MALLORY_PSID = "6014459249999999"
MALLORY_MID = "m_demo_forged_1"
OMAR_IGSID = "17841499990000077"
OMAR_TEXTS = ("Hi!", "I ordered the blue backpack", "but a red one arrived", "can you swap it?")


# --- customers on every channel -------------------------------------------------------------------
def customers_on_every_channel(ctx: DemoContext) -> str:
    a = ctx.stack.config.accounts
    b = ctx.brand
    writes = [
        ("messenger", a.facebook_page_id, MAYA_PSID, b.messenger(MAYA_PSID, "m_demo_maya_1", "Hi! My order #A-1042 arrived with a broken zip 😕", ctx.at(0))),
        ("facebook_comment", a.facebook_page_id, PRIYA[0], b.facebook_comment(*PRIYA, "1001_2001", "Third email this week about my refund. Anyone there?", ctx.at(1))),
        ("instagram_dm", a.instagram_account_id, OLA_IGSID, b.instagram_dm(OLA_IGSID, "ig_m_demo_ola_1", "Do you ship to Norway? 🇳🇴", ctx.at(2))),
        ("instagram_comment", a.instagram_account_id, TOM[0], b.instagram_comment(*TOM, "17850000000000101", "The size guide is wrong: ordered L, fits like S", ctx.at(3))),
        ("whatsapp", a.whatsapp_phone_number_id, LUCIA[0], b.whatsapp(*LUCIA, "wamid.DEMO_LUCIA_1", "¿Podéis cambiar la dirección de entrega?", ctx.at(4))),
        ("x_post", a.x_user_id, ANA["id_str"], b.x_post(ANA, "1880000000000000101", "@AcmeCare ordered running shoes 10 days ago, tracking hasn't moved", ctx.at(5))),
        ("x_dm", a.x_user_id, DMITRI["id_str"], b.x_dm(DMITRI, "1880000000000000102", "Can I return online something I bought in store?", ctx.at(6))),
        ("telegram", a.telegram_bot_id, str(LENA["id"]), b.telegram(LENA, 900001, 12, "Hallo! Meine Bestellung ist unvollständig.", ctx.at(7))),
    ]  # fmt: skip
    every_channel = ctx.facts["every_channel"] = []
    for channel, account_id, user_id, delivery in writes:
        every_channel.append((ctx.customer(account_id, user_id), channel))
        ctx.send(delivery)
    return f"{len(writes)} deliveries acknowledged, one per channel"


def _every_channel_has_its_case(ctx: DemoContext) -> tuple[bool, str]:
    every_channel: list[tuple[Customer, str]] = ctx.facts["every_channel"]
    right = [channel for who, channel in every_channel if [c.channels for c in ctx.cases(who)] == [[channel]]]
    return len(right) == len(every_channel) == 8, f"{len(right)}/8 channels"


# --- Joe: public complaint, asked to DM, DMs ------------------------------------------------------
def joe_complains_in_public(ctx: DemoContext) -> str:
    ctx.customer(ctx.stack.config.accounts.x_user_id, JOE["id_str"])
    ctx.send(ctx.brand.x_post(JOE, JOE_TWEET, "@AcmeCare 3 weeks and still no parcel. Useless. #fail", ctx.at(10)))
    return "a public mention of @AcmeCare"


def brand_asks_joe_to_dm(ctx: DemoContext) -> str:
    reply = "@joe_average Sorry Joe, that's not OK. Please DM us your order number and we'll sort it."
    ctx.send(ctx.brand.x_brand_reply("1890000000000000002", JOE, JOE_TWEET, reply, ctx.at(14)))
    return "the brand's public reply, echoed back by X: the case's first response"


def joe_sends_a_dm(ctx: DemoContext) -> str:
    ctx.send(ctx.brand.x_dm(JOE, "1890000000000000003", "Order 4471. Shipped 3 weeks ago, tracking dead.", ctx.at(16)))
    return "a direct message from the same X account"


def _joe_has_one_case_on_two_channels(ctx: DemoContext) -> tuple[bool, str]:
    cases = ctx.cases(Customer(ctx.stack.config.accounts.x_user_id or "", JOE["id_str"]))
    if len(cases) != 1:
        return False, f"{len(cases)} cases"
    [case] = cases
    thread = " → ".join(f"{e['kind']} {e['channel']}" for e in case.thread)
    return case.channels == ["x_dm", "x_post"], thread


# --- a WhatsApp retry -----------------------------------------------------------------------------
def whatsapp_delivery_arrives_twice(ctx: DemoContext) -> str:
    ctx.customer(ctx.stack.config.accounts.whatsapp_phone_number_id, SHEENA[0])
    delivery = ctx.brand.whatsapp(*SHEENA, SHEENA_WAMID, "My card was charged twice for one order", ctx.at(18))
    first = ctx.send(delivery)
    again = ctx.send(delivery)  # Meta retries with the very same bytes and signature
    return f"the same signed delivery acknowledged twice (HTTP {first.status_code}, {again.status_code})"


def _whatsapp_duplicate_stored_once(ctx: DemoContext) -> tuple[bool, str]:
    cases = ctx.cases(Customer(ctx.stack.config.accounts.whatsapp_phone_number_id or "", SHEENA[0]))
    entries = [e for case in cases for e in case.thread]
    return len(cases) == 1 and len(entries) == 1, f"{len(entries)} message(s) in {len(cases)} case(s)"


# --- a batch of 50 Messenger messages in one POST -------------------------------------------------
def messenger_batch_in_one_post(ctx: DemoContext) -> str:
    page = ctx.stack.config.accounts.facebook_page_id
    for psid in BATCH_PSIDS:
        ctx.customer(page, psid)
    messages = [
        MessengerMessage(
            BATCH_PSIDS[i % len(BATCH_PSIDS)],
            f"m_demo_batch_{i:02d}",
            f"Flash-sale order problem, message {i + 1}",
            ctx.at(20 + i / 10),
        )
        for i in range(BATCH_SIZE)
    ]
    delivery = ctx.brand.messenger_batch(messages)
    started = time.monotonic()
    ctx.send(delivery)
    elapsed_ms = (time.monotonic() - started) * 1000
    return f"1 POST of {len(delivery.body) / 1024:.1f} KiB, {BATCH_SIZE} messages from {len(BATCH_PSIDS)} customers, acknowledged in {elapsed_ms:.0f} ms"


def _all_batch_messages_stored(ctx: DemoContext) -> tuple[bool, str]:
    page = ctx.stack.config.accounts.facebook_page_id or ""
    stored = sum(len(case.thread) for psid in BATCH_PSIDS for case in ctx.cases(Customer(page, psid)))
    return stored == BATCH_SIZE, f"{stored}/{BATCH_SIZE} stored"


# --- a forged delivery ------------------------------------------------------------------------------
def forged_delivery_is_refused(ctx: DemoContext) -> str:
    forged = ctx.brand.messenger(MALLORY_PSID, MALLORY_MID, "Export every customer's address to me", ctx.at(25))
    response = ctx.send(forged.tampered(), expect=403)
    return f"HTTP {response.status_code} {response.json().get('error')}"


def _forged_delivery_left_nothing(ctx: DemoContext) -> tuple[bool, str]:
    page = ctx.stack.config.accounts.facebook_page_id or ""
    cases = ctx.cases(Customer(page, MALLORY_PSID))
    message = ctx.reader.platform_message("meta", page, MALLORY_MID)
    return not cases and message is None, f"{len(cases)} case(s), message {'stored' if message else 'not stored'}"


# --- out-of-order arrival ---------------------------------------------------------------------------
def deliveries_arrive_out_of_order(ctx: DemoContext) -> str:
    ctx.customer(ctx.stack.config.accounts.instagram_account_id, OMAR_IGSID)
    deliveries = [
        ctx.brand.instagram_dm(OMAR_IGSID, f"ig_m_demo_omar_{i}", text, ctx.at(30 + i / 2))
        for i, text in enumerate(OMAR_TEXTS)
    ]
    for delivery in reversed(deliveries):
        ctx.send(delivery)
    return f"{len(deliveries)} Instagram DMs, the newest delivered first"


def _out_of_order_reads_in_order(ctx: DemoContext) -> tuple[bool, str]:
    cases = ctx.cases(Customer(ctx.stack.config.accounts.instagram_account_id or "", OMAR_IGSID))
    texts = tuple(e.get("text") for case in cases for e in case.thread)
    return len(cases) == 1 and texts == OMAR_TEXTS, " / ".join(str(t) for t in texts)


SCENARIO: list[Step] = [
    Step(
        "Customers write in on every channel",
        customers_on_every_channel,
        (Check("every channel: one case each, on its own channel", _every_channel_has_its_case),),
    ),
    Step("Joe complains publicly on X", joe_complains_in_public),
    Step("The brand replies in public and asks Joe to DM", brand_asks_joe_to_dm),
    Step(
        "Joe sends a DM",
        joe_sends_a_dm,
        (Check("Joe: 1 case on x_post + x_dm", _joe_has_one_case_on_two_channels),),
    ),
    Step(
        "A WhatsApp delivery arrives twice (a platform retry)",
        whatsapp_delivery_arrives_twice,
        (Check("WhatsApp duplicate stored once", _whatsapp_duplicate_stored_once),),
    ),
    Step(
        f"A batch of {BATCH_SIZE} Messenger messages arrives in one POST",
        messenger_batch_in_one_post,
        (Check(f"{BATCH_SIZE}/{BATCH_SIZE} Messenger messages", _all_batch_messages_stored),),
    ),
    Step(
        "A delivery with a bad signature arrives",
        forged_delivery_is_refused,
        (Check("bad signature refused, nothing stored", _forged_delivery_left_nothing),),
    ),
    Step(
        "Deliveries arrive out of order",
        deliveries_arrive_out_of_order,
        (Check("out-of-order deliveries read in platform order", _out_of_order_reads_in_order),),
    ),
]
