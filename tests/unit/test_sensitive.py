"""Sensitive messages: each category in each language, detected and not, with negation, quotes and idioms."""

from __future__ import annotations

import pytest
from socialcare.errors import InvalidPhraseList
from socialcare.rules.sensitive import (
    THRESHOLD,
    SensitiveCategory,
    SensitiveMatch,
    SensitiveResult,
    combine,
    default_detector,
    detect_sensitive,
    packaged_lists,
    parse_phrase_list,
)

pytestmark = pytest.mark.unit

SELF_HARM = SensitiveCategory.SELF_HARM
ABUSE = SensitiveCategory.ABUSE
CHILD = SensitiveCategory.CHILD_ABUSE
BEREAVEMENT = SensitiveCategory.BEREAVEMENT

DETECTED = [
    # English
    ("en", SELF_HARM, "I want to kill myself"),
    ("en", SELF_HARM, "honestly i dont want to live anymore 😞"),
    ("en", SELF_HARM, "thinking about suicide every night"),
    ("en", SELF_HARM, "i wanna diiiie"),
    ("en", SELF_HARM, "gonna unalive myself tbh"),
    ("en", SELF_HARM, "su1c1d3 is all I think about"),
    ("en", SELF_HARM, "I’ve been cutting myself again"),
    ("en", ABUSE, "my husband hits me when I ask about the bills"),
    ("en", ABUSE, "I'm scared to go home, he checks my phone"),
    ("en", ABUSE, "I was sexually assaulted by your driver"),
    ("en", CHILD, "my stepdad abuses my daughter"),
    ("en", CHILD, "someone is grooming a child on your platform"),
    ("en", CHILD, "this account posts child porn, report it"),
    ("en", BEREAVEMENT, "my dad passed away last week, how do I close his account?"),
    ("en", BEREAVEMENT, "My mum died on Sunday and the direct debit is still running"),
    ("en", BEREAVEMENT, "I'm the executor of the estate, the account holder has died"),
    ("en", BEREAVEMENT, "where do I send the death certificate?"),
    # Spanish
    ("es", SELF_HARM, "me quiero matar"),
    ("es", SELF_HARM, "ya no quiero vivir más"),
    ("es", SELF_HARM, "pienso en suicidarme"),
    ("es", SELF_HARM, "tengo ganas de morirme"),
    ("es", ABUSE, "mi marido me pega y no sé qué hacer"),
    ("es", ABUSE, "soy víctima de violencia de género"),
    ("es", ABUSE, "sufrí un abuso sexual"),
    ("es", CHILD, "denuncio pornografía infantil en esta cuenta"),
    ("es", CHILD, "abusó de mi hija"),
    ("es", BEREAVEMENT, "mi madre falleció, ¿cómo cancelo su cuenta?"),
    ("es", BEREAVEMENT, "perdí a mi esposo el mes pasado"),
    ("es", BEREAVEMENT, "les envío el certificado de defunción"),
    # German
    ("de", SELF_HARM, "ich will nicht mehr leben"),
    ("de", SELF_HARM, "ich bringe mich heute um"),
    ("de", SELF_HARM, "ich habe Selbstmordgedanken"),
    ("de", SELF_HARM, "ich ritze mich wieder"),
    ("de", ABUSE, "mein Mann schlägt mich"),
    ("de", ABUSE, "ich erlebe häusliche Gewalt"),
    ("de", ABUSE, "ich wurde vergewaltigt"),
    ("de", CHILD, "das ist Kindesmissbrauch!"),
    ("de", BEREAVEMENT, "meine Mutter ist letzte Woche gestorben"),
    ("de", BEREAVEMENT, "mein Vater ist verstorben, ich schicke die Sterbeurkunde"),
    # French
    ("fr", SELF_HARM, "je veux mourir"),
    ("fr", SELF_HARM, "je ne veux plus vivre"),
    ("fr", SELF_HARM, "j'ai des idées suicidaires"),
    ("fr", SELF_HARM, "je vais mettre fin à mes jours"),
    ("fr", ABUSE, "mon mari me frappe"),
    ("fr", ABUSE, "je subis des violences conjugales"),
    ("fr", ABUSE, "j'ai été violée"),
    ("fr", CHILD, "c'est de la pédopornographie, signalez ce compte"),
    ("fr", CHILD, "il a abusé de ma fille"),
    ("fr", BEREAVEMENT, "mon père est décédé, comment fermer son compte"),
    ("fr", BEREAVEMENT, "voici l'acte de décès de ma mère"),
]

