"""Sensitive messages: self-harm and suicide, abuse (of children too), bereavement.

Such a message goes to the specially trained team at once, with no automated message. Detection is
by maintained phrase lists, one file per language in ``rules/data/sensitive/`` (syntax in its
README.txt and in ``socialcare.rules.phrases``), behind the ``SensitiveClassifier`` port so that a
model can be added beside them later (``combine`` joins what several detectors found).

How a match is weighed — the rule a care team can read:

- Every phrase has a weight (0.9: unambiguous, "kill myself"; 0.5: often meant otherwise).
- **Negation lowers, never hides.** A negation word (of any list's ``[negation]``: messages mix
  languages) in the four words before it (same clause) or inside it ("ich bringe mich *nicht* um") halves the confidence:
  "I'm not going to kill myself" is still shown to a person — it is what someone at risk may write.
- **Quotation lowers, never hides**: a phrase wholly inside quotation marks, or in a retweet's
  quoted text, halves the confidence (a film title, a headline, someone else's words).
- **Laughter lowers**: "lol", "jajaja", "mdr", 😂 in the message multiply the confidence by 0.7.
- **Idioms are not detections**: the lists' ``[not_sensitive]`` section names figures of speech
  ("kill myself laughing", "me muero de risa", "mort de rire", "Suicide Squad"); a match overlapping
  one is dropped. Everyday hyperbole ("this price is killing me", "I'd die for these shoes", "killer
  deal") is simply not in the lists: they name what a person says of themselves or of a relative.
- A category counts (``SensitiveResult.categories``) when one of its matches reaches
  ``THRESHOLD`` (0.35: a phrase weighing 0.7 or more that is negated *or* quoted still counts; one
  both negated and quoted does not) — except **self-harm and child abuse, which count at any
  confidence**: no negation, quotation or laughter ever takes those away from a person.
- Scope: self-harm and child abuse are looked for in every language's list, always; abuse and
  bereavement in the lists of the message's language when the caller knows it (``languages``),
  else in all (a French "râpe" must not read as English).

Nothing here keeps or returns the message's text: a result names phrase ids
(``self_harm.en.kill_myself``), safe to log.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from importlib import resources
from typing import Protocol

from socialcare.errors import InvalidPhraseList
from socialcare.rules.phrases import Pattern, PatternIndex, Span, compile_pattern, normal_word
from socialcare.rules.text import Reading, read

THRESHOLD = 0.35
NEGATION_WINDOW = 4
NEGATED = 0.5
QUOTED = 0.5
LAUGHING = 0.7
DATA_PACKAGE = "socialcare.rules"
DATA_DIR = "data/sensitive"

_LAUGH_WORD = re.compile(r"^(?:(?:ha|he|ja|je|ji|hi|ka|rs){2,}h?|lol|lmf?ao|rofl|xd|mdr|ptdr|k{3,})$")
_LAUGH_EMOJI = frozenset("😂🤣😆😹😅💀")


class SensitiveCategory(StrEnum):
    SELF_HARM = "self_harm"
    ABUSE = "abuse"
    CHILD_ABUSE = "child_abuse"
    BEREAVEMENT = "bereavement"


ALWAYS_COUNTS = frozenset({SensitiveCategory.SELF_HARM, SensitiveCategory.CHILD_ABUSE})
EVERY_LANGUAGE = ALWAYS_COUNTS


@dataclass(frozen=True, slots=True)
class SensitiveMatch:
    category: SensitiveCategory
    phrase_id: str  # "<category>.<language>.<id>": names the phrase, never the text
    confidence: float
    negated: bool = False
    quoted: bool = False
    laughing: bool = False


@dataclass(frozen=True, slots=True)
class SensitiveResult:
    matches: tuple[SensitiveMatch, ...] = ()

    @property
    def categories(self) -> frozenset[SensitiveCategory]:
        """The categories that send the message to the trained team (see the module's rule)."""
        return frozenset(m.category for m in self.matches if m.category in ALWAYS_COUNTS or m.confidence >= THRESHOLD)

    @property
    def is_sensitive(self) -> bool:
        return bool(self.categories)

    @property
    def phrase_ids(self) -> tuple[str, ...]:
        return tuple(m.phrase_id for m in self.matches)

    @property
    def confidence(self) -> float:
        return max((m.confidence for m in self.matches if m.category in self.categories), default=0.0)

    def to_log(self) -> dict[str, object]:
        """What may be logged or put in a notification: categories and phrase ids, no text."""
        return {
            "sensitive": self.is_sensitive,
            "categories": sorted(self.categories),
            "phrase_ids": list(self.phrase_ids),
            "confidence": self.confidence,
        }


class SensitiveClassifier(Protocol):
    """Anything that finds sensitive content in a message (phrase lists today, a model later)."""

    def detect(self, text: str, *, languages: Collection[str] | None = None) -> SensitiveResult: ...


def combine(*results: SensitiveResult) -> SensitiveResult:
    """What several detectors found, one match per phrase id (the most confident)."""
    return SensitiveResult(_best_per_phrase(m for result in results for m in result.matches))


# --- the phrase lists -----------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Phrase:
    phrase_id: str
    category: SensitiveCategory
    language: str
    weight: float
    pattern: Pattern


@dataclass(frozen=True, slots=True)
class LanguageList:
    language: str
    negations: frozenset[str]
    phrases: tuple[Phrase, ...]
    idioms: tuple[Pattern, ...]
    index: PatternIndex = field(init=False, compare=False, repr=False)
    idiom_index: PatternIndex = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "index", PatternIndex([p.pattern for p in self.phrases]))
        object.__setattr__(self, "idiom_index", PatternIndex(self.idioms))


