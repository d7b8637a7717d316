"""Language and sentiment of a message, behind the ``Classifier`` port.

``LocalClassifier`` runs in the function itself: language by ``lingua-language-detector`` restricted
to the brand languages (en, es, de, fr, pt, it, nl) in low-accuracy mode (≈40 MB of memory and
≈0.1 s to load instead of ≈230 MB and ≈3 s), helped by a count of each language's commonest short
words, which is where the low-accuracy models err on short French ("j'ai pas reçu mon colis");
sentiment by VADER (``vaderSentiment``), which knows English only. For other languages VADER is not
run on the words (its lexicon would read Spanish "no" as an English negative): only the emoji are
scored, and the confidence stays low. In AWS the same port may be served by Amazon Comprehend
(DetectDominantLanguage, DetectSentiment) — see the README's design notes for the choice.

The libraries are imported on first use, so importing this module costs nothing; the detector and
the analyser are built once per process (``functools.cache``).
"""

from __future__ import annotations

import functools
from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

from socialcare.rules.phrases import normal_word
from socialcare.rules.text import words

if TYPE_CHECKING:
    from lingua import LanguageDetector

BRAND_LANGUAGES = ("en", "es", "de", "fr", "pt", "it", "nl")
MIN_LETTERS = 4  # shorter texts ("ok", "👍") have no language to speak of
STOPWORD_WEIGHT = 0.15  # what one common word of a language adds to lingua's confidence in it
NEUTRAL_BAND = 0.05  # VADER's own: |compound| below this is neutral


def _word_set(text: str) -> frozenset[str]:
    return frozenset(normal_word(word) for word in text.split())


# The commonest short words of each language that are not also common in the others.
_STOPWORDS: dict[str, frozenset[str]] = {
    "en": _word_set(
        "the and is are you my your it this that was have not with for of what where lol ur u pls plz thx smh wtf omg idk tbh"
    ),
    "es": _word_set("el la los las y es mi tu que por para con una pero esta como donde porque ya"),
    "de": _word_set("der die das und ist ich nicht mein meine mit fur ein eine auch wie wo noch"),
    "fr": _word_set("le la les et est je j ai pas mon ma mes une pour avec ce c qui ne vous ça ca"),
    "pt": _word_set("o os e é meu minha nao não voce você com uma para que do da ainda cadê obrigado"),
    "it": _word_set("il lo gli e è mio mia non che per con una della sono ancora grazie"),
    "nl": _word_set("de het en is mijn niet met een voor van waar nog wel bedankt"),
}

# Emoji VADER does not score (it reads their English names, most of which are not in its lexicon).
_EMOJI_VALENCE: dict[str, float] = {
    **dict.fromkeys("😡🤬😠😤👎💩🙄😒😞😢😭😩😫😖😣💔🤮🤢😾", -2.0),
    **dict.fromkeys("😕🙁☹😔😟😬😑", -1.0),
    **dict.fromkeys("🙏👍😊🙂😀😃😄😁🥰😍❤💖💕💯🎉✨🤩😘👏💚💙🥳", 2.0),
}
# Words VADER misreads in customer care: "killer deal" is praise, "smh" a sigh.
_LEXICON_UPDATES = {"killer": 1.5, "smh": -1.5, "scam": -2.5, "scammers": -2.5, "refund": -0.5}


class SentimentLabel(StrEnum):
    POSITIVE = "positive"
    NEGATIVE = "negative"
    NEUTRAL = "neutral"


@dataclass(frozen=True, slots=True)
class LanguageGuess:
    code: str | None  # ISO 639-1, or None when the text is too short or unlike every brand language
    confidence: float


@dataclass(frozen=True, slots=True)
class Sentiment:
    label: SentimentLabel
    score: float  # -1 (most negative) to 1
    confidence: float  # how far to trust it: high for English text, low for emoji-only readings
    method: str  # "vader", "emoji" or "none"


@dataclass(frozen=True, slots=True)
class TextSignals:
    language: LanguageGuess
    sentiment: Sentiment


class Classifier(Protocol):
    """Language and sentiment of one message's text (local libraries, or a cloud service)."""

    def classify(self, text: str) -> TextSignals: ...


class LocalClassifier:
    """The ``Classifier`` of lingua and VADER, in process."""

    def __init__(self, languages: Collection[str] = BRAND_LANGUAGES) -> None:
        self.languages = tuple(sorted(languages))

    def classify(self, text: str) -> TextSignals:
        language = self.language_of(text)
        return TextSignals(language, sentiment_of(text, language.code))

    def language_of(self, text: str) -> LanguageGuess:
        text_words = words(text)
        if sum(len(w) for w in text_words if w.isalpha()) < MIN_LETTERS:
            return LanguageGuess(None, 0.0)
        scores = {
            value.language.iso_code_639_1.name.lower(): value.value
            for value in _detector(self.languages).compute_language_confidence_values(text)
        }
        for language, stopwords in _STOPWORDS.items():
            if language in scores:
                scores[language] += STOPWORD_WEIGHT * sum(1 for word in text_words if word in stopwords)
        best = max(scores, key=lambda code: scores[code])
        total = sum(scores.values())
        if total <= 0:
            return LanguageGuess(None, 0.0)
        return LanguageGuess(best, round(scores[best] / total, 3))


@functools.cache
def _detector(languages: tuple[str, ...]) -> LanguageDetector:
    from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

    chosen = [Language.from_iso_code_639_1(getattr(IsoCode639_1, code.upper())) for code in languages]
    return LanguageDetectorBuilder.from_languages(*chosen).with_low_accuracy_mode().build()


@functools.cache
def _analyser() -> object:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyser = SentimentIntensityAnalyzer()
    analyser.lexicon.update(_LEXICON_UPDATES)
    return analyser


def sentiment_of(text: str, language: str | None) -> Sentiment:
    """VADER on English (or unknown-language) text, emoji alone on other languages; see the module."""
    emoji = [_EMOJI_VALENCE[ch] for ch in text if ch in _EMOJI_VALENCE]
    if language in ("en", None) and words(text):
        scores: dict[str, float] = _analyser().polarity_scores(text)  # type: ignore[attr-defined]
        compound = _blend(float(scores["compound"]), emoji)
        return Sentiment(_label(compound), compound, 0.8 if language == "en" else 0.5, "vader")
    if emoji:
        compound = _blend(0.0, emoji)
        return Sentiment(_label(compound), compound, 0.3, "emoji")
    return Sentiment(SentimentLabel.NEUTRAL, 0.0, 0.1, "none")


def _blend(compound: float, emoji: list[float]) -> float:
    """VADER's compound with the emoji it missed, squashed as VADER squashes its sums (x/√(x²+15))."""
    if not emoji:
        return round(compound, 4)
    total = sum(emoji)
    emoji_score = float(total / (total * total + 15) ** 0.5)
    return round(max(-1.0, min(1.0, (compound + emoji_score) / (2 if compound else 1))), 4)


def _label(compound: float) -> SentimentLabel:
    if compound >= NEUTRAL_BAND:
        return SentimentLabel.POSITIVE
    if compound <= -NEUTRAL_BAND:
        return SentimentLabel.NEGATIVE
    return SentimentLabel.NEUTRAL


@functools.cache
def local_classifier() -> LocalClassifier:
    """One per process: the detector and analyser it uses are cached with it."""
    return LocalClassifier()
