"""The marketing summary: a monitoring report, not the conversations.

Marketing needs to know how much the brand is talked to, where, about what and in which mood — not
who said what. The summary holds counts only: new cases, customers' messages and resolutions; the
same per channel; the topics of new cases (the routing tags triage gave them), most frequent first;
the languages customers wrote in; and the sentiment of their messages with its trend (per local hour
for one day, per day for a range). No name, handle, customer or case id, agent or message text is in
it, and the tags of sensitive cases (``sensitive``, ``sensitive:<category>``) are left out: a crisis
is nobody's campaign topic.

Everything in it is a count (the mean score comes with its sum and count of messages), so the summary of a
range is the sum of its days' summaries (``merge_marketing``), stored or not.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from socialcare.model.day_facts import DayFact, FactKind
from socialcare.reports.accountability import NOT_COLLECTED, period
from socialcare.reports.window import ReportWindow

SENSITIVE_TAG = "sensitive"


@dataclass
class Mood:
    """The sentiment of a number of customer messages."""

    messages: int = 0
    score_sum: float = 0.0
    labels: Counter[str] = field(default_factory=Counter)

    def add(self, label: str, score: float, messages: int = 1) -> None:
        """``messages`` of ``label`` whose scores add up to ``score``."""
        self.messages += messages
        self.score_sum += score
        self.labels[label] += messages

    def merge(self, doc: Mapping[str, Any]) -> None:
        self.messages += int(doc["messages"])
        self.score_sum += float(doc["score_sum"])
        self.labels.update({label: int(doc[label]) for label in ("positive", "neutral", "negative")})

    def document(self) -> dict[str, Any]:
        return {
            "messages": self.messages,
            "mean_score": round(self.score_sum / self.messages, 3) if self.messages else None,
            "score_sum": round(self.score_sum, 6),  # with ``messages``: what a range's mean is made of
            "positive": self.labels["positive"],
            "neutral": self.labels["neutral"],
            "negative": self.labels["negative"],
        }


@dataclass
class Counts:
    """Everything the summary says, as counts that add up across days."""

    new_cases: Counter[str] = field(default_factory=Counter)  # by channel
    messages: Counter[str] = field(default_factory=Counter)  # by channel
    resolved: int = 0
    topics: Counter[str] = field(default_factory=Counter)
    languages: Counter[str] = field(default_factory=Counter)
    mood: Mood = field(default_factory=Mood)
    trend: dict[str, Mood] = field(default_factory=lambda: defaultdict(Mood))

    def document(self, window: ReportWindow, generated_at_ms: int) -> dict[str, Any]:
        return {
            "report": "marketing",
            **period(window, generated_at_ms),
            "volume": {
                "new_cases": sum(self.new_cases.values()),
                "customer_messages": sum(self.messages.values()),
                "resolved_cases": self.resolved,
            },
            "channels": [
                {"channel": ch, "new_cases": self.new_cases[ch], "customer_messages": self.messages[ch]}
                for ch in sorted(set(self.new_cases) | set(self.messages))
            ],
            "top_topics": [{"topic": topic, "cases": n} for topic, n in _most_first(self.topics)],
            "languages": [{"language": language, "messages": n} for language, n in _most_first(self.languages)],
            "sentiment": {
                **self.mood.document(),
                "trend": [{"period": key, **self.trend[key].document()} for key in sorted(self.trend)],
            },
            "csat": NOT_COLLECTED,
        }


def _most_first(counts: Counter[str]) -> list[tuple[str, int]]:
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


def _sensitive(tag: str) -> bool:
    return tag == SENSITIVE_TAG or tag.startswith(SENSITIVE_TAG + ":")


def build_marketing(window: ReportWindow, facts: Iterable[DayFact], *, generated_at_ms: int) -> dict[str, Any]:
    counts = Counts()
    for fact in facts:
        if not window.contains(fact.at_ms):
            continue
        if fact.kind is FactKind.CREATED:
            counts.new_cases[fact.channel.value] += 1
            counts.topics.update(tag for tag in fact.tags if not _sensitive(tag))
        counts.resolved += fact.kind is FactKind.RESOLVED
        if fact.kind is FactKind.INBOUND:  # a message, or a count of them (``DayFact.messages``)
            counts.messages[fact.channel.value] += fact.messages
            counts.languages[fact.language or "unknown"] += fact.messages
            if fact.sentiment is not None and fact.score is not None:
                counts.mood.add(fact.sentiment, fact.score, fact.messages)
                counts.trend[window.period_of(fact.at_ms)].add(fact.sentiment, fact.score, fact.messages)
    return counts.document(window, generated_at_ms)


def merge_marketing(
    window: ReportWindow, daily: Sequence[Mapping[str, Any]], *, generated_at_ms: int
) -> dict[str, Any]:
    """The summary of a range from its days' summaries; the trend has one point per day."""
    counts = Counts()
    for doc in daily:
        counts.resolved += int(doc["volume"]["resolved_cases"])
        for row in doc["channels"]:
            counts.new_cases[row["channel"]] += int(row["new_cases"])
            counts.messages[row["channel"]] += int(row["customer_messages"])
        counts.topics.update({row["topic"]: int(row["cases"]) for row in doc["top_topics"]})
        counts.languages.update({row["language"]: int(row["messages"]) for row in doc["languages"]})
        counts.mood.merge(doc["sentiment"])
        if doc["sentiment"]["messages"]:
            counts.trend[str(doc["from"])].merge(doc["sentiment"])
    return counts.document(window, generated_at_ms)