NOT_DETECTED = [
    ("en", "this price is killing me"),
    ("en", "I'd die for these shoes 😍"),
    ("en", "killer deal!! 🔥"),
    ("en", "I nearly killed myself laughing at your ad 😂"),
    ("en", "dying to try the new flavour"),
    ("en", "my phone died again, battery is useless"),
    ("en", "my son passed his driving test, need to add him to the policy"),
    ("en", "watched Suicide Squad on your app and it froze"),
    ("en", "you beat me to it"),
    ("en", "the abuse of power by your managers is ridiculous"),
    ("en", "where is my parcel??"),
    ("es", "me muero de risa jajaja"),
    ("es", "este precio va a matarme"),
    ("es", "precios abusivos, es un maltrato al cliente"),
    ("es", "violaron la ley de protección de datos"),
    ("es", "me muero de ganas de probarlo"),
    ("de", "Dieser Preis bringt mich um"),
    ("de", "ich lach mich tot"),
    ("de", "mein Handy ist schon wieder gestorben"),
    ("de", "gibt es einen Nachlass für Stammkunden?"),
    ("fr", "mort de rire mdr"),
    ("fr", "ce prix va me tuer"),
    ("fr", "vous violez le RGPD"),
    ("fr", "une succession de problèmes depuis la commande"),
    ("fr", "pour en finir avec les frais cachés"),
]


@pytest.mark.parametrize(("language", "category", "text"), DETECTED)
def test_each_category_is_detected_in_each_language(language: str, category: SensitiveCategory, text: str) -> None:
    result = detect_sensitive(text)
    assert category in result.categories
    assert any(m.category is category for m in result.matches)
    assert result.is_sensitive


@pytest.mark.parametrize(("language", "category", "text"), DETECTED)
def test_the_message_language_alone_still_detects_it(language: str, category: SensitiveCategory, text: str) -> None:
    assert category in detect_sensitive(text, languages={language}).categories


@pytest.mark.parametrize(("language", "text"), NOT_DETECTED)
def test_figures_of_speech_and_everyday_complaints_are_not_sensitive(language: str, text: str) -> None:
    result = detect_sensitive(text, languages={language})
    assert not result.is_sensitive, result.phrase_ids
    assert not detect_sensitive(text).is_sensitive


NEGATED_SELF_HARM = [
    "I'm not going to kill myself, don't worry",
    "I would never kill myself",
    "no me voy a suicidar",
    "ich bringe mich nicht um",
    "je ne vais pas me suicider",
]


@pytest.mark.parametrize("text", NEGATED_SELF_HARM)
def test_negation_lowers_confidence_but_never_hides_self_harm(text: str) -> None:
    result = detect_sensitive(text)
    plain = max(m.confidence for m in result.matches if m.negated)
    assert SensitiveCategory.SELF_HARM in result.categories
    assert all(m.negated for m in result.matches)
    assert plain < 0.5


def test_negation_alone_keeps_a_strong_phrase_counted_negation_and_quotation_together_do_not() -> None:
    negated = detect_sensitive("my father has not passed away, your letter is wrong")
    assert negated.categories == {BEREAVEMENT}
    assert negated.matches[0].negated
    assert negated.confidence >= THRESHOLD
    both = detect_sensitive('she did not say "domestic violence", read the ticket again')
    assert both.matches[0].negated
    assert both.matches[0].quoted
    assert both.phrase_ids == ("abuse.en.domestic_violence",)  # still reported, for a person to see
    assert not both.is_sensitive


def test_quotation_lowers_confidence() -> None:
    quoted = detect_sensitive('the song "Domestic Violence" is playing in your store')
    plain = detect_sensitive("I live with domestic violence")
    assert quoted.matches[0].quoted
    assert not plain.matches[0].quoted
    assert quoted.matches[0].confidence == pytest.approx(plain.matches[0].confidence / 2)


