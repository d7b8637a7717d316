"""Domain objects to DynamoDB items (low-level attribute-value form) and back.

Absent values are left out of the item rather than stored as NULL, so the sparse indexes
and ``attribute_not_exists`` conditions mean what they say; so are zero counts and empty lists, and
values the item's other attributes already say (``DEFAULT_ROUTING``, the one channel's last inbound
time, the first-response clock): each is written only when reading it back absent would differ.
Every byte counts twice: a transaction writes 2 WCU per KB per item, and a case write puts the
case item and each of the customer's current-case copies.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from socialcare import constants as c
from socialcare.aws import keys, schema
from socialcare.model.case import (
    Case,
    CaseMark,
    CaseRouting,
    CaseStatus,
    PostTrace,
    Priority,
)
from socialcare.model.escalation import EscalationSchedule, EscalationTier, instant_text
from socialcare.model.events import Channel, Customer, Platform
from socialcare.model.follow_up import FollowUpSchedule
from socialcare.model.summary import CaseSummary
from socialcare.rules import views
from socialcare.rules.escalation import awaited_clock, clock_shard
from socialcare.rules.sla import NOT_DUE_MS

Item = dict[str, Any]


def s(value: str) -> dict[str, str]:
    return {"S": value}


def n(value: int) -> dict[str, str]:
    return {"N": str(value)}


def item_key(pk: str, sk: str) -> dict[str, Any]:
    """The ``Key`` of one item of the table."""
    return {c.PARTITION_KEY: s(pk), c.SORT_KEY: s(sk)}


def _put(item: Item, name: str, value: str | int | None) -> None:
    if value is None:
        return
    item[name] = n(value) if isinstance(value, int) and not isinstance(value, bool) else s(str(value))


def _str(item: Mapping[str, Any], name: str) -> str | None:
    v = item.get(name)
    return None if v is None else str(v["S"])


def _int(item: Mapping[str, Any], name: str) -> int | None:
    v = item.get(name)
    return None if v is None else int(v["N"])


def _strings(item: Mapping[str, Any], name: str) -> tuple[str, ...]:
    v = item.get(name)
    return () if v is None else tuple(x["S"] for x in v["L"])


def case_attributes(case: Case) -> Item:
    """The case's own attributes, shared by the case item and the customer's current-case copy."""
    item: Item = {
        "case_id": s(case.case_id),
        "platform": s(case.platform.value),
        "account_id": s(case.account_id),
        "customer_id": s(case.customer.user_id),
        "status": s(case.status.value),
        "priority": s(case.priority.value),
        "team": s(case.team),
        "created_at_ms": n(case.created_at_ms),
        "updated_at_ms": n(case.updated_at_ms),
        "channels": {"L": [s(ch.value) for ch in sorted(case.channels)]},
        "message_count": n(case.message_count),
        "version": n(case.version),
    }
    if case.reopen_count:
        item["reopen_count"] = n(case.reopen_count)
    if dict(case.last_inbound_by_channel) != _inbound_by_channel_said(case.channels, case.last_inbound_at_ms):
        item["last_inbound_by_channel"] = {"M": {ch.value: n(ts) for ch, ts in case.last_inbound_by_channel.items()}}
    if case.customer.alt_ids:
        item["customer_alt_ids"] = {"L": [s(i) for i in case.customer.alt_ids]}
    _put(item, "customer_name", case.customer.name)
    _put(item, "customer_handle", case.customer.handle)
    _put(item, "owner", case.owner)
    _put(item, "last_inbound_at_ms", case.last_inbound_at_ms)
    _put(item, "last_outbound_at_ms", case.last_outbound_at_ms)
    _put(item, "awaiting_reply_since_ms", case.awaiting_reply_since_ms)
    _put(item, "response_due_at_ms", case.response_due_at_ms)
    _put(item, "first_response_at_ms", case.first_response_at_ms)
    _put(item, "resolved_at_ms", case.resolved_at_ms)
    _put(item, "closed_at_ms", case.closed_at_ms)
    _put(item, "customer_read_up_to_ms", case.customer_read_up_to_ms)
    _put(item, "follow_up_of", case.follow_up_of)
    _put(item, "response_started_at_ms", case.response_started_at_ms)
    _put(item, "response_channel", case.response_channel.value if case.response_channel else None)
    _put(item, "status_since_ms", case.status_since_ms)
    _put(item, "waiting_on", case.waiting_on)
    if case.paused_ms:
        item["paused_ms"] = {"M": {name: n(ms) for name, ms in sorted(case.paused_ms.items())}}
    _put(item, "superseded_by", case.superseded_by)
    item.update(escalation_attributes(case))
    item.update(follow_up_attributes(case))
    item.update(triage_attributes(case))
    return item


def _inbound_by_channel_said(channels: frozenset[Channel], last_inbound_at_ms: int | None) -> dict[Channel, int]:
    """What a case item without ``last_inbound_by_channel`` holds: a one-channel case's last inbound time
    is that channel's."""
    if last_inbound_at_ms is None or len(channels) != 1:
        return {}
    (channel,) = channels
    return {channel: last_inbound_at_ms}


