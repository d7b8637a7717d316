"""Language and sentiment on realistic short social texts (emoji, slang, mixed languages)."""

from __future__ import annotations

import pytest
from socialcare.rules.classify import (
    Classifier,
    LocalClassifier,
    SentimentLabel,
    TextSignals,
    local_classifier,
    sentiment_of,
)

pytestmark = pytest.mark.unit

LANGUAGE = [
    ("en", "where is my parcel?? ordered a week ago 😡"),
    ("en", "lol ur app is broken again smh"),
    ("en", "thx for the quick help!!"),
    ("en", "@acme my card got declined twice wtf"),
    ("en", "cancel my subscription pls"),
    ("es", "hola, mi pedido no llegó"),
    ("es", "no me funciona la app desde ayer 😤"),
    ("es", "q pasa con mi reembolso??"),
    ("es", "necesito hablar con alguien ya"),
    ("de", "Wo bleibt meine Bestellung?"),
    ("de", "die App stürzt dauernd ab 🙄"),
    ("de", "mein Paket ist immer noch nicht da"),
    ("fr", "je n'ai pas reçu ma commande"),
    ("fr", "j'ai pas reçu mon colis 😡"),
    ("fr", "ça marche pas depuis hier"),
    ("fr", "c'est nul votre service"),
    ("pt", "meu pedido não chegou ainda"),
    ("pt", "cadê meu reembolso?"),
    ("it", "il mio ordine non è ancora arrivato"),
    ("nl", "waar blijft mijn pakket"),
    ("nl", "de app werkt niet meer"),
    # mixed: the language most of the message is in
    ("es", "hola! mi order no ha llegado todavía, what's going on?? necesito ayuda"),
    ("de", "Hallo, mein Account ist gesperrt, bitte um Hilfe asap"),
]


@pytest.fixture(scope="module")
def classifier() -> LocalClassifier:
    return local_classifier()


def test_the_local_classifier_is_a_classifier(classifier: LocalClassifier) -> None:
    port: Classifier = classifier
    assert isinstance(port.classify("thanks!"), TextSignals)


@pytest.mark.parametrize(("language", "text"), LANGUAGE)
def test_language_of_short_social_texts(classifier: LocalClassifier, language: str, text: str) -> None:
    guess = classifier.language_of(text)
    assert guess.code == language
    assert 0 < guess.confidence <= 1


@pytest.mark.parametrize("text", ["ok", "👍", "😡😡😡", "", "??", "@acme"])
def test_too_little_text_has_no_language(classifier: LocalClassifier, text: str) -> None:
    assert classifier.language_of(text).code is None


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("where is my parcel?? ordered a week ago 😡", SentimentLabel.NEGATIVE),
        ("lol ur app is broken again smh", SentimentLabel.NEGATIVE),
        ("@acme my card got declined twice wtf", SentimentLabel.NEGATIVE),
        ("this is a scam, I want my money back", SentimentLabel.NEGATIVE),
        ("thx for the quick help!!", SentimentLabel.POSITIVE),
        ("love the new app ❤️🙏", SentimentLabel.POSITIVE),
        ("killer deal!!", SentimentLabel.POSITIVE),
        ("what time do you open on sunday", SentimentLabel.NEUTRAL),
    ],
)
def test_english_sentiment(classifier: LocalClassifier, text: str, label: SentimentLabel) -> None:
    sentiment = classifier.classify(text).sentiment
    assert sentiment.label is label
    assert sentiment.method == "vader"
    assert sentiment.confidence >= 0.5
    assert -1 <= sentiment.score <= 1


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("no me funciona la app desde ayer 😤", SentimentLabel.NEGATIVE),
        ("j'ai pas reçu mon colis 😡", SentimentLabel.NEGATIVE),
        ("danke für die schnelle Hilfe! 🙏", SentimentLabel.POSITIVE),
    ],
)
def test_other_languages_are_read_by_their_emoji_with_low_confidence(
    classifier: LocalClassifier, text: str, label: SentimentLabel
) -> None:
    sentiment = classifier.classify(text).sentiment
    assert (sentiment.label, sentiment.method) == (label, "emoji")
    assert sentiment.confidence <= 0.3


def test_other_languages_without_emoji_are_neutral_and_say_they_do_not_know() -> None:
    # VADER would read the Spanish "no" as an English negative: it is not run on other languages.
    sentiment = sentiment_of("no, gracias, ya está resuelto", "es")
    assert (sentiment.label, sentiment.score, sentiment.method) == (SentimentLabel.NEUTRAL, 0.0, "none")
    assert sentiment.confidence <= 0.1


def test_classifying_is_fast_once_loaded(classifier: LocalClassifier) -> None:
    import time

    classifier.classify("warm up")
    started = time.perf_counter()
    for _ in range(50):
        classifier.classify("hola, mi pedido no llegó y nadie me contesta 😡")
    assert (time.perf_counter() - started) / 50 < 0.01
