"""What happened to a case on a day, as the accountability report counts it.

A case write (seen on the table's stream, before and after) can carry facts: the case was created, the
brand answered for the first time or again, the case was resolved, closed, reopened, or its clock
reached an escalation tier; a customer's message (its thread entry, inserted) is a fact too, with its
channel, language and sentiment (``rules.day_facts`` derives them all). Each fact keeps
what the report needs to attribute and judge it — team, channel, priority, brand account, the owner
at that moment, and for an answer when the customer started waiting, where its SLA clock started, the
due time the case was promised and the business time the clock spent paused — and never a message's
text or a customer's identity.

``key`` names a fact uniquely within its case, so recording it twice (a stream record delivered again)
changes nothing. Customers' messages are kept as counts (``counted``): per case, UTC quarter hour,
channel, language and sentiment, the number of messages and their scores' sum — what the marketing
summary adds up, in an item whose size does not grow with the messages.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from socialcare.model.case import Priority
from socialcare.model.events import Channel


class FactKind(StrEnum):
    CREATED = "created"
    INBOUND = "inbound"  # the customer wrote: one fact per message, from its thread entry
    FIRST_RESPONSE = "first_response"
    NEXT_RESPONSE = "next_response"
    RESOLVED = "resolved"
    CLOSED = "closed"  # closed without being resolved first (spam, duplicate...)
    REOPENED = "reopened"  # the customer wrote again within the reopen window
    TIER = "tier"  # the case clock reached an escalation tier (warn, breach, second_tier)


RESPONSE_KINDS = (FactKind.FIRST_RESPONSE, FactKind.NEXT_RESPONSE)
QUARTER_HOUR_MS = 900_000


def counted(facts: Sequence[DayFact]) -> list[DayFact]:
    """Inbound facts as counts: one per ``count_key``, its messages and their scores' sum."""
    found: dict[tuple[int, str, str, str], DayFact] = {}
    for fact in facts:
        key = fact.count_key
        seen = found.get(key)
        if seen is None:
            found[key] = replace(fact, at_ms=key[0], message_id=None)
            continue
        score = None if seen.score is None or fact.score is None else seen.score + fact.score
        found[key] = replace(seen, messages=seen.messages + fact.messages, score=score)
    return list(found.values())


@dataclass(frozen=True, slots=True)
class DayFact:
    kind: FactKind
    case_id: str
    at_ms: int
    team: str
    channel: Channel
    priority: Priority
    account_id: str
    owner: str | None = None
    # An answer: when the customer started waiting (``since_ms``), where its SLA clock started
    # (``clock_ms``), when it was due (``due_ms``, None: no running target) and the business ms the clock
    # was paused. A resolution: ``since_ms`` is when the case opened, ``paused_ms`` the resolution
    # clock's pauses. A tier: ``clock_ms`` is the start of the watched clock's cycle.
    since_ms: int | None = None
    clock_ms: int | None = None
    due_ms: int | None = None
    paused_ms: int = 0
    sla_clock: str | None = None  # a tier: the clock it watched (first_response, next_response)
    tier: str | None = None
    tags: tuple[str, ...] = ()  # created: the routing tags triage gave the case
    language: str | None = None  # created: the language of its first message; inbound: the message's
    # Inbound: the message's thread entry and its sentiment. The entry does not name the case's team,
    # account or priority: a message fact has "" and NORMAL there, and only the marketing summary reads it.
    message_id: str | None = None
    sentiment: str | None = None  # positive, neutral, negative
    score: float | None = None  # -1 (most negative) to 1; of counted messages, their scores' sum
    # Inbound, counted (``count_key``): how many messages of the case in its quarter hour share its channel,
    # language and sentiment; ``at_ms`` is the quarter hour's start, ``message_id`` None.
    messages: int = 1

    @property
    def count_key(self) -> tuple[int, str, str, str]:
        """Inbound: what its message is counted under — the UTC quarter hour (every report time zone's
        days and hours begin on one), channel, language and sentiment ("-": none)."""
        return (
            self.at_ms - self.at_ms % QUARTER_HOUR_MS,
            self.channel.value,
            self.language or "-",
            self.sentiment or "-",
        )

    @property
    def key(self) -> str:
        """Unique within the case: the same fact recorded twice is one fact."""
        if self.kind is FactKind.NEXT_RESPONSE:
            return f"{self.kind}#{self.clock_ms}"
        if self.kind is FactKind.INBOUND:
            return f"{self.kind}#{self.message_id}"
        if self.kind is FactKind.TIER:
            return f"{self.kind}#{self.sla_clock}#{self.clock_ms}#{self.tier}"
        if self.kind in (FactKind.RESOLVED, FactKind.CLOSED, FactKind.REOPENED):
            return f"{self.kind}#{self.at_ms}"
        return str(self.kind)

    def to_document(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "kind": self.kind.value,
            "case_id": self.case_id,
            "at_ms": self.at_ms,
            "team": self.team,
            "channel": self.channel.value,
            "priority": self.priority.value,
            "account_id": self.account_id,
        }
        optional = {
            "owner": self.owner,
            "since_ms": self.since_ms,
            "clock_ms": self.clock_ms,
            "due_ms": self.due_ms,
            "paused_ms": self.paused_ms or None,
            "sla_clock": self.sla_clock,
            "tier": self.tier,
            "tags": list(self.tags) or None,
            "language": self.language,
            "message_id": self.message_id,
            "sentiment": self.sentiment,
            "score": self.score,
        }
        doc.update({name: value for name, value in optional.items() if value is not None})
        return doc

    @classmethod
    def from_document(cls, doc: Mapping[str, Any]) -> DayFact:
        return cls(
            kind=FactKind(doc["kind"]),
            case_id=str(doc["case_id"]),
            at_ms=int(doc["at_ms"]),
            team=str(doc["team"]),
            channel=Channel(doc["channel"]),
            priority=Priority(doc["priority"]),
            account_id=str(doc["account_id"]),
            owner=doc.get("owner"),
            since_ms=doc.get("since_ms"),
            clock_ms=doc.get("clock_ms"),
            due_ms=doc.get("due_ms"),
            paused_ms=int(doc.get("paused_ms", 0)),
            sla_clock=doc.get("sla_clock"),
            tier=doc.get("tier"),
            tags=tuple(doc.get("tags", ())),
            language=doc.get("language"),
            message_id=doc.get("message_id"),
            sentiment=doc.get("sentiment"),
            score=float(doc["score"]) if doc.get("score") is not None else None,
        )