def _str_list(values: tuple[str, ...] | list[str]) -> dict[str, Any]:
    return {"L": [s(v) for v in values]}


# What triage gives a case no rule applies to, with no rules configured (most cases): an item without
# ``routing`` holds it; a case with no routing at all (made before triage, or by hand) holds NULL.
DEFAULT_ROUTING = CaseRouting("default", ("no rule applied",))


def triage_attributes(case: Case) -> Item:
    """What triage decided at ingest."""
    item: Item = {}
    routing = case.routing
    if routing is None:
        item["routing"] = {"NULL": True}
    elif routing != DEFAULT_ROUTING:
        item["routing"] = {
            "M": {
                "rule": s(routing.rule),
                **({"reasons": _str_list(routing.reasons)} if routing.reasons else {}),
                **({"tags": _str_list(routing.tags)} if routing.tags else {}),
                **({"rules_version": n(routing.rules_version)} if routing.rules_version else {}),
                **({"overridden_rule": s(routing.overridden_rule)} if routing.overridden_rule else {}),
                **({"routed_by": s(routing.routed_by)} if routing.routed_by else {}),
                **({"routed_at_ms": n(routing.routed_at_ms)} if routing.routed_at_ms is not None else {}),
            }
        }
    if case.sensitive:
        item["sensitive"] = _str_list(sorted(case.sensitive))
    if not case.automated_messages_allowed:
        item["automated_messages_allowed"] = {"BOOL": False}
    _put(item, "language", case.language)
    if case.mark is not None:
        mark: Item = {
            "kind": s(case.mark.kind),
            "reasons": _str_list(case.mark.reasons),
            "automated_before": {"BOOL": case.mark.automated_before},
        }
        _put(mark, "by", case.mark.by)
        _put(mark, "at_ms", case.mark.at_ms)
        item["mark"] = {"M": mark}
    _put(item, "restored_at_ms", case.restored_at_ms)
    _put(item, "restored_by", case.restored_by)
    return item


def item_to_routing(item: Mapping[str, Any]) -> CaseRouting | None:
    if "routing" not in item:
        return DEFAULT_ROUTING
    if "M" not in item["routing"]:
        return None
    m = item["routing"]["M"]
    return CaseRouting(
        rule=str(m["rule"]["S"]),
        reasons=_strings(m, "reasons"),
        tags=_strings(m, "tags"),
        rules_version=_int(m, "rules_version") or 0,
        overridden_rule=_str(m, "overridden_rule"),
        routed_by=_str(m, "routed_by"),
        routed_at_ms=_int(m, "routed_at_ms"),
    )