_SECTION = re.compile(r"^\[(@?[a-z_]+)\]$")
_CATEGORY_NAMES = {category.value: category for category in SensitiveCategory}


def parse_phrase_list(language: str, text: str, *, source: str | None = None) -> LanguageList:
    """One language's list, as its file says; ``InvalidPhraseList`` names the line at fault."""
    source = source or f"{language}.txt"
    sections: dict[str, list[tuple[int, str]]] = {}
    current: list[tuple[int, str]] | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        header = _SECTION.match(line)
        if header:
            if header.group(1) in sections:
                raise InvalidPhraseList(f"{source}:{number}", f"section [{header.group(1)}] given twice")
            current = sections.setdefault(header.group(1), [])
        elif current is None:
            raise InvalidPhraseList(f"{source}:{number}", "a line before the first [section]")
        else:
            current.append((number, line))
    lists = {
        name[1:]: frozenset(normal_word(w) for _, line in lines for w in line.split())
        for name, lines in sections.items()
        if name.startswith("@")
    }
    negations = frozenset(normal_word(w) for _, line in sections.pop("negation", []) for w in line.split())
    idioms = tuple(_idiom(line, lists, f"{source}:{n}") for n, line in sections.pop("not_sensitive", []))
    phrases: list[Phrase] = []
    for name, lines in sections.items():
        if name.startswith("@"):
            continue
        if name not in _CATEGORY_NAMES:
            raise InvalidPhraseList(f"{source}:{lines[0][0] - 1 if lines else 0}", f"unknown section [{name}]")
        phrases.extend(_phrase(_CATEGORY_NAMES[name], language, line, lists, f"{source}:{n}") for n, line in lines)
    return LanguageList(language, negations, tuple(phrases), idioms)


def _phrase(
    category: SensitiveCategory, language: str, line: str, lists: Mapping[str, frozenset[str]], where: str
) -> Phrase:
    parts = line.split(None, 2)
    if len(parts) < 3 or not re.fullmatch(r"[a-z0-9_]+", parts[0]):
        raise InvalidPhraseList(where, "a phrase line is: <id> <weight> <pattern>")
    try:
        weight = float(parts[1])
    except ValueError:
        raise InvalidPhraseList(where, f"weight {parts[1]!r} is not a number") from None
    if not 0 < weight <= 1:
        raise InvalidPhraseList(where, "the weight must be above 0 and at most 1")
    phrase_id = f"{category}.{language}.{parts[0]}"
    return Phrase(phrase_id, category, language, weight, _compiled(parts[2], lists, where))


