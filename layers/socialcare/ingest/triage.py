"""Triage of a customer's message at ingest: language, sentiment, sensitive content, route, mark.

Pure decisions of ``socialcare.rules`` (``classify``, ``sensitive``, ``routing_rules``, ``spam``) put
together for one message. The classifier and the phrase lists are built on first use, once per
process, so importing the ingest path costs no more than before.

- A **new case** is routed by the brand's routing rules, as ``source`` gives them when the message is
  read (``ingest/routing_source.py``: the stored rules, else the deployed ones); without rules it goes
  where ``rules/routing.py`` sends it (the account's team, high priority for public posts).
- A **sensitive message** (self-harm, abuse, child abuse, bereavement) overrides every rule; on an
  **existing case** too: the case moves to the rules' ``sensitive_team`` (default ``trained-care``)
  at urgent priority, automated messages are forbidden on it for good, and its routing names the
  phrase ids and the rule it overrode.
- A **spam/troll mark** (``rules/spam.py``) is computed for every message that is not sensitive, from
  what ingest knows: the brand's ``blocked`` list, links, profanity, the account's age where the
  platform tells, and the customer's recent posts (repeats, link floods), which ride on the case
  ingest reads and writes anyway (``remember``): no request of their own. A marked case is set aside
  (``rules/review.py``: the review queue, no response clock, no automated message). A case keeps the
  first mark it got; one a person restored is never marked again by these rules; a sensitive message
  clears the mark (a sensitive case is never set aside).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from socialcare.model.case import Case, CaseMark, CaseRouting, EntrySentiment, PostTrace, Priority, ThreadEntry
from socialcare.model.events import AuthorProfile, PlatformEvent
from socialcare.model.notices import SensitiveCaseNotice
from socialcare.rules import spam
from socialcare.rules.classify import Classifier, local_classifier
from socialcare.rules.review import set_aside
from socialcare.rules.routing import Route
from socialcare.rules.routing_rules import RouteDecision, RoutingRules, TriageFacts, customer_keys
from socialcare.rules.sensitive import SensitiveClassifier, SensitiveResult, default_detector

BLOCKED_LIST = "blocked"
# The rules a brand without routing rules has: none, so every case takes ``routing.py``'s route;
# version 0 says "not configured" on the case.
NO_RULES = RoutingRules(version=0)

RulesSource = Callable[[], RoutingRules]
"""The brand's routing rules as they are now (read for each message)."""


@dataclass(frozen=True, slots=True)
class MessageReading:
    """What triage read from one message, and the routing rules in force when it did; never its text."""

    language: str | None = None
    sentiment: EntrySentiment | None = None
    sensitive: SensitiveResult = field(default_factory=SensitiveResult)
    rules: RoutingRules = NO_RULES

    def to_log(self) -> dict[str, object]:
        return {
            "language": self.language,
            "sentiment": self.sentiment.label if self.sentiment else None,
            **self.sensitive.to_log(),
        }


