"""Triage in the demo (issue 9): a journalist's question goes to PR by the brand's routing rules, a
bereaved customer's message goes to the trained team at urgent priority with a lead notified and no
automated message, and a troll is set aside in the review queue, then restored by one action.

The rules are the demo's own: ``with_demo_routing`` adds a ``journalists`` list (Nina's X handle), a
``blocked`` list (the troll's handle) and a rule sending journalists to PR to the config the demo's
stack runs, which stores them as version 1 of the routing rules at start; Grace, lead of PR and of the
trained team, reads them through the agent API (``GET /admin/routing/rules``). The checks read the
outcome back from the table (keyed reads), the agent API, the sandbox's calls and the stack's log.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, cast

from socialcare.model.notices import SENSITIVE_CASE
from socialcare.rules.routing_rules import RoutingRules

from socialcare_local.config import LocalConfig
from socialcare_local.demo.context import Customer, DemoContext
from socialcare_local.demo.errors import DemoStepFailed
from socialcare_local.demo.notifications import epoch_ms
from socialcare_local.demo.people import CARMEN, GRACE, NINA, NINA_TWEET, RUTH, RUTH_WAMID, TROLL, TROLL_TWEET

PR_TEAM = "pr"
TRAINED_TEAM = "trained-care"
CARE_TEAM = "care"
JOURNALISTS_RULE = {
    "name": "journalists",
    "when": {"customer_in": ["journalists"]},
    "then": {"team": PR_TEAM, "priority": "high", "tags": ["press"], "automated_messages_allowed": False},
}


def with_demo_routing(config: LocalConfig) -> LocalConfig:
    """``config`` with the demo's customer lists and its journalists rule first; its own rules after."""
    current = config.routing or RoutingRules(version=1)
    lists = {name: sorted(entries) for name, entries in current.lists.items()}
    lists["journalists"] = [*lists.get("journalists", []), f"x:@{NINA['screen_name']}"]
    lists["blocked"] = [*lists.get("blocked", []), f"x:@{TROLL['screen_name']}"]
    own: list[dict[str, Any]] = cast(list[dict[str, Any]], current.to_config()["rules"])
    rules = [rule for rule in own if rule["name"] != JOURNALISTS_RULE["name"]]
    document = {**current.to_config(), "lists": lists, "rules": [JOURNALISTS_RULE, *rules]}
    return replace(config, routing=RoutingRules.from_config(document))


def _only_case(ctx: DemoContext, who: Customer) -> Any:
    cases = ctx.cases(who)
    if len(cases) != 1:
        raise DemoStepFailed(f"{len(cases)} cases of customer {who.user_id}, expected one")
    return cases[0]


# --- a journalist's question --------------------------------------------------------------------------
def journalist_asks_on_x(ctx: DemoContext) -> str:
    grace = ctx.agents[GRACE.agent_id]
    rules = grace.routing_rules()
    who = ctx.customer(ctx.stack.config.accounts.x_user_id, NINA["id_str"])
    text = "@AcmeCare Nina Patel, Daily Ledger: can you confirm the recall of your trail boots?"
    ctx.send(ctx.brand.x_post(NINA, NINA_TWEET, text, ctx.now_ms()))
    ctx.settle()
    case_id = _only_case(ctx, who).case_id
    in_pr = [case for case in grace.queue(PR_TEAM) if case["case_id"] == case_id]
    ctx.facts["journalist"] = (case_id, in_pr[0] if in_pr else None)
    first_rule = rules["rules"][0]["name"] if rules["rules"] else "none"
    return (
        f"GET /admin/routing/rules: version {rules['version']} ({rules['source']}), first rule {first_rule!r}; "
        f"Nina's question is in the {PR_TEAM} queue: {'yes' if in_pr else 'no'}"
    )


def journalist_routed_to_pr(ctx: DemoContext) -> tuple[bool, str]:
    case_id, listed = ctx.facts["journalist"]
    view = ctx.agents[GRACE.agent_id].case(case_id)["case"]
    routing = view["routing"] or {}
    held = (
        listed is not None
        and (view["team"], view["priority"], routing.get("rule")) == (PR_TEAM, "high", "journalists")
        and view["automated_messages_allowed"] is False
        and case_id not in {str(item["case_id"]) for item in ctx.reader.queue(CARE_TEAM)}
    )
    reasons = "; ".join(routing.get("reasons") or [])
    return held, f"team {view['team']}, {view['priority']}, rule {routing.get('rule')} ({reasons})"


