"""The care team at work: the demo's steps where agents answer the cases through the agent API.

Every action is an HTTP request to the agent API with a token the stack issued. Replies are stored
and queued by the API, sent by the outbound function to the platform sandbox's reply API, and the
sandbox sends the platform's echo back to the webhooks, as the platforms do. The checks read the
outcome back from the table (keyed reads) and from the calls the sandbox recorded.
"""

from __future__ import annotations

import calendar
import threading
import time
from collections.abc import Iterable
from typing import Any

from socialcare_local.demo.agents import ApiAgent, ApiAnswer
from socialcare_local.demo.context import AgentReply, Customer, DemoContext
from socialcare_local.demo.errors import DemoStepFailed
from socialcare_local.demo.people import (
    ALICE,
    ANA,
    BOB,
    CARE_TEAM,
    CARMEN,
    DMITRI,
    FELIX,
    JOE,
    KOFI,
    LENA,
    LUCIA,
    MAYA_PSID,
    OLA_IGSID,
    OMAR_IGSID,
    PRIYA,
    SHEENA,
    TOM,
)
from socialcare_local.sandbox.reply_api import RecordedCall

TEAM = "care"
SENT_STATES = ("sent", "delivered", "read")
# Every reply endpoint the scenario's channels need (a Facebook comment: a public and a private reply).
EVERY_ENDPOINT = (
    "messenger",
    "facebook_comment_reply",
    "private_reply",
    "instagram_dm",
    "instagram_comment_reply",
    "whatsapp",
    "x_reply",
    "x_dm",
    "telegram",
)
SHEENA_NOTE = "Payments confirm the double charge on order 5521 (2 x 49.90 EUR); refund of one approved by billing."
KOFI_TEMPLATE = {
    "name": "order_issue_follow_up",
    "language": "en_US",
    "components": [{"type": "body", "parameters": [{"type": "text", "text": "Kofi"}]}],
}


# --- helpers ------------------------------------------------------------------------------------------
def _agent(ctx: DemoContext, agent_id: str) -> ApiAgent:
    return ctx.agents[agent_id]


def _reply(ctx: DemoContext, agent: ApiAgent, case_id: str, **body: Any) -> AgentReply:
    return ctx.track_reply(agent, agent.reply(case_id, **body).doc)


def _calls(ctx: DemoContext) -> list[RecordedCall]:
    assert ctx.stack.reply_api is not None, "the stack runs the platform sandbox's reply API"
    return ctx.stack.reply_api.calls()


def _entry(ctx: DemoContext, case_id: str, entry_id: str) -> dict[str, Any] | None:
    view = ctx.reader.case(case_id)
    return None if view is None else view.entry(entry_id)


def _calls_of(ctx: DemoContext, reply: AgentReply) -> list[RecordedCall]:
    """The sandbox calls that delivered this reply (by the platform message ids recorded on it)."""
    entry = _entry(ctx, reply.case_id, reply.entry_id) or {}
    ids = set(entry.get("platform_message_ids") or []) | {entry.get("platform_message_id")}
    return [call for call in _calls(ctx) if call.message_id and call.message_id in ids]


def _customer_messages(thread: Iterable[dict[str, Any]]) -> int:
    return sum(1 for e in thread if e.get("kind") == "inbound")


# --- signing in -----------------------------------------------------------------------------------------
def care_team_signs_in(ctx: DemoContext) -> str:
    seen = []
    for member in CARE_TEAM:
        agent = ApiAgent(ctx.stack, member.agent_id, member.name, role=member.role, teams=member.teams)
        ctx.agents[member.agent_id] = agent
        me = agent.me()
        seen.append(f"{me['name']} ({me['role']}, {'+'.join(me['teams'])})")
    return "tokens issued by the stack; GET /me: " + ", ".join(seen)


# --- the queue -------------------------------------------------------------------------------------------
def alice_opens_the_queue(ctx: DemoContext) -> str:
    pages = list(_agent(ctx, ALICE.agent_id).queue_pages(TEAM, limit="10"))
    cases = [case for page in pages for case in page]
    ctx.facts["queue"] = cases
    ctx.facts["queue_in_table"] = {str(item["case_id"]) for item in ctx.reader.queue(TEAM)}
    overdue = [case for case in cases if case["overdue"]]
    if not cases:
        raise DemoStepFailed("the care queue is empty")
    first = cases[0]
    who = first["customer"]["name"] or first["customer"]["handle"] or first["customer"]["user_id"]
    late = f", overdue by {_since(first['response_due_at'])}" if first["overdue"] else ""
    return (
        f"{len(cases)} active cases on {len(pages)} pages of 10 (cursor), {len(overdue)} overdue; "
        f"first: {who} ({first['channel']}{late})"
    )


