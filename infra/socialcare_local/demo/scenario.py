"""The demo's scenario: what the customers send and what the care team does, in order, and what must
hold afterwards.

The customers' steps (here) send signed deliveries over HTTP through the platform sandbox; the care
team's steps (``care_team``) work the cases through the agent API. Each returns a one-line
outcome; its ``checks`` are verified at the end with keyed reads of the table and of the calls the
platform sandbox received. To extend the demo, add steps to ``SCENARIO``.
"""

from __future__ import annotations

import time

from socialcare_local.demo import automation, department, escalation, triage
from socialcare_local.demo import care_team as team
from socialcare_local.demo.context import Check, Customer, DemoContext, Step
from socialcare_local.demo.people import (
    ANA,
    BATCH_PSIDS,
    BATCH_SIZE,
    DMITRI,
    JOE,
    JOE_DM,
    JOE_TWEET,
    KOFI,
    KOFI_DELAY_HOURS,
    KOFI_WAMID,
    LENA,
    LUCIA,
    MALLORY_MID,
    MALLORY_PSID,
    MAYA_PSID,
    OLA_IGSID,
    OMAR_IGSID,
    OMAR_TEXTS,
    PRIYA,
    PRIYA_COMMENT,
    SHEENA,
    SHEENA_WAMID,
    TOM,
)
from socialcare_local.sandbox.channels import MessengerMessage