# --- a bereaved customer --------------------------------------------------------------------------------
def bereaved_customer_writes(ctx: DemoContext) -> str:
    who = ctx.customer(ctx.stack.config.accounts.whatsapp_phone_number_id, RUTH[0])
    text = "Hello, my mother passed away last month. How do I close her account and stop the deliveries?"
    ctx.send(ctx.brand.whatsapp(*RUTH, RUTH_WAMID, text, ctx.now_ms()))
    ctx.settle()
    case = _only_case(ctx, who)
    ctx.facts["bereaved"] = case.case_id
    return f"her case: team {case.team}, priority {case.priority}"


def bereaved_customer_with_trained_team(ctx: DemoContext) -> tuple[bool, str]:
    case_id = ctx.facts["bereaved"]
    view = ctx.agents[GRACE.agent_id].case(case_id)["case"]
    notices = [n for n in ctx.lead_notices(SENSITIVE_CASE) if n.case_id == case_id]
    automated = (
        [call for call in ctx.stack.reply_api.calls() if call.recipient == RUTH[0]] if ctx.stack.reply_api else []
    )
    held = (
        (view["team"], view["priority"], view["sensitive"]) == (TRAINED_TEAM, "urgent", ["bereavement"])
        and view["automated_messages_allowed"] is False
        and len(notices) == 1
        and notices[0].team == TRAINED_TEAM
        and not automated
    )
    return held, (
        f"team {view['team']}, {view['priority']}, {', '.join(view['sensitive']) or 'not sensitive'}; "
        f"{len(notices)} lead notice(s); {len(automated)} message(s) sent to her"
    )


# --- a troll, set aside and restored ---------------------------------------------------------------------
def troll_is_set_aside(ctx: DemoContext) -> str:
    who = ctx.customer(ctx.stack.config.accounts.x_user_id, TROLL["id_str"])
    text = "@AcmeCare you are all clowns, worst company ever, nobody should buy this garbage"
    ctx.send(ctx.brand.x_post(TROLL, TROLL_TWEET, text, ctx.now_ms()))
    ctx.settle()
    case_id = _only_case(ctx, who).case_id
    carmen = ctx.agents[CARMEN.agent_id]
    review = [case for case in carmen.review_queue(CARE_TEAM) if case["case_id"] == case_id]
    queued = [case for case in carmen.queue(CARE_TEAM) if case["case_id"] == case_id]
    # the list shows the mark; the case view shows its clock and whether automated messages may go to it
    ctx.facts["troll"] = (case_id, {**review[0], **carmen.case(case_id)["case"]} if review else None, bool(queued))
    mark = review[0]["mark"] if review else None
    return f"marked {mark['kind'] if mark else 'nothing'} ({', '.join(mark['reasons']) if mark else ''}): in the review queue"


def troll_set_aside_without_clock(ctx: DemoContext) -> tuple[bool, str]:
    _, aside, queued = ctx.facts["troll"]
    if aside is None:
        return False, "not in the care team's review queue"
    held = (
        aside["mark"]["kind"] == "troll"
        and not queued
        and aside["response_due_at"] is None
        and aside["case_clock"]["breach_at"] is None
        and aside["automated_messages_allowed"] is False
    )
    clock = (
        "none running" if aside["case_clock"]["breach_at"] is None else f"breach at {aside['case_clock']['breach_at']}"
    )
    return held, f"mark {aside['mark']['kind']}, due {aside['response_due_at'] or 'never'}, case clock: {clock}"


def lead_restores_the_troll(ctx: DemoContext) -> str:
    case_id = ctx.facts["troll"][0]
    carmen = ctx.agents[CARMEN.agent_id]
    before = ctx.now_ms()
    case = carmen.restore(case_id, "angry, not a troll: a real customer behind it")["case"]
    ctx.facts["restored"] = (case_id, before, case)
    return f"POST /cases/{{id}}/restore: back in the care queue, due {case['response_due_at']}"


def troll_restored_by_one_action(ctx: DemoContext) -> tuple[bool, str]:
    case_id, before, case = ctx.facts["restored"]
    carmen = ctx.agents[CARMEN.agent_id]
    due = epoch_ms(case["response_due_at"])
    actions = [record["action"] for record in carmen.audit(case_id)]
    held = (
        case["mark"] is None
        and due is not None
        and due > before  # the clock starts from the restore
        and any(item["case_id"] == case_id for item in carmen.queue(CARE_TEAM))
        and not any(item["case_id"] == case_id for item in carmen.review_queue(CARE_TEAM))
        and actions[-1:] == ["restored"]
    )
    return held, f"restored by {case['restored_by']}; audit: {', '.join(actions)}"
