"""Text as the triage rules read it: accent-, case- and emoji-insensitive words, with where they stood.

One normalisation for the phrase lists, the routing keywords and the spam rules, so a phrase written
once ("can't go on", "Selbstmord", "me suicidé") matches however a customer types it: any case,
with or without accents, typographic apostrophes, stretched letters ("diiiie"), leetspeak inside a
word ("su1c1de"), emoji or punctuation glued to words ("kill🔪myself").
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'", "ʼ": "'"})
_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s"})
_LEET_WORD = re.compile(r"[a-z@$]*[0-9@$][a-z0-9@$]*")
_REPEATS = re.compile(r"(.)\1+")
# A word: letters and digits, plus @ and $ when they sit inside one (leetspeak: "k1ll", "$uicide").
_WORD = re.compile(r"[^\W_]+(?:[@$][^\W_]+)*|[@$][^\W_]+")
_CLAUSE_END = re.compile(r"[.!?;:\n]|,\s|\s[-–—]\s")
_CONTRACTION = re.compile(r"\b(\w+)n't\b")
_IRREGULAR_NOT = {"won": "will", "can": "can", "ca": "can", "sha": "shall", "ai": "am"}


@dataclass(frozen=True, slots=True)
class Token:
    word: str  # normalised: no accents, case-folded, leetspeak read, repeated letters squeezed
    start: int  # character offsets in the prepared text (see ``prepare``)
    end: int
    clause: int  # index of the clause (sentence or comma-separated part) the word is in


def fold(text: str) -> str:
    """Case-folded, accents removed (é→e, ß→ss, ñ→n), typographic apostrophes made plain."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_APOSTROPHES).casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def prepare(text: str) -> str:
    """``fold`` plus English contractions opened ("don't" → "do not"), so negations are words."""

    def opened(match: re.Match[str]) -> str:
        stem = match.group(1)
        return f"{_IRREGULAR_NOT.get(stem, stem)} not"

    return _CONTRACTION.sub(opened, fold(text))


def squeeze(word: str) -> str:
    """One letter for every run of a repeated letter: "diiiie", "kill" and "kil" all read alike."""
    word = unleet(word)
    return word if word.startswith("@") else _REPEATS.sub(r"\1", word)


def unleet(word: str) -> str:
    """Leetspeak read as letters ("sh1t" → "shit"); a mention ("@acme") is kept as written."""
    if not word.startswith("@") and _LEET_WORD.fullmatch(word) and any(ch.isalpha() for ch in word):
        return word.translate(_LEET)
    return word


@dataclass(frozen=True, slots=True)
class Reading:
    prepared: str  # ``prepare(text)``: token offsets and quoted spans point into this
    tokens: tuple[Token, ...]
    quoted: tuple[tuple[int, int], ...]  # [start, end) spans of the prepared text inside quotation marks

    @property
    def words(self) -> list[str]:
        return [token.word for token in self.tokens]

    def is_quoted(self, start: int, end: int) -> bool:
        return any(q_start <= start and end <= q_end for q_start, q_end in self.quoted)


# Double quotes of every kind; a single-quoted passage only when its quote opens after a space (so
# the apostrophes of "j'ai" or "it's" never open one); a retweet's text after "RT @user:".
_QUOTED = re.compile(
    r'"[^"]*"|“[^“”]*”|„[^“”]*[“”]|«[^»]*»|»[^«]*«|(?:^|(?<=\s))\'[^\'\n]+\'(?=$|[\s.,!?;:])|^\s*rt\s+@\w+:.*$',
    re.DOTALL | re.MULTILINE,
)


def read(text: str) -> Reading:
    prepared = prepare(text)
    spans = tuple((m.start(), m.end()) for m in _QUOTED.finditer(prepared))
    return Reading(prepared, tuple(_tokens_of(prepared)), spans)


def tokens(text: str) -> list[Token]:
    """The words of ``text`` (prepared), each with its offsets and clause."""
    return _tokens_of(prepare(text))


def _tokens_of(prepared: str) -> list[Token]:
    boundaries = [m.start() for m in _CLAUSE_END.finditer(prepared)]
    result: list[Token] = []
    clause = 0
    for match in _WORD.finditer(prepared):
        while clause < len(boundaries) and boundaries[clause] < match.start():
            clause += 1
        result.append(Token(squeeze(match.group()), match.start(), match.end(), clause))
    return result


def words(text: str) -> list[str]:
    return [token.word for token in tokens(text)]


def plain_words(text: str) -> list[str]:
    """The words folded and leetspeak read, letters not squeezed (for exact word lists: "ass" ≠ "as")."""
    return [unleet(match.group()) for match in _WORD.finditer(prepare(text))]
