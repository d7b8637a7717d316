"""Phrase patterns: the small language the sensitive lists and the routing keywords are written in.

    word         that word (case, accents, apostrophes, stretched letters and leetspeak do not matter)
    word*        the word with any ending: ``kill*`` is kill, kills, killed, killing
    a|b|c*       any of these
    @name        any word of the named list (``@relation``: mother, father, ...), where lists are given
    ..           up to three other words (never first or last)

A pattern matches a run of words of a message (``socialcare.rules.text``), never part of a word,
except through ``*``. Contractions are written opened ("do not", "can not"), as the text is read.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from socialcare.rules.text import fold, squeeze

MAX_GAP = 3
MIN_PREFIX = 2


@dataclass(frozen=True, slots=True)
class Slot:
    exact: frozenset[str]
    prefixes: tuple[str, ...] = ()

    def accepts(self, word: str) -> bool:
        return word in self.exact or any(word.startswith(prefix) for prefix in self.prefixes)


@dataclass(frozen=True, slots=True)
class Gap:
    most: int = MAX_GAP


@dataclass(frozen=True, slots=True)
class Span:
    start: int  # token indexes: [start, end)
    end: int
    gap: tuple[int, ...]  # the indexes of the words a ``..`` skipped

    def overlaps(self, other: Span) -> bool:
        return self.start < other.end and other.start < self.end


@dataclass(frozen=True, slots=True)
class Pattern:
    source: str
    slots: tuple[Slot | Gap, ...]

    @property
    def first(self) -> Slot:
        first = self.slots[0]
        assert isinstance(first, Slot)  # compile() never puts a gap first
        return first

    def find(self, words: Sequence[str]) -> Iterator[Span]:
        """Every place the pattern matches ``words`` (the first way it matches at each start)."""
        for start in range(len(words)):
            found = self._match(words, 0, start, ())
            if found is not None:
                yield Span(start, found[0], found[1])

    def _match(
        self, words: Sequence[str], slot: int, at: int, gap: tuple[int, ...]
    ) -> tuple[int, tuple[int, ...]] | None:
        if slot == len(self.slots):
            return at, gap
        current = self.slots[slot]
        if isinstance(current, Gap):
            for skipped in range(min(current.most, len(words) - at) + 1):
                found = self._match(words, slot + 1, at + skipped, (*gap, *range(at, at + skipped)))
                if found is not None:
                    return found
            return None
        if at < len(words) and current.accepts(words[at]):
            return self._match(words, slot + 1, at + 1, gap)
        return None


def normal_word(word: str) -> str:
    """A pattern's word as a message's word reads (folded, squeezed)."""
    return squeeze(fold(word))


def compile_pattern(source: str, lists: Mapping[str, frozenset[str]] | None = None) -> Pattern:
    """The pattern ``source`` says; ``ValueError`` (with the reason) when it is not one."""
    parts = source.split()
    if not parts:
        raise ValueError("empty pattern")
    if parts[0] == ".." or parts[-1] == "..":
        raise ValueError("'..' must stand between two words")
    slots: list[Slot | Gap] = []
    for part in parts:
        if part == "..":
            if slots and isinstance(slots[-1], Gap):
                raise ValueError("'.. ..': one gap at a time")
            slots.append(Gap())
        else:
            slots.append(_slot(part, lists or {}))
    return Pattern(source, tuple(slots))


def _slot(part: str, lists: Mapping[str, frozenset[str]]) -> Slot:
    exact: set[str] = set()
    prefixes: list[str] = []
    for choice in part.split("|"):
        if choice.startswith("@") and len(choice) > 1:
            if choice[1:] not in lists:
                raise ValueError(f"no word list named {choice!r}")
            exact |= lists[choice[1:]]
            continue
        word = normal_word(choice.removesuffix("*"))
        if not word or not word.isalnum() or "'" in choice:
            raise ValueError(f"{choice!r} is not a word (write contractions opened: 'do not')")
        if choice.endswith("*"):
            if len(word) < MIN_PREFIX:
                raise ValueError(f"{choice!r}: a word* needs at least {MIN_PREFIX} letters")
            prefixes.append(word)
        else:
            exact.add(word)
    return Slot(frozenset(exact), tuple(prefixes))


class PatternIndex:
    """Patterns found by their first word, so a message is not tried against every pattern at every word."""

    def __init__(self, patterns: Sequence[Pattern]) -> None:
        self._by_word: dict[str, list[int]] = {}
        self._by_prefix: dict[str, list[int]] = {}
        for number, pattern in enumerate(patterns):
            for word in pattern.first.exact:
                self._by_word.setdefault(word, []).append(number)
            for prefix in pattern.first.prefixes:
                self._by_prefix.setdefault(prefix[:MIN_PREFIX], []).append(number)

    def candidates(self, words: Sequence[str]) -> list[int]:
        """The numbers of the patterns whose first word occurs in ``words``, in their given order."""
        found: set[int] = set()
        for word in words:
            found.update(self._by_word.get(word, ()))
            found.update(self._by_prefix.get(word[:MIN_PREFIX], ()))
        return sorted(found)