def item_to_recent_posts(item: Mapping[str, Any]) -> tuple[PostTrace, ...]:
    """Items written before the posts moved to the current-case copy (``aws/current_copy.py``) hold
    ``recent_posts``: ``<fingerprint>|<posted at ms>|<links>`` each."""
    traces = []
    for text in _strings(item, "recent_posts"):
        fingerprint, at_ms, links = text.split("|")
        traces.append(PostTrace(fingerprint, int(at_ms), int(links)))
    return tuple(traces)


def item_to_mark(item: Mapping[str, Any]) -> CaseMark | None:
    if "mark" not in item:
        return None
    m = item["mark"]["M"]
    return CaseMark(
        kind=str(m["kind"]["S"]),
        reasons=_strings(m, "reasons"),
        by=_str(m, "by"),
        at_ms=_int(m, "at_ms"),
        automated_before=bool(m.get("automated_before", {"BOOL": True})["BOOL"]),
    )


# The case clock's attributes (``model/escalation.py``). The state machine reads ``sla_generation``,
# the ``sla_*_at`` instants (ISO ``Z`` text: what Wait and Choice compare) and writes ``sla_tier``,
# ``sla_tier_rank`` and ``sla_tier_owner`` (``sla_owner`` when it recorded the tier) on the case item;
# the ``*_ms`` twins are for the code.
ESCALATION_INSTANTS = ("sla_warn_at", "sla_breach_at", "sla_second_tier_at")
FIRST_RESPONSE_CLOCK = "first_response"  # the clock an item without ``sla_clock`` watches


def escalation_attributes(case: Case) -> Item:
    item: Item = {}
    if case.clock_generation:
        item["sla_generation"] = n(case.clock_generation)
    schedule = case.escalation
    if schedule is None:
        return item
    if schedule.clock != FIRST_RESPONSE_CLOCK:
        item["sla_clock"] = s(schedule.clock)
    item["sla_owner"] = s(case.owner or "")  # always present: the clock names whom it notifies ("": unassigned)
    item["sla_started_at_ms"] = n(schedule.started_at_ms)
    instants = (schedule.warn_at_ms, schedule.breach_at_ms, schedule.second_tier_at_ms)
    for name, at_ms in zip(ESCALATION_INSTANTS, instants, strict=True):
        if at_ms is not None:
            item[name] = s(instant_text(at_ms))
            item[f"{name}_ms"] = n(at_ms)
    if schedule.tier is not None:
        item["sla_tier"] = s(schedule.tier.value)
        item["sla_tier_rank"] = n(schedule.tier.rank)
        item["sla_tier_owner"] = s(schedule.tier_owner or "")
    return item


def item_to_escalation(item: Mapping[str, Any]) -> EscalationSchedule | None:
    if "sla_breach_at_ms" not in item:
        return None
    tier = _str(item, "sla_tier")
    return EscalationSchedule(
        clock=_str(item, "sla_clock") or FIRST_RESPONSE_CLOCK,
        started_at_ms=int(item["sla_started_at_ms"]["N"]),
        warn_at_ms=int(item["sla_warn_at_ms"]["N"]),
        breach_at_ms=int(item["sla_breach_at_ms"]["N"]),
        second_tier_at_ms=_int(item, "sla_second_tier_at_ms"),
        tier=EscalationTier(tier) if tier else None,
        tier_owner=_str(item, "sla_tier_owner") or None,
    )


# The follow-up's attributes (``model/follow_up.py``). The follow-up machine reads ``status`` and
# ``follow_up_pending_since`` (text, to the millisecond: compared, never waited on); the instants it
# waits for travel in its input and are kept here (``Z`` text and ``*_ms`` twins) for the reader.
FOLLOW_UP_INSTANTS = ("follow_up_nudge_at", "follow_up_resolve_at")


