"""Automated messages and crisis mode in the demo: an admin turns the acknowledgement on for the
Facebook Page, a new Messenger customer gets one naming the expected reply time (and still waits for
an answer); then a crisis is declared for the Page, two new customers' acknowledgements are held,
and after the crisis is ended the admin releases one (it goes out) and discards the other (it never does).

Everything goes through the agent API over HTTP (the admin's token), the customers' messages through
the webhooks; the checks read the platform sandbox's record of the calls and the cases through the API.
"""

from __future__ import annotations

from typing import Any

from socialcare_local.demo.agents import ApiAgent
from socialcare_local.demo.context import DemoContext
from socialcare_local.demo.errors import DemoStepFailed
from socialcare_local.demo.people import TeamMember
from socialcare_local.sandbox.reply_api import RecordedCall

DANA = TeamMember("dana", "Dana Okafor", role="admin")
NINA_PSID = "6014459241110001"  # writes after the acknowledgement is turned on
HELD_PSIDS = ("6014459241110002", "6014459241110003")  # write during the crisis: released, discarded
ACKNOWLEDGEMENT = {
    "enabled": True,
    "queue_position": True,
    "text": "Thanks for your message! {availability} You can expect our reply {expected_reply}. "
    "Your place in our queue: {queue_position}.",
}
CRISIS = "Flooded warehouse"


def _admin(ctx: DemoContext) -> ApiAgent:
    if DANA.agent_id not in ctx.agents:
        ctx.agents[DANA.agent_id] = ApiAgent(ctx.stack, DANA.agent_id, DANA.name, role=DANA.role)
    return ctx.agents[DANA.agent_id]


def _page(ctx: DemoContext) -> str:
    page = ctx.stack.config.accounts.facebook_page_id
    if not page:
        raise DemoStepFailed("the configuration has no Facebook Page")
    return page


def _writes(ctx: DemoContext, psid: str, text: str) -> dict[str, Any]:
    """The customer DMs the Page now; their case as the admin sees it once everything has settled."""
    ctx.customer(_page(ctx), psid)
    ctx.send(ctx.brand.messenger(psid, f"m_demo_{psid}", text, ctx.now_ms()))
    ctx.settle()
    matches = [case for case in _admin(ctx).queue() if case["customer"]["user_id"] == psid]
    if len(matches) != 1:
        raise DemoStepFailed(f"{len(matches)} cases of {psid} in the care queue")
    return _admin(ctx).case(matches[0]["case_id"])


def _calls_to(ctx: DemoContext, psid: str) -> list[RecordedCall]:
    assert ctx.stack.reply_api is not None
    return [call for call in ctx.stack.reply_api.calls(endpoint="messenger") if call.recipient == psid]


def _automated(view: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for e in view["thread"] if e["kind"] == "outbound" and "automated" in e["details"]]


# --- the acknowledgement ----------------------------------------------------------------------------
def admin_turns_on_the_acknowledgement(ctx: DemoContext) -> str:
    admin = _admin(ctx)
    profile = admin.call("PUT", f"/accounts/{_page(ctx)}/profile", {"acknowledgement": ACKNOWLEDGEMENT}).doc
    return f"{DANA.name} (admin): PUT /accounts/{_page(ctx)}/profile, acknowledgement enabled={profile['acknowledgement']['enabled']}"


def new_dm_is_acknowledged(ctx: DemoContext) -> str:
    view = _writes(ctx, NINA_PSID, "Hello! Can I still change the size of order #A-2207?")
    ctx.facts["acknowledged"] = view
    calls = _calls_to(ctx, NINA_PSID)
    if not calls or not calls[0].text:
        raise DemoStepFailed("no acknowledgement reached the customer")
    return f'Messenger received: "{calls[0].text}"'


def acknowledged_once_naming_the_reply_time(ctx: DemoContext) -> tuple[bool, str]:
    view = ctx.facts["acknowledged"]
    calls = [call for call in _calls_to(ctx, NINA_PSID) if call.accepted]
    case = _admin(ctx).case(view["case"]["case_id"])
    automated = _automated(case)
    text = calls[0].text if calls else ""
    held = (
        len(calls) == 1
        and "You can expect our reply today by" in (text or "")
        and [(e["author"], e["details"]["automated"], e["delivery_state"]) for e in automated]
        == [("automation", "acknowledgement", "sent")]
        and case["case"]["first_response_at"] is None
        and case["case"]["awaiting_reply_since"] is not None
    )
    return held, (
        f"{len(calls)} call(s); the case still awaits an answer (first_response_at "
        f"{case['case']['first_response_at']}, due {case['case']['response_due_at']})"
    )


# --- crisis mode -----------------------------------------------------------------------------------
def crisis_holds_acknowledgements(ctx: DemoContext) -> str:
    admin = _admin(ctx)
    crisis = admin.call("POST", "/admin/crises", {"name": CRISIS, "scope": {"accounts": [_page(ctx)]}}, expect=(201,))
    ctx.facts["crisis"] = crisis.doc["crisis_id"]
    views = [_writes(ctx, psid, "Is my parcel affected by the flood?") for psid in HELD_PSIDS]
    ctx.facts["held_cases"] = [view["case"]["case_id"] for view in views]
    held = admin.get(f"/admin/crises/{crisis.doc['crisis_id']}/held").doc["messages"]
    ctx.facts["held"] = held
    ctx.facts["called_while_held"] = [psid for psid in HELD_PSIDS if _calls_to(ctx, psid)]
    badges = {badge["name"] for view in views for badge in view["case"]["crises"]}
    return (
        f"crisis {crisis.doc['crisis_id']} for the Page; 2 customers DM: {len(held)} acknowledgement(s) held, "
        f"cases marked {sorted(badges)}"
    )


def held_not_sent(ctx: DemoContext) -> tuple[bool, str]:
    held = ctx.facts["held"]
    called = ctx.facts["called_while_held"]
    states = sorted(h["state"] for h in held)
    return (
        states == ["held", "held"]
        and sorted(h["case_id"] for h in held) == sorted(ctx.facts["held_cases"])
        and not called,
        f"held: {states}; sandbox calls to them while held: {len(called)}",
    )


def admin_releases_one_and_discards_one(ctx: DemoContext) -> str:
    admin = _admin(ctx)
    path = f"/admin/crises/{ctx.facts['crisis']}"
    admin.call("POST", f"{path}/end", {})
    by_case = {h["case_id"]: {"case_id": h["case_id"], "entry_id": h["entry_id"]} for h in ctx.facts["held"]}
    release, discard = (by_case[case_id] for case_id in ctx.facts["held_cases"])
    admin.call("POST", f"{path}/held/release", release)
    admin.call("POST", f"{path}/held/discard", discard)
    ctx.settle()
    return "the crisis ended by hand; one held acknowledgement released, the other discarded"


def released_sent_discarded_not(ctx: DemoContext) -> tuple[bool, str]:
    released, discarded = ctx.facts["held_cases"]
    states = [[e["delivery_state"] for e in _automated(_admin(ctx).case(case_id))] for case_id in (released, discarded)]
    calls = [len([c for c in _calls_to(ctx, psid) if c.accepted]) for psid in HELD_PSIDS]
    return (states == [["sent"], ["discarded"]] and calls == [1, 0]), f"states {states}; sandbox calls {calls}"