class Triage:
    def __init__(
        self,
        rules: RoutingRules | None = None,
        *,
        source: RulesSource | None = None,
        classifier: Classifier | None = None,
        detector: SensitiveClassifier | None = None,
    ) -> None:
        fixed = rules or NO_RULES
        self._source = source or (lambda: fixed)
        self._classifier = classifier
        self._detector = detector

    def read(self, event: PlatformEvent) -> MessageReading:
        rules = self._source()
        text = event.text or ""
        if not text.strip():
            return MessageReading(rules=rules)
        signals = (self._classifier or local_classifier()).classify(text)
        code = signals.language.code
        s = signals.sentiment
        sensitive = (self._detector or default_detector()).detect(text, languages={code} if code else None)
        sentiment = EntrySentiment(str(s.label), s.score, s.confidence, s.method)
        return MessageReading(code, sentiment, sensitive, rules)

    def route(self, event: PlatformEvent, reading: MessageReading, base: Route) -> RouteDecision:
        author = event.author or AuthorProfile()
        facts = TriageFacts.from_event(
            event,
            language=reading.language,
            sentiment=reading.sentiment.score if reading.sentiment else None,
            verified=author.verified,
            followers=author.followers,
        )
        return reading.rules.decide(facts, base=base, sensitive=reading.sensitive)

    def mark(self, event: PlatformEvent, reading: MessageReading, recent: Sequence[PostTrace] = ()) -> CaseMark | None:
        """``recent``: the customer's recent posts, as the case ingest read holds them."""
        if reading.sensitive.is_sensitive:
            return None
        blocked = BLOCKED_LIST in reading.rules.lists_of(customer_keys(event))
        facts = spam.PostFacts(
            text=event.text or "",
            timestamp_ms=event.timestamp_ms,
            recent_posts=recent,
            blocked=blocked,
            account_age_days=event.author.age_days(event.timestamp_ms) if event.author else None,
        )
        found = spam.mark(facts)
        return None if found is None else CaseMark(str(found.kind), found.reasons)

    @staticmethod
    def remember(case: Case, event: PlatformEvent, recent: Sequence[PostTrace]) -> Case:
        """The case with this message among the customer's recent posts (a follow-up case inherits them)."""
        return replace(case, recent_posts=spam.remembered(recent, event.text or "", event.timestamp_ms))

    def opened(self, case: Case, decision: RouteDecision, reading: MessageReading, mark: CaseMark | None) -> Case:
        """A new case as routed (set aside when marked); ``case`` was made with the decision's team and priority."""
        opened = replace(
            case,
            routing=CaseRouting(
                decision.rule, decision.reasons, decision.tags, decision.version, decision.overridden_rule
            ),
            sensitive=frozenset(str(c) for c in reading.sensitive.categories),
            automated_messages_allowed=decision.automated_messages_allowed,
            language=reading.language,
        )
        return opened if mark is None else set_aside(opened, mark)

    def joined(self, case: Case, reading: MessageReading, mark: CaseMark | None) -> Case:
        """An existing case after one more message: raised to the trained team when it is sensitive; else
        kept aside while marked (the message's wait starts no clock), or set aside by a first mark."""
        case = replace(case, language=case.language or reading.language)
        if not reading.sensitive.is_sensitive:
            if case.mark is not None:
                return set_aside(case, case.mark)
            return case if mark is None or case.restored_at_ms is not None else set_aside(case, mark)
        rules = reading.rules
        categories = sorted(str(c) for c in reading.sensitive.categories)
        before = case.routing
        tags = (*(before.tags if before else ()), "sensitive", *(f"sensitive:{c}" for c in categories))
        overridden = (
            before.rule if before and before.rule != "sensitive" else (before.overridden_rule if before else None)
        )
        return replace(
            case,
            team=rules.sensitive_team,
            priority=Priority.URGENT,
            automated_messages_allowed=False,
            sensitive=case.sensitive | frozenset(categories),
            routing=CaseRouting(
                "sensitive",
                tuple(f"phrase {p}" for p in reading.sensitive.phrase_ids),
                tuple(dict.fromkeys(tags)),
                rules.version,
                overridden,
            ),
            mark=None,
        )


def classified(entry: ThreadEntry, reading: MessageReading) -> ThreadEntry:
    return replace(entry, language=reading.language, sentiment=reading.sentiment)


def sensitive_notice(before: Case | None, after: Case) -> SensitiveCaseNotice | None:
    """The notice a lead is owed: the case became sensitive, or gained a sensitive category."""
    known = before.sensitive if before is not None and before.case_id == after.case_id else frozenset()
    if not after.sensitive - known:
        return None
    return SensitiveCaseNotice(
        case_id=after.case_id,
        categories=tuple(sorted(after.sensitive)),
        team=after.team,
        priority=str(after.priority),
        platform=str(after.platform),
        account_id=after.account_id,
        opened=before is None or before.case_id != after.case_id,
    )