# --- customers on every channel -------------------------------------------------------------------
def customers_on_every_channel(ctx: DemoContext) -> str:
    a = ctx.stack.config.accounts
    b = ctx.brand
    writes = [
        ("messenger", a.facebook_page_id, MAYA_PSID, b.messenger(MAYA_PSID, "m_demo_maya_1", "Hi! My order #A-1042 arrived with a broken zip 😕", ctx.at(0))),
        ("facebook_comment", a.facebook_page_id, PRIYA[0], b.facebook_comment(*PRIYA, PRIYA_COMMENT, "Third email this week about my refund. Anyone there?", ctx.at(1))),
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


# --- Joe: public complaint; asked (by an agent, through the API) to DM; DMs -------------------------
def joe_complains_in_public(ctx: DemoContext) -> str:
    ctx.customer(ctx.stack.config.accounts.x_user_id, JOE["id_str"])
    ctx.send(ctx.brand.x_post(JOE, JOE_TWEET, "@AcmeCare 3 weeks and still no parcel. Useless. #fail", ctx.at(10)))
    return "a public mention of @AcmeCare"


def joe_sends_a_dm(ctx: DemoContext) -> str:
    """Joe answers the agent's public invitation: after it, so it is written now."""
    ctx.send(ctx.brand.x_dm(JOE, JOE_DM, "Order 4471. Shipped 3 weeks ago, tracking dead.", ctx.now_ms()))
    ctx.settle()
    cases = ctx.cases(Customer(ctx.stack.config.accounts.x_user_id or "", JOE["id_str"]))
    ctx.facts["joe_after_dm"] = [(case.case_id, case.channels, case.status) for case in cases]
    case = ctx.agents["alice"].case(ctx.facts["joe_case"])["case"]
    return f"from the same X account: his case, now on {' + '.join(case['channels'])}, is {case['status']} again"


def _joe_dm_joined_his_case(ctx: DemoContext) -> tuple[bool, str]:
    cases = ctx.facts["joe_after_dm"]
    expected = [(ctx.facts["joe_case"], ["x_dm", "x_post"], "open")]
    return cases == expected, "; ".join(f"{' + '.join(channels)}: {status}" for _, channels, status in cases)


# --- a WhatsApp retry -----------------------------------------------------------------------------
def whatsapp_delivery_arrives_twice(ctx: DemoContext) -> str:
    ctx.customer(ctx.stack.config.accounts.whatsapp_phone_number_id, SHEENA[0])
    delivery = ctx.brand.whatsapp(*SHEENA, SHEENA_WAMID, "My card was charged twice for one order", ctx.at(18))
    first = ctx.send(delivery)
    again = ctx.send(delivery)  # Meta retries with the very same bytes and signature
    return f"the same signed delivery acknowledged twice (HTTP {first.status_code}, {again.status_code})"


def _whatsapp_duplicate_stored_once(ctx: DemoContext) -> tuple[bool, str]:
    cases = ctx.cases(Customer(ctx.stack.config.accounts.whatsapp_phone_number_id or "", SHEENA[0]))
    messages = [e for case in cases for e in case.entries("inbound")]  # (later, the agents' replies too)
    return len(cases) == 1 and len(messages) == 1, f"{len(messages)} customer message(s) in {len(cases)} case(s)"


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
    stored = sum(len(case.entries("inbound")) for psid in BATCH_PSIDS for case in ctx.cases(Customer(page, psid)))
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
    texts = tuple(e.get("text") for case in cases for e in case.entries("inbound"))
    return len(cases) == 1 and texts == OMAR_TEXTS, " / ".join(str(t) for t in texts)


# --- a WhatsApp message that arrives a day late -------------------------------------------------------
def whatsapp_message_arrives_a_day_late(ctx: DemoContext) -> str:
    """Meta retries a delivery for up to 7 days (after an outage of the webhook, say): this one was
    written 26 hours ago, so WhatsApp's 24-hour customer service window has already closed."""
    ctx.customer(ctx.stack.config.accounts.whatsapp_phone_number_id, KOFI[0])
    written = ctx.now_ms() - KOFI_DELAY_HOURS * 3_600_000
    ctx.send(
        ctx.brand.whatsapp(
            *KOFI, KOFI_WAMID, "Hello, my jacket has a tear in the sleeve. Can I get a new one?", written
        )
    )
    return f"a WhatsApp message written {KOFI_DELAY_HOURS} hours ago, delivered now"


SCENARIO: list[Step] = [
    # --- customers write in -----------------------------------------------------------------------
    Step(
        "Customers write in on every channel",
        customers_on_every_channel,
        (Check("every channel: one case each, on its own channel", _every_channel_has_its_case),),
    ),
    Step("Joe complains publicly on X", joe_complains_in_public),
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
    Step("A WhatsApp message written a day ago arrives late", whatsapp_message_arrives_a_day_late),
    # --- the care team works the queue through the agent API ------------------------------------------
    Step("The care team signs in (Alice, Bob, lead Carmen; Felix of billing)", team.care_team_signs_in),
    Step(
        "Alice lists the care queue, most overdue first",
        team.alice_opens_the_queue,
        (Check("queue: every active case, most overdue first", team.queue_most_overdue_first),),
    ),
    Step(
        "Felix, of team billing, tries the care team's cases",
        team.other_team_is_kept_out,
        (Check("another team's agent: 403 forbidden_team, nothing changed", team.other_team_refused),),
    ),
    Step(
        "Alice claims Joe's public complaint and moves it to private",
        team.alice_moves_joe_to_private,
        (Check("Joe's public reply: sent, its echo recognised as the brand's own", team.joes_echo_recognised),),
    ),
    Step(
        "Joe sends a DM",
        joe_sends_a_dm,
        (Check("Joe's DM joins his case: x_post + x_dm, open again", _joe_dm_joined_his_case),),
    ),
    Step(
        f"Nobody answers Joe's DM ({escalation.DM_TARGET_S} s target): Alice is warned, the team lead notified at the breach",
        escalation.joes_dm_goes_unanswered,
        (
            Check("the assignee was warned before the breach", escalation.assignee_warned_before_breach),
            Check("the lead was notified at the breach", escalation.lead_notified_at_breach),
        ),
    ),
    Step(
        "Alice answers Joe in the DM and resolves the case",
        team.alice_answers_joe_and_resolves,
        (Check("Joe: 1 case on x_post + x_dm, answered in both, resolved", team.joe_resolved_on_two_channels),),
    ),
    Step(
        "Alice and Bob claim and answer a case on every channel",
        team.agents_answer_every_channel,
        (
            Check("every channel: a reply accepted by the platform", team.every_channel_answered),
            Check("replies signed with the agent's name", team.replies_signed),
            Check("canned response filled in for the customer", team.canned_response_filled_in),
            Check("every reply's echo recognised as the brand's own", team.every_echo_recognised),
        ),
    ),
    Step(
        "Lead Carmen assigns Sheena's double charge to Bob; Bob notes and replies",
        team.lead_assigns_sheena_to_bob,
        (Check("internal note kept in the thread, never sent", team.note_never_sent),),
    ),
    Step(
        "Bob hands Sheena's double charge to billing: the machine asks billing with a signed link",
        department.bob_escalates_sheena_to_billing,
        (Check("billing notified with an answer link (the stack's log)", department.billing_notified_with_a_link),),
    ),
    Step(
        "Billing answers through the link, without an agent account",
        department.billing_answers_through_the_link,
        (
            Check("the link shows the question and takes one answer (410 after)", department.link_answered_once),
            Check("the answer is on the case's thread, the case open for Bob", department.answer_on_the_thread),
        ),
    ),
    Step(
        "Alice and Bob claim Omar's case at the same moment",
        team.two_agents_claim_omar_at_once,
        (Check("two claims at once: one wins, the other gets 409 with the case", team.one_claim_wins),),
    ),
    Step(
        "Meta rate-limits the next send; Omar's reply goes out",
        team.meta_throttles_omars_reply,
        (Check("throttled once, the reply sent exactly once", team.throttled_reply_sent_once),),
    ),
    Step(
        "Alice answers Kofi's day-old WhatsApp message",
        team.alice_answers_kofi_after_a_day,
        (Check("outside WhatsApp's 24 h: template_required, nothing queued", team.template_required_after_24_hours),),
    ),
    # --- triage (issue 9) ---------------------------------------------------------------------------------
    Step(
        "A journalist asks on X; lead Grace (PR, trained team) reads the routing rules",
        triage.journalist_asks_on_x,
        (
            Check(
                "the journalist's question goes to PR by its rule, no automated message", triage.journalist_routed_to_pr
            ),
        ),
    ),
    Step(
        "A customer writes on WhatsApp that her mother died",
        triage.bereaved_customer_writes,
        (
            Check(
                "bereavement: trained team, urgent, a lead notified, nothing automated sent",
                triage.bereaved_customer_with_trained_team,
            ),
        ),
    ),
    Step(
        "A blocked troll posts insults on X",
        triage.troll_is_set_aside,
        (Check("the troll is set aside for review: no due time, no case clock", triage.troll_set_aside_without_clock),),
    ),
    Step(
        "Lead Carmen restores the troll's case",
        triage.lead_restores_the_troll,
        (
            Check(
                "one action restores it: back in the queue, its clock from the restore",
                triage.troll_restored_by_one_action,
            ),
        ),
    ),
    # --- automated messages and crisis mode (socialcare/automated, the crisis routes) ------------------
    Step(
        "Admin Dana turns on the automatic acknowledgement for the Page", automation.admin_turns_on_the_acknowledgement
    ),
    Step(
        "A new customer DMs the Page",
        automation.new_dm_is_acknowledged,
        (
            Check(
                "acknowledged once with the expected reply time; still awaiting an answer",
                automation.acknowledged_once_naming_the_reply_time,
            ),
        ),
    ),
    Step(
        f"Dana declares a crisis ({automation.CRISIS}) for the Page; two customers DM",
        automation.crisis_holds_acknowledgements,
        (Check("during the crisis both acknowledgements are held, none sent", automation.held_not_sent),),
    ),
    Step(
        "Dana ends the crisis, releases one held acknowledgement and discards the other",
        automation.admin_releases_one_and_discards_one,
        (Check("the released one is sent, the discarded one never", automation.released_sent_discarded_not),),
    ),
]