def _since(iso_time: str) -> str:
    """How long ago an API time ("2026-01-01T09:30:00.000Z") was, in hours and minutes."""
    then = calendar.timegm(time.strptime(iso_time[:19], "%Y-%m-%dT%H:%M:%S"))
    minutes = max(0, int(time.time() - then) // 60)
    return f"{minutes // 60} h {minutes % 60:02d} min" if minutes >= 60 else f"{minutes} min"


def queue_most_overdue_first(ctx: DemoContext) -> tuple[bool, str]:
    cases: list[dict[str, Any]] = ctx.facts["queue"]
    dues = [case["response_due_at"] or "9999" for case in cases]  # ISO 8601 UTC strings sort as times
    overdue = [case["overdue"] for case in cases]
    in_order = dues == sorted(dues) and overdue == sorted(overdue, reverse=True)
    complete = {case["case_id"] for case in cases} == ctx.facts["queue_in_table"]
    first = cases[0]["customer"]["user_id"] if cases else None
    return (
        in_order and complete and first == KOFI[0] and sum(overdue) >= 5,
        f"{len(cases)} cases, the {sum(overdue)} overdue first, then by due time; "
        + ("every active case listed" if complete else "not every active case listed"),
    )


# --- another team -----------------------------------------------------------------------------------------
def other_team_is_kept_out(ctx: DemoContext) -> str:
    felix = _agent(ctx, FELIX.agent_id)
    case_id = ctx.facts["queue"][0]["case_id"]
    before = ctx.reader.case(case_id)
    answers = {
        "list the care queue": felix.get(f"/queues/{TEAM}/cases", expect=(403,)),
        "open a care case": felix.get(f"/cases/{case_id}", expect=(403,)),
        "claim it": felix.claim(case_id, expect=(403,)),
        "note on it": felix.call("POST", f"/cases/{case_id}/notes", {"text": "mine now"}, expect=(403,)),
    }
    after = ctx.reader.case(case_id)
    ctx.facts["other_team"] = (
        {what: (a.status, a.code) for what, a in answers.items()},
        (before.item.get("version"), before.item.get("owner")) if before else None,
        (after.item.get("version"), after.item.get("owner")) if after else None,
        len(before.thread) if before else None,
        len(after.thread) if after else None,
    )
    codes = sorted({f"{a.status} {a.code}" for a in answers.values()})
    return f"{' / '.join(codes)} to each of: " + ", ".join(answers)


def other_team_refused(ctx: DemoContext) -> tuple[bool, str]:
    answers, before, after, thread_before, thread_after = ctx.facts["other_team"]
    refused = all(answer == (403, "forbidden_team") for answer in answers.values())
    unchanged = before == after and thread_before == thread_after
    return refused and unchanged, f"{len(answers)} requests: 403 forbidden_team; " + (
        "the case untouched" if unchanged else "the case changed"
    )


# --- Joe: move to private, the DM, the answer ----------------------------------------------------------------
def alice_moves_joe_to_private(ctx: DemoContext) -> str:
    alice = _agent(ctx, ALICE.agent_id)
    case = alice.find_case(JOE["id_str"], channel="x_post")
    case_id = ctx.facts["joe_case"] = case["case_id"]
    alice.claim(case_id)
    before = alice.case(case_id)
    moved = alice.move_to_private(case_id)
    reply = ctx.track_reply(alice, moved)
    ctx.settle()  # the outbound function sends it; X's echo of the brand's post comes back
    after = alice.case(case_id)
    calls = _calls_of(ctx, reply)
    ctx.facts["joe_moved"] = {
        "status": moved["case"]["status"],
        "customer_messages": (_customer_messages(before["thread"]), _customer_messages(after["thread"])),
        "reply": reply,
        "cases": len(ctx.cases(Customer(case["account_id"], JOE["id_str"]))),
    }
    echoes = ", ".join(str(status) for call in calls for _, status in call.echoes)
    return (
        f"202, case {moved['case']['status']}; the outbound function posted the public reply "
        f"({', '.join(f'{c.endpoint} {c.status}' for c in calls)}), X's echo came back (webhook {echoes or 'none'})"
    )


def joes_echo_recognised(ctx: DemoContext) -> tuple[bool, str]:
    facts = ctx.facts["joe_moved"]
    reply: AgentReply = facts["reply"]
    entry = _entry(ctx, reply.case_id, reply.entry_id) or {}
    calls = [call for call in _calls_of(ctx, reply) if call.accepted]
    echoed = len(calls) == 1 and [status for _, status in calls[0].echoes] == [200]
    before, after = facts["customer_messages"]
    held = (
        facts["status"] == "pending_customer"
        and echoed
        and before == after == 1
        and entry.get("delivery_state") in SENT_STATES
        and facts["cases"] == 1
    )
    return held, (
        f"case {facts['status']}; reply {entry.get('delivery_state')}, "
        f"{'its echo came back' if echoed else 'no echo back'}; customer messages {before} → {after}; "
        f"{facts['cases']} case"
    )


def alice_answers_joe_and_resolves(ctx: DemoContext) -> str:
    alice = _agent(ctx, ALICE.agent_id)
    case_id = ctx.facts["joe_case"]
    reply = _reply(
        ctx,
        alice,
        case_id,
        text="Thanks Joe. Order 4471 was stuck at the depot: it's out for delivery today, and I've refunded the shipping.",
    )
    resolved = alice.set_status(case_id, "resolved")
    return f"a reply in the DM ({reply.channel}), then POST status: {resolved['case']['status']}"


def joe_resolved_on_two_channels(ctx: DemoContext) -> tuple[bool, str]:
    cases = ctx.cases(Customer(ctx.stack.config.accounts.x_user_id or "", JOE["id_str"]))
    if len(cases) != 1:
        return False, f"{len(cases)} cases"
    [case] = cases
    story = [
        (e["kind"], e.get("channel") or (e.get("extra") or {}).get("to"), e.get("delivery_state")) for e in case.thread
    ]
    expected = [
        ("inbound", "x_post", None),
        ("outbound", "x_post", "sent"),
        ("status_change", "pending_customer", None),
        ("inbound", "x_dm", None),
        ("outbound", "x_dm", "sent"),
        ("status_change", "resolved", None),
    ]
    held = case.channels == ["x_dm", "x_post"] and case.status == "resolved" and story == expected
    return held, " → ".join(f"{kind} {where}" for kind, where, _ in story)


# --- every channel ---------------------------------------------------------------------------------------------
def agents_answer_every_channel(ctx: DemoContext) -> str:
    """Alice and Bob take the first-contact cases from the queue, one channel each, and answer."""
    alice, bob = _agent(ctx, ALICE.agent_id), _agent(ctx, BOB.agent_id)
    work: list[tuple[ApiAgent, str, str, list[dict[str, Any]], str | None]] = [
        (alice, MAYA_PSID, "messenger", [
            {"text": "So sorry about the broken zip on order #A-1042! A replacement is on its way; keep the old one."},
        ], None),
        (alice, PRIYA[0], "facebook_comment", [
            {"text": "Sorry Priya, that's not the service we want to give. I've sent you a private message about your refund."},
            {"mode": "private_reply_to_comment",
             "text": "Hi Priya, Alice from Acme here. Could you send me your order number? I'll chase your refund myself today."},
        ], None),
        (bob, OLA_IGSID, "instagram_dm", [
            {"text": "Yes, we ship to Norway! Delivery takes 3-5 working days and is free over 50 EUR."},
        ], "resolved"),
        (bob, TOM[0], "instagram_comment", [
            {"text": "Thanks for flagging this, Tom. We're correcting the size guide today, and exchanges are free."},
        ], None),
        (alice, LUCIA[0], "whatsapp", [
            {"text": "¡Claro, Lucía! Envíanos la nueva dirección y la cambiamos antes del envío."},
        ], "pending_customer"),
        (alice, ANA["id_str"], "x_post", [{"canned_response_id": "late-order"}], None),
        (bob, DMITRI["id_str"], "x_dm", [
            {"text": "Yes: start the return at acme.example/returns and choose 'bought in store'. The pickup is free."},
        ], "resolved"),
        (bob, str(LENA["id"]), "telegram", [
            {"text": "Hallo Lena, das tut uns leid! Welcher Artikel fehlt? Wir schicken ihn sofort nach."},
        ], None),
    ]  # fmt: skip
    counts: dict[str, int] = {}
    for agent, user_id, channel, replies, status in work:
        case = agent.find_case(user_id, channel=channel)  # one filter a request: unassigned ones are picked
        if case["owner"] is not None:
            raise DemoStepFailed(f"{agent.first_name}: the case of {user_id} is already {case['owner']}'s")
        case_id = case["case_id"]
        agent.claim(case_id)
        for body in replies:
            reply = _reply(ctx, agent, case_id, **body)
            if "canned_response_id" in body:
                ctx.facts["canned"] = reply
            counts[agent.first_name] = counts.get(agent.first_name, 0) + 1
        if status:
            agent.set_status(case_id, status)
    ctx.settle()
    canned = ctx.facts["canned"]
    canned_text = next((c.text for c in _calls_of(ctx, canned) if c.accepted), None) or "?"
    return (
        f"{sum(counts.values())} replies on {len(work)} channels ("
        + ", ".join(f"{name} {n}" for name, n in counts.items())
        + f"); Ana got the canned 'late-order': “{canned_text.splitlines()[0][:48]}…”"
    )


def every_channel_answered(ctx: DemoContext) -> tuple[bool, str]:
    accepted = {call.endpoint for reply in ctx.replies for call in _calls_of(ctx, reply) if call.accepted}
    answered = [endpoint for endpoint in EVERY_ENDPOINT if endpoint in accepted]
    missing = [endpoint for endpoint in EVERY_ENDPOINT if endpoint not in accepted]
    detail = f"{len(answered)}/{len(EVERY_ENDPOINT)} reply endpoints" + (f"; missing {missing}" if missing else "")
    return not missing, detail


def replies_signed(ctx: DemoContext) -> tuple[bool, str]:
    unsigned = []
    signed = 0
    for reply in ctx.replies:
        agent = _agent(ctx, reply.agent_id)
        for call in _calls_of(ctx, reply):
            text = call.text or ""
            if text.startswith("[template "):
                continue
            if text.endswith(f"\n— {agent.first_name}"):
                signed += 1
            else:
                unsigned.append(call.endpoint)
    return not unsigned and signed > 0, f"{signed} texts end with “— Alice” or “— Bob”" + (
        f"; unsigned: {unsigned}" if unsigned else ""
    )


def canned_response_filled_in(ctx: DemoContext) -> tuple[bool, str]:
    texts = [c.text or "" for c in _calls_of(ctx, ctx.facts["canned"]) if c.accepted]
    expected = f"Hi {ANA['name']}, I'm sorry your order is late."
    return len(texts) == 1 and texts[0].startswith(expected), (texts[0].splitlines()[0] if texts else "not sent")


def every_echo_recognised(ctx: DemoContext) -> tuple[bool, str]:
    """Each accepted reply came back as the platform's echo (or WhatsApp status), and the echo was
    recognised as the brand's reply: indexed to the reply's entry, no customer message, no case."""
    problems: list[str] = []
    echoes = 0
    brand_ids = set(ctx.stack.config.account_ids)
    for reply in ctx.replies:
        view = ctx.reader.case(reply.case_id)
        entry = view.entry(reply.entry_id) if view else None
        calls = [call for call in _calls_of(ctx, reply) if call.accepted]
        if view is None or entry is None or entry.get("delivery_state") not in SENT_STATES or not calls:
            problems.append(f"{reply.channel} reply not sent")
            continue
        for call in calls:
            echoes += len(call.echoes)
            telegram = call.platform == "telegram"  # a bot is never sent its own messages
            if (not call.echoes and not telegram) or any(status != 200 for _, status in call.echoes):
                problems.append(f"{call.endpoint}: echoes {call.echoes}")
            index = ctx.reader.platform_message(call.platform, call.account_id or "", call.message_id or "")
            if index is None or index.get("entry_id") != reply.entry_id:
                problems.append(f"{call.endpoint}: the echo is not the reply's")
        as_customer = [
            e for e in view.entries("inbound") if e.get("platform_message_id") in {c.message_id for c in calls}
        ]
        brand_lines = [e for e in view.entries("outbound") if e.get("author") == "brand"]
        if as_customer or brand_lines:
            problems.append(f"{reply.channel}: echo stored as a message of its own")
        if len(ctx.cases(reply.customer)) != 1:
            problems.append(f"{reply.channel}: {len(ctx.cases(reply.customer))} cases")
    for account in brand_ids:  # the brand itself never becomes a customer through its echoes
        if ctx.cases(Customer(account, account)):
            problems.append(f"a case for the brand account {account}")
    return not problems, f"{len(ctx.replies)} replies, {echoes} echoes and statuses back; " + (
        "; ".join(problems) if problems else "0 counted as customer messages, 0 new cases"
    )


# --- a lead assigns; a note; a canned response -----------------------------------------------------------------------
def lead_assigns_sheena_to_bob(ctx: DemoContext) -> str:
    carmen, bob = _agent(ctx, CARMEN.agent_id), _agent(ctx, BOB.agent_id)
    case_id = carmen.find_case(SHEENA[0], channel="whatsapp")["case_id"]
    ctx.facts["sheena_case"] = case_id
    carmen.assign(case_id, bob.agent_id)
    bob.note(case_id, SHEENA_NOTE)
    _reply(ctx, bob, case_id, canned_response_id="refund-started")
    audit = bob.get(f"/cases/{case_id}/audit").doc["records"]
    ctx.facts["sheena_audit"] = [(r["actor"], r["action"]) for r in audit]
    return "audit: " + ", ".join(f"{actor} {action}" for actor, action in ctx.facts["sheena_audit"])


def note_never_sent(ctx: DemoContext) -> tuple[bool, str]:
    view = ctx.reader.case(ctx.facts["sheena_case"])
    notes = view.entries("note") if view else []
    leaked = [call.endpoint for call in _calls(ctx) if SHEENA_NOTE[:30] in str(call.body)]
    refund = [
        call.text or ""
        for reply in ctx.replies
        if reply.case_id == ctx.facts["sheena_case"]
        for call in _calls_of(ctx, reply)
        if call.accepted
    ]
    ok = (
        len(notes) == 1
        and notes[0].get("text") == SHEENA_NOTE
        and not leaked
        and len(refund) == 1
        and ctx.facts["sheena_case"] in refund[0]
        and view is not None
        and view.item.get("owner") == BOB.agent_id
        and ("carmen", "assigned") in ctx.facts["sheena_audit"]
    )
    return (
        ok,
        f"{len(notes)} note in the thread, sent to nobody; owner {view.item.get('owner') if view else '?'}; the canned refund names the case id",
    )


# --- two agents, one case ----------------------------------------------------------------------------------------------
def two_agents_claim_omar_at_once(ctx: DemoContext) -> str:
    alice, bob = _agent(ctx, ALICE.agent_id), _agent(ctx, BOB.agent_id)
    case_id = alice.find_case(OMAR_IGSID, channel="instagram_dm")["case_id"]
    ctx.facts["omar_case"] = case_id
    start = threading.Barrier(2)
    answers: dict[str, ApiAnswer] = {}

    def grab(agent: ApiAgent) -> None:
        start.wait(timeout=10)
        answers[agent.agent_id] = agent.claim(case_id, expect=(200, 409))

    threads = [threading.Thread(target=grab, args=(agent,)) for agent in (alice, bob)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    ctx.facts["race"] = answers
    winners = [agent for agent, answer in answers.items() if answer.status == 200]
    losers = [(agent, answer) for agent, answer in answers.items() if answer.status == 409]
    if len(winners) != 1 or len(losers) != 1:
        raise DemoStepFailed(f"claims answered {sorted((a, r.status) for a, r in answers.items())}")
    ctx.facts["omar_owner"] = winners[0]
    audit = _agent(ctx, winners[0]).get(f"/cases/{case_id}/audit").doc["records"]
    ctx.facts["omar_claims"] = [r["actor"] for r in audit if r["action"] == "claimed"]
    loser, refused = losers[0]
    current = refused.doc.get("current") or {}
    return (
        f"{_agent(ctx, winners[0]).first_name}: 200; {_agent(ctx, loser).first_name}: 409 {refused.code} "
        f"with the current case (owner {current.get('owner')}, version {current.get('version')})"
    )


def one_claim_wins(ctx: DemoContext) -> tuple[bool, str]:
    answers: dict[str, ApiAnswer] = ctx.facts["race"]
    statuses = sorted(answer.status for answer in answers.values())
    view = ctx.reader.case(ctx.facts["omar_case"])
    owner = view.item.get("owner") if view else None
    loser = next((a for a in answers.values() if a.status == 409), None)
    current = (loser.doc.get("current") or {}) if loser else {}
    held = (
        statuses == [200, 409]
        and loser is not None
        and loser.code in ("already_claimed", "case_version_conflict")
        and current.get("owner") == ctx.facts.get("omar_owner")
        and owner == ctx.facts.get("omar_owner")
        and ctx.facts["omar_claims"] == [owner]  # the losing claim left nothing behind
    )
    return held, (
        f"HTTP {statuses}; the 409 carried the case owned by {current.get('owner')}; "
        f"owner now {owner}; claims in the audit trail: {len(ctx.facts['omar_claims'])}"
    )


# --- throttling --------------------------------------------------------------------------------------------------------
def meta_throttles_omars_reply(ctx: DemoContext) -> str:
    assert ctx.stack.reply_api is not None
    owner = _agent(ctx, ctx.facts["omar_owner"])
    ctx.stack.reply_api.throttle(1, platform="meta", retry_after_s=1)
    reply = _reply(
        ctx,
        owner,
        ctx.facts["omar_case"],
        text="Sorry Omar! A blue backpack is on its way today, with a free return label for the red one.",
    )
    ctx.facts["omar_reply"] = reply
    ctx.settle()
    calls = [call for call in _calls(ctx) if call.endpoint == "instagram_dm" and call.recipient == OMAR_IGSID]
    ctx.facts["omar_calls"] = calls
    return (
        "; ".join(
            f"call {n}: HTTP {call.status}" + (" rate limited (#613)" if call.fault == "throttle" else " accepted")
            for n, call in enumerate(calls, start=1)
        )
        + " — retried by the outbound function after the platform's wait"
    )


def throttled_reply_sent_once(ctx: DemoContext) -> tuple[bool, str]:
    calls: list[RecordedCall] = ctx.facts["omar_calls"]
    reply: AgentReply = ctx.facts["omar_reply"]
    entry = _entry(ctx, reply.case_id, reply.entry_id) or {}
    accepted = [call for call in calls if call.accepted]
    held = (
        [call.fault for call in calls] == ["throttle", None]
        and len(accepted) == 1
        and entry.get("delivery_state") in SENT_STATES
    )
    return held, f"{len(calls)} calls, {len(accepted)} accepted; the reply is {entry.get('delivery_state')}"


# --- WhatsApp's 24-hour window ---------------------------------------------------------------------------------------------
def alice_answers_kofi_after_a_day(ctx: DemoContext) -> str:
    alice = _agent(ctx, ALICE.agent_id)
    case_id = alice.find_case(KOFI[0], channel="whatsapp")["case_id"]
    ctx.facts["kofi_case"] = case_id
    alice.claim(case_id)
    calls_before = len(_calls(ctx))
    refused = alice.reply(case_id, text="Hi Kofi, so sorry about the jacket! A new one is on its way.", expect=(422,))
    ctx.settle()
    ctx.facts["kofi_refused"] = (
        refused.code,
        len(_calls(ctx)) - calls_before,
        [e["kind"] for e in alice.case(case_id)["thread"]],
    )
    template = _reply(ctx, alice, case_id, template=KOFI_TEMPLATE)
    ctx.facts["kofi_template"] = template
    return f"free text: 422 {refused.code} (nothing queued); the approved template {KOFI_TEMPLATE['name']} instead: 202"


def template_required_after_24_hours(ctx: DemoContext) -> tuple[bool, str]:
    code, calls_made, thread = ctx.facts["kofi_refused"]
    template_calls = [c for c in _calls_of(ctx, ctx.facts["kofi_template"]) if c.accepted]
    to_kofi = [c for c in _calls(ctx) if c.endpoint == "whatsapp" and c.recipient == KOFI[0]]
    held = (
        code == "template_required"
        and calls_made == 0
        and thread == ["inbound"]
        and len(to_kofi) == 1
        and template_calls == to_kofi
        and (to_kofi[0].text or "").startswith("[template ")
    )
    return held, (
        f"422 {code}; after it: {calls_made} platform calls, the thread {' + '.join(thread)}; "
        f"then the template: {'accepted' if template_calls else 'not sent'}"
    )