def test_self_harm_in_a_quote_or_retweet_still_goes_to_a_person() -> None:
    for text in ('she wrote "I want to kill myself" on your forum', "RT @friend: i want to kill myself"):
        result = detect_sensitive(text)
        assert result.matches[0].quoted
        assert SensitiveCategory.SELF_HARM in result.categories


def test_laughter_lowers_confidence_but_self_harm_still_counts() -> None:
    result = detect_sensitive("kms lol this queue 😂")
    assert result.matches[0].laughing
    assert result.matches[0].confidence < 0.6
    assert SensitiveCategory.SELF_HARM in result.categories


def test_case_accents_emoji_and_apostrophes_do_not_matter() -> None:
    for text in ("MI MADRE FALLECIÓ", "mi madre fallecio", "mi madre🙏fallecio", "mi  madre  falleció!!!"):
        assert BEREAVEMENT in detect_sensitive(text).categories
    for text in ("I don’t want to live", "I don't want to live", "I dont want to live", "i do not want to live"):
        assert SELF_HARM in detect_sensitive(text).categories


def test_abuse_and_bereavement_are_looked_for_in_the_message_language_only_when_it_is_known() -> None:
    grater = "la râpe est cassée"  # French: the cheese grater is broken
    assert not detect_sensitive(grater, languages={"fr"}).is_sensitive
    assert ABUSE in detect_sensitive(grater).categories  # language unknown: every list applies


def test_self_harm_is_looked_for_in_every_language_whatever_the_message_language() -> None:
    assert SELF_HARM in detect_sensitive("quiero morir", languages={"en"}).categories


def test_a_result_names_phrase_ids_never_the_text() -> None:
    text = "my husband hits me"
    result = detect_sensitive(text)
    logged = result.to_log()
    assert logged["phrase_ids"] == ["abuse.en.hits_me"]
    assert logged["categories"] == ["abuse"]
    assert "husband" not in repr(result)
    assert "husband" not in repr(logged)


def test_every_language_list_covers_every_category() -> None:
    lists = packaged_lists()
    assert {"en", "es", "de", "fr"} <= set(lists)
    for language, phrase_list in lists.items():
        assert {p.category for p in phrase_list.phrases} == set(SensitiveCategory), language
        assert phrase_list.negations, language


def test_combine_keeps_the_most_confident_match_per_phrase() -> None:
    weak = SensitiveMatch(ABUSE, "abuse.model.x", 0.2)
    strong = SensitiveMatch(ABUSE, "abuse.model.x", 0.8)
    other = SensitiveMatch(SELF_HARM, "self_harm.en.kill_myself", 0.9)
    combined = combine(SensitiveResult((weak,)), SensitiveResult((strong, other)))
    assert combined.matches == (other, strong)


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("self_harm\nx 0.9 kill myself", "xx.txt:1"),
        ("[self_harm]\nx 2 kill myself", "xx.txt:2"),
        ("[self_harm]\nx 0.9", "xx.txt:2"),
        ("[self_harm]\nx 0.9 .. myself", "xx.txt:2"),
        ("[self_harm]\nx 0.9 @nolist myself", "xx.txt:2"),
        ("[self_harm]\nx 0.9 can't go on", "xx.txt:2"),
        ("[negation]\nnot\n[negation]\nno", "xx.txt:3"),
        ("[self_harm]\n\n[weather]\nx 0.5 rain", "xx.txt:3"),
    ],
)
def test_a_malformed_list_is_refused_naming_the_line(text: str, field: str) -> None:
    with pytest.raises(InvalidPhraseList) as refused:
        parse_phrase_list("xx", text)
    assert refused.value.field == field


def test_detection_is_fast_enough_for_the_ingest_path() -> None:
    import time

    detector = default_detector()
    text = "hi, my order 4471 never arrived and your chat bot keeps closing my ticket, this is ridiculous 😡"
    started = time.perf_counter()
    for _ in range(200):
        detector.detect(text)
    assert (time.perf_counter() - started) / 200 < 0.005
