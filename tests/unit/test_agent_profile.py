"""Brand profiles: signatures, canned-response placeholders, channel text lengths."""

from __future__ import annotations

import pytest
from socialcare.errors import CannedResponseNotFound, InvalidRequest, PlaceholderUnavailable, UnknownPlaceholder
from socialcare.model.channels import text_length
from socialcare.model.events import Channel
from socialcare.model.profile import (
    BrandProfile,
    SignatureStyle,
    placeholders_of,
    profile_from_document,
    render,
    sign,
)

pytestmark = pytest.mark.unit

NAMES = {"display_name": "Alice Smith", "first_name": "Alice", "initials": "AS"}


@pytest.mark.parametrize(
    ("style", "signed"),
    [
        (SignatureStyle.FULL_NAME, "Thanks!\n— Alice Smith"),
        (SignatureStyle.FIRST_NAME, "Thanks!\n— Alice"),
        (SignatureStyle.INITIALS, "Thanks! ^AS"),
        (SignatureStyle.NONE, "Thanks!"),
    ],
)
def test_signatures(style: SignatureStyle, signed: str) -> None:
    assert sign("Thanks!", style=style, **NAMES) == signed


def test_placeholders_are_checked_and_filled() -> None:
    assert placeholders_of("Hi {customer_name}, I'm {agent_first_name} from {brand_name}") == (
        "customer_name",
        "agent_first_name",
        "brand_name",
    )
    assert render("Hi {customer_name} {{ref}}", {"customer_name": "Joe"}) == "Hi Joe {ref}"


@pytest.mark.parametrize(
    "template",
    ["Hi {name}", "Hi {0}", "Hi {}", "Hi {customer_name!r}", "Hi {customer_name:>9}", "Hi {customer_name", "Hi }"],
)
def test_unknown_or_malformed_placeholders_are_refused(template: str) -> None:
    with pytest.raises(UnknownPlaceholder):
        placeholders_of(template)


def test_a_missing_value_is_named() -> None:
    with pytest.raises(PlaceholderUnavailable, match="customer_handle"):
        render("Thanks {customer_handle}", {"customer_handle": None})


def test_profile_documents_are_validated_field_by_field() -> None:
    base = BrandProfile.default("page-1", "Acme")
    profile = profile_from_document(
        "page-1",
        {"signature_style": "initials", "canned_responses": [{"id": "hello", "text": "Hi {customer_name}"}]},
        base=base,
    )
    assert profile.brand_name == "Acme"
    assert profile.signature_style is SignatureStyle.INITIALS
    assert profile.canned("hello").title == "hello"
    with pytest.raises(CannedResponseNotFound):
        profile.canned("bye")
    for bad in (
        {"brand_name": ""},
        {"human_agent_tag": "yes"},
        {"canned_responses": {}},
        {"canned_responses": [{"id": "Bad Id", "text": "x"}]},
    ):
        with pytest.raises(InvalidRequest):
            profile_from_document("page-1", bad, base=base)
    with pytest.raises(UnknownPlaceholder, match=r"canned_responses\[0\]"):
        profile_from_document("page-1", {"canned_responses": [{"id": "a", "text": "{oops}"}]}, base=base)
    with pytest.raises(UnknownPlaceholder):
        profile_from_document("page-1", {"move_to_private_text": "DM us {now}"}, base=base)


def test_x_counts_characters_as_x_does() -> None:
    assert text_length(Channel.X_POST, "hello") == 5
    assert text_length(Channel.X_POST, "日本") == 4
    assert text_length(Channel.X_POST, "🙂") == 2
    assert text_length(Channel.X_POST, "see https://example.com/a/very/long/path/that/is/long") == 4 + 23
    assert text_length(Channel.MESSENGER, "日本🙂") == 3