def _idiom(line: str, lists: Mapping[str, frozenset[str]], where: str) -> Pattern:
    parts = line.split(None, 1)
    if len(parts) < 2:
        raise InvalidPhraseList(where, "an idiom line is: <id> <pattern>")
    return _compiled(parts[1], lists, where)


def _compiled(source: str, lists: Mapping[str, frozenset[str]], where: str) -> Pattern:
    try:
        return compile_pattern(source, lists)
    except ValueError as error:
        raise InvalidPhraseList(where, str(error)) from None


def packaged_lists() -> dict[str, LanguageList]:
    """Every language's list shipped in the package (``rules/data/sensitive/<language>.txt``)."""
    folder = resources.files(DATA_PACKAGE).joinpath(DATA_DIR)
    found: dict[str, LanguageList] = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".txt") and entry.name != "README.txt":
            language = entry.name.removesuffix(".txt")
            found[language] = parse_phrase_list(language, entry.read_text(encoding="utf-8"), source=entry.name)
    return found


# --- detection ----------------------------------------------------------------------------------
class PhraseListDetector:
    """The ``SensitiveClassifier`` of the maintained phrase lists."""

    def __init__(self, lists: Mapping[str, LanguageList]) -> None:
        self._lists = dict(lists)
        self._negations = frozenset(word for lst in lists.values() for word in lst.negations)

    @property
    def languages(self) -> frozenset[str]:
        return frozenset(self._lists)

    def detect(self, text: str, *, languages: Collection[str] | None = None) -> SensitiveResult:
        reading = read(text)
        words = reading.words
        idiom_spans = [span for lst in self._lists.values() for span in _find(lst.idioms, lst.idiom_index, words)]
        laughing = _laughing(text, words)
        found: list[SensitiveMatch] = []
        for language, lst in self._lists.items():
            in_scope = languages is None or language in languages
            for number in lst.index.candidates(words):
                phrase = lst.phrases[number]
                if not in_scope and phrase.category not in EVERY_LANGUAGE:
                    continue
                for span in phrase.pattern.find(words):
                    if not any(span.overlaps(idiom) for idiom in idiom_spans):
                        found.append(_weighed(phrase, span, reading, self._negations, laughing=laughing))
        return SensitiveResult(_best_per_phrase(found))


@functools.cache
def default_detector() -> PhraseListDetector:
    """The packaged lists, read once per process."""
    return PhraseListDetector(packaged_lists())


def _find(patterns: tuple[Pattern, ...], index: PatternIndex, words: list[str]) -> list[Span]:
    return [span for number in index.candidates(words) for span in patterns[number].find(words)]


def _weighed(
    phrase: Phrase, span: Span, reading: Reading, negations: frozenset[str], *, laughing: bool
) -> SensitiveMatch:
    tokens = reading.tokens
    clause = tokens[span.start].clause
    before = [t.word for t in tokens[max(0, span.start - NEGATION_WINDOW) : span.start] if t.clause == clause]
    negated = any(word in negations for word in (*before, *(tokens[i].word for i in span.gap)))
    quoted = reading.is_quoted(tokens[span.start].start, tokens[span.end - 1].end)
    confidence = phrase.weight * (NEGATED if negated else 1) * (QUOTED if quoted else 1) * (LAUGHING if laughing else 1)
    return SensitiveMatch(phrase.category, phrase.phrase_id, round(confidence, 3), negated, quoted, laughing)


def _laughing(text: str, words: list[str]) -> bool:
    return any(ch in _LAUGH_EMOJI for ch in text) or any(_LAUGH_WORD.match(word) for word in words)


def _best_per_phrase(matches: Iterable[SensitiveMatch]) -> tuple[SensitiveMatch, ...]:
    best: dict[str, SensitiveMatch] = {}
    for match in matches:
        if match.phrase_id not in best or match.confidence > best[match.phrase_id].confidence:
            best[match.phrase_id] = match
    return tuple(sorted(best.values(), key=lambda m: (-m.confidence, m.phrase_id)))


def detect_sensitive(text: str, *, languages: Collection[str] | None = None) -> SensitiveResult:
    """The packaged lists' verdict on ``text`` (``languages``: the message's, when known)."""
    return default_detector().detect(text, languages=languages)