def follow_up_attributes(case: Case) -> Item:
    item: Item = {}
    if case.follow_up_cycle:
        item["follow_up_cycle"] = n(case.follow_up_cycle)
    schedule = case.follow_up
    if schedule is None or case.status is not CaseStatus.PENDING_CUSTOMER:
        return item
    item["follow_up_pending_since"] = s(schedule.pending_since)
    item["follow_up_pending_since_ms"] = n(schedule.pending_since_ms)
    for name, at_ms in zip(FOLLOW_UP_INSTANTS, (schedule.nudge_at_ms, schedule.resolve_at_ms), strict=True):
        if at_ms is not None:
            item[name] = s(instant_text(at_ms))
            item[f"{name}_ms"] = n(at_ms)
    return item


def item_to_follow_up(item: Mapping[str, Any]) -> FollowUpSchedule | None:
    if "follow_up_pending_since_ms" not in item:
        return None
    return FollowUpSchedule(
        pending_since_ms=int(item["follow_up_pending_since_ms"]["N"]),
        nudge_at_ms=_int(item, "follow_up_nudge_at_ms"),
        resolve_at_ms=_int(item, "follow_up_resolve_at_ms"),
    )


def case_item(case: Case) -> Item:
    item = case_attributes(case)
    item[c.PARTITION_KEY] = s(keys.case_pk(case.case_id))
    item[c.SORT_KEY] = s(keys.CASE_SK)
    item["entity"] = s("case")
    item["channel"] = s(views.filed_channel(case).value)
    item[c.CUSTOMER_INDEX_PK] = s(keys.customer_pk(case.account_id, case.customer.user_id))
    item[c.CUSTOMER_INDEX_SK] = s(keys.customer_sort_key(case.created_at_ms))
    shard = views.view_shard(case.case_id)
    for placement in views.placements(case):
        where = schema.VIEW_INDEXES[placement.dimension]
        pk = keys.view_pk(
            where.prefix, placement.scope, placement.value, shard if placement.dimension.sharded else None
        )
        item[where.index.partition_key] = s(pk)
        item[where.index.sort_key] = s(placement.sort_key)
    clock = awaited_clock(case)  # in the clock index while an answer is awaited: the sweep starts it
    if clock is not None:
        item[c.CLOCK_INDEX_PK] = s(keys.clock_pk(clock_shard(case.case_id)))
        item[c.CLOCK_INDEX_SK] = s(
            keys.clock_sort_key(clock.start_at_ms, case.case_id, clock.generation, clock.tier.value)
        )
    return item


def item_to_summary(item: Mapping[str, Any], order: str, team: str | None = None) -> CaseSummary:
    """A view's index item as its list shows it (``order``: what the index's sort key holds, see
    ``schema.ViewIndex``; ``team``: the view's, when its items do not carry it)."""
    found_team = _str(item, "team") or team
    if found_team is None:
        raise ValueError("the item carries no team and the view names none")
    sort_ms = _sort_key_ms(item, order)
    tier = _str(item, "sla_tier")
    return CaseSummary(
        case_id=str(item[c.PARTITION_KEY]["S"]).removeprefix("CASE#"),
        team=found_team,
        status=CaseStatus(item["status"]["S"]),
        priority=Priority(item["priority"]["S"]),
        channel=Channel(item["channel"]["S"]),
        account_id=str(item["account_id"]["S"]),
        created_at_ms=int(item["created_at_ms"]["N"]),
        customer_id=str(item["customer_id"]["S"]),
        customer_name=_str(item, "customer_name"),
        customer_handle=_str(item, "customer_handle"),
        owner=_str(item, "owner"),
        awaiting_reply_since_ms=_int(item, "awaiting_reply_since_ms"),
        response_due_at_ms=sort_ms if order == "due" and sort_ms != NOT_DUE_MS else None,
        routing=item_to_routing(item),
        sensitive=frozenset(_strings(item, "sensitive")),
        language=_str(item, "language"),
        mark=item_to_mark(item),
        sla_tier=EscalationTier(tier) if tier else None,
        finished_at_ms=views.FINISHED_MAX_MS - sort_ms if order == "finished" and sort_ms is not None else None,
        warn_at_ms=_int(item, "sla_warn_at_ms"),
        waiting_on=_str(item, "waiting_on"),
    )


def _sort_key_ms(item: Mapping[str, Any], order: str) -> int | None:
    """The time an index item's sort key starts with (``<13 digits>#<case id>``)."""
    names = {"due": (c.DUE_SORT_KEY, c.QUEUE_INDEX_SK), "finished": (c.DONE_INDEX_SK,)}.get(order, ())
    for name in names:
        if name in item:
            return int(str(item[name]["S"])[:13])
    return None


def item_to_case(item: Mapping[str, Any]) -> Case:
    """A case item (or a current-case copy of the form before ``aws/current_copy.py``'s)."""
    return Case(
        case_id=str(item["case_id"]["S"]),
        platform=Platform(item["platform"]["S"]),
        account_id=str(item["account_id"]["S"]),
        customer=Customer(
            user_id=str(item["customer_id"]["S"]),
            name=_str(item, "customer_name"),
            handle=_str(item, "customer_handle"),
            alt_ids=_strings(item, "customer_alt_ids"),
        ),
        status=CaseStatus(item["status"]["S"]),
        priority=Priority(item["priority"]["S"]),
        team=str(item["team"]["S"]),
        created_at_ms=int(item["created_at_ms"]["N"]),
        updated_at_ms=int(item["updated_at_ms"]["N"]),
        channels=frozenset(Channel(ch) for ch in _strings(item, "channels")),
        owner=_str(item, "owner"),
        last_inbound_at_ms=_int(item, "last_inbound_at_ms"),
        last_inbound_by_channel=_inbound_by_channel(item),
        last_outbound_at_ms=_int(item, "last_outbound_at_ms"),
        awaiting_reply_since_ms=_int(item, "awaiting_reply_since_ms"),
        response_due_at_ms=_int(item, "response_due_at_ms"),
        first_response_at_ms=_int(item, "first_response_at_ms"),
        resolved_at_ms=_int(item, "resolved_at_ms"),
        closed_at_ms=_int(item, "closed_at_ms"),
        customer_read_up_to_ms=_int(item, "customer_read_up_to_ms"),
        message_count=int(item["message_count"]["N"]),
        reopen_count=_int(item, "reopen_count") or 0,
        follow_up_of=_str(item, "follow_up_of"),
        superseded_by=_str(item, "superseded_by"),
        response_started_at_ms=_int(item, "response_started_at_ms"),
        response_channel=Channel(item["response_channel"]["S"]) if "response_channel" in item else None,
        status_since_ms=_int(item, "status_since_ms"),
        waiting_on=_str(item, "waiting_on"),
        paused_ms={name: int(v["N"]) for name, v in item.get("paused_ms", {"M": {}})["M"].items()},
        clock_generation=_int(item, "sla_generation") or 0,
        escalation=item_to_escalation(item),
        follow_up_cycle=_int(item, "follow_up_cycle") or 0,
        follow_up=item_to_follow_up(item),
        routing=item_to_routing(item),
        sensitive=frozenset(_strings(item, "sensitive")),
        automated_messages_allowed=bool(item.get("automated_messages_allowed", {"BOOL": True})["BOOL"]),
        language=_str(item, "language"),
        mark=item_to_mark(item),
        restored_at_ms=_int(item, "restored_at_ms"),
        restored_by=_str(item, "restored_by"),
        recent_posts=item_to_recent_posts(item),
        version=int(item["version"]["N"]),
    )


def _inbound_by_channel(item: Mapping[str, Any]) -> dict[Channel, int]:
    if "last_inbound_by_channel" not in item:
        channels = frozenset(Channel(ch) for ch in _strings(item, "channels"))
        return _inbound_by_channel_said(channels, _int(item, "last_inbound_at_ms"))
    return {Channel(ch): int(v["N"]) for ch, v in item["last_inbound_by_channel"]["M"].items()}
