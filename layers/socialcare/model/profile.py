"""A brand account's profile: how its replies are signed, its canned responses, its Meta permissions,
and its automated messages (the acknowledgement and the nudge, ``model/automation.py``).

Stored as ``ACCOUNT#<account id>`` / ``PROFILE`` (see ``aws/schema.py``); an account without one
uses ``BrandProfile.default``. Canned responses and the "move to private" invitation are templates
whose placeholders are checked when the profile is saved, so an unknown placeholder never reaches a
customer: ``{customer_name}``, ``{customer_handle}``, ``{agent_name}``, ``{agent_first_name}``,
``{brand_name}``, ``{case_id}``. ``{{`` and ``}}`` are literal braces.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from socialcare.errors import CannedResponseNotFound, InvalidRequest, PlaceholderUnavailable, UnknownPlaceholder
from socialcare.model.automation import (
    ACKNOWLEDGEMENT_PLACEHOLDERS,
    MAX_AUTOMATED_TEXT,
    NUDGE_PLACEHOLDERS,
    AcknowledgementSettings,
    NudgeSettings,
)
from socialcare.model.case import Case
from socialcare.model.channels import MAX_TEXT
from socialcare.model.outbound import MAX_TEMPLATE_COMPONENTS, TEMPLATE_LANGUAGE_PATTERN, TEMPLATE_NAME_PATTERN

PLACEHOLDERS: tuple[str, ...] = (
    "customer_name",
    "customer_handle",
    "agent_name",
    "agent_first_name",
    "brand_name",
    "case_id",
)
CANNED_ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
MAX_CANNED_RESPONSES = 200
MAX_TITLE = 120
MAX_BRAND_NAME = 120

DEFAULT_MOVE_TO_PRIVATE_TEXT = (
    "We're sorry about this and would like to help. Please send us a direct message with your details "
    "so we can look into it."
)


class SignatureStyle(StrEnum):
    FULL_NAME = "full_name"  # "…\n— Alice Smith"
    FIRST_NAME = "first_name"  # "…\n— Alice"
    INITIALS = "initials"  # "… ^AS"
    NONE = "none"


@dataclass(frozen=True, slots=True)
class CannedResponse:
    response_id: str
    title: str
    text: str


@dataclass(frozen=True, slots=True)
class BrandProfile:
    account_id: str
    brand_name: str
    signature_style: SignatureStyle = SignatureStyle.FIRST_NAME
    human_agent_tag: bool = False  # Meta granted the app the HUMAN_AGENT tag (replies up to 7 days)
    move_to_private_text: str = DEFAULT_MOVE_TO_PRIVATE_TEXT
    canned_responses: tuple[CannedResponse, ...] = ()
    acknowledgement: AcknowledgementSettings = field(default_factory=AcknowledgementSettings)
    nudge: NudgeSettings = field(default_factory=NudgeSettings)
    updated_at_ms: int | None = None
    updated_by: str | None = None

    @classmethod
    def default(cls, account_id: str, brand_name: str) -> BrandProfile:
        return cls(account_id=account_id, brand_name=brand_name)

    def canned(self, response_id: str) -> CannedResponse:
        for response in self.canned_responses:
            if response.response_id == response_id:
                return response
        raise CannedResponseNotFound(f"account {self.account_id} has no canned response {response_id!r}")


def sign(text: str, *, style: SignatureStyle, display_name: str, first_name: str, initials: str) -> str:
    """The reply as the customer sees it, signed the way the brand signs."""
    if style is SignatureStyle.FULL_NAME:
        return f"{text}\n— {display_name}"
    if style is SignatureStyle.FIRST_NAME:
        return f"{text}\n— {first_name}"
    if style is SignatureStyle.INITIALS:
        return f"{text} ^{initials}"
    return text


def placeholders_of(template: str, known: tuple[str, ...] = PLACEHOLDERS) -> tuple[str, ...]:
    """The placeholders ``template`` uses; UnknownPlaceholder for anything not ``known`` (or bad braces)."""
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise UnknownPlaceholder(f"the template has unbalanced braces ({exc}); write {{{{ or }}}} for a brace") from exc
    used: list[str] = []
    for _, name, spec, conversion in parsed:
        if name is None:
            continue
        if name not in known or spec or conversion:
            shown = "{" + name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "") + "}"
            raise UnknownPlaceholder(f"unknown placeholder {shown}; known: {', '.join(known)}")
        used.append(name)
    return tuple(dict.fromkeys(used))


def case_values(case: Case, brand_name: str) -> dict[str, str | None]:
    """The values the placeholders about the case and the brand take (a name, else the handle)."""
    handle = f"@{case.customer.handle.lstrip('@')}" if case.customer.handle else None
    return {
        "customer_name": case.customer.name or handle,
        "customer_handle": handle,
        "brand_name": brand_name,
        "case_id": case.case_id,
    }


def render(template: str, values: Mapping[str, str | None], known: tuple[str, ...] = PLACEHOLDERS) -> str:
    """Fill the placeholders; PlaceholderUnavailable names a value this case does not have."""
    needed = placeholders_of(template, known)
    missing = [name for name in needed if not values.get(name)]
    if missing:
        raise PlaceholderUnavailable(
            f"this case has no {', '.join(missing)} for the template; write the reply yourself or pick another"
        )
    return template.format_map({name: values[name] for name in needed})


# --- the profile as a JSON document (the admin route, the local config file, the table) -----------
_PROFILE_FIELDS = frozenset(
    {
        "brand_name",
        "signature_style",
        "human_agent_tag",
        "move_to_private_text",
        "canned_responses",
        "acknowledgement",
        "nudge",
    }
)
_ACKNOWLEDGEMENT_FIELDS = frozenset({"enabled", "text", "queue_position"})
_NUDGE_FIELDS = frozenset({"text", "whatsapp_template"})
_TEMPLATE_FIELDS = frozenset({"name", "language", "components"})
_CANNED_FIELDS = frozenset({"id", "title", "text"})


def profile_from_document(account_id: str, doc: Any, *, base: BrandProfile) -> BrandProfile:
    """Validate a profile document (every field optional; absent fields keep ``base``'s value)."""
    if not isinstance(doc, Mapping):
        raise InvalidRequest("the profile must be a JSON object")
    unknown = set(doc) - _PROFILE_FIELDS
    if unknown:
        raise InvalidRequest(f"unknown profile field(s) {sorted(unknown)}; known: {sorted(_PROFILE_FIELDS)}")
    brand_name = doc.get("brand_name", base.brand_name)
    if not isinstance(brand_name, str) or not brand_name.strip() or len(brand_name) > MAX_BRAND_NAME:
        raise InvalidRequest(f"brand_name must be a non-empty string of at most {MAX_BRAND_NAME} characters")
    style = doc.get("signature_style", base.signature_style.value)
    if style not in {s.value for s in SignatureStyle}:
        raise InvalidRequest(f"signature_style must be one of {', '.join(s.value for s in SignatureStyle)}")
    human_agent = doc.get("human_agent_tag", base.human_agent_tag)
    if not isinstance(human_agent, bool):
        raise InvalidRequest("human_agent_tag must be true or false")
    invitation = doc.get("move_to_private_text", base.move_to_private_text)
    if not isinstance(invitation, str) or not invitation.strip() or len(invitation) > MAX_TEXT:
        raise InvalidRequest(f"move_to_private_text must be a non-empty string of at most {MAX_TEXT} characters")
    placeholders_of(invitation)
    canned = base.canned_responses
    if "canned_responses" in doc:
        canned = _canned_from_document(doc["canned_responses"])
    acknowledgement = base.acknowledgement
    if "acknowledgement" in doc:
        acknowledgement = _acknowledgement_from_document(doc["acknowledgement"], acknowledgement)
    nudge = _nudge_from_document(doc["nudge"], base.nudge) if "nudge" in doc else base.nudge
    return BrandProfile(
        account_id=account_id,
        brand_name=brand_name.strip(),
        signature_style=SignatureStyle(style),
        human_agent_tag=human_agent,
        move_to_private_text=invitation,
        canned_responses=canned,
        acknowledgement=acknowledgement,
        nudge=nudge,
        updated_at_ms=base.updated_at_ms,
        updated_by=base.updated_by,
    )


def _canned_from_document(value: Any) -> tuple[CannedResponse, ...]:
    if not isinstance(value, list):
        raise InvalidRequest("canned_responses must be a list of {id, title, text} objects")
    if len(value) > MAX_CANNED_RESPONSES:
        raise InvalidRequest(f"at most {MAX_CANNED_RESPONSES} canned responses per account")
    seen: set[str] = set()
    responses = []
    for index, item in enumerate(value):
        where = f"canned_responses[{index}]"
        if not isinstance(item, Mapping):
            raise InvalidRequest(f"{where} must be an object with id, title and text")
        unknown = set(item) - _CANNED_FIELDS
        if unknown:
            raise InvalidRequest(f"{where}: unknown field(s) {sorted(unknown)}")
        response_id = item.get("id")
        if not isinstance(response_id, str) or not CANNED_ID_PATTERN.match(response_id):
            raise InvalidRequest(f"{where}.id must match {CANNED_ID_PATTERN.pattern}")
        if response_id in seen:
            raise InvalidRequest(f"{where}.id {response_id!r} is used twice")
        seen.add(response_id)
        title = item.get("title", response_id)
        if not isinstance(title, str) or not title.strip() or len(title) > MAX_TITLE:
            raise InvalidRequest(f"{where}.title must be a non-empty string of at most {MAX_TITLE} characters")
        text = item.get("text")
        if not isinstance(text, str) or not text.strip() or len(text) > MAX_TEXT:
            raise InvalidRequest(f"{where}.text must be a non-empty string of at most {MAX_TEXT} characters")
        try:
            placeholders_of(text)
        except UnknownPlaceholder as exc:
            raise UnknownPlaceholder(f"{where} ({response_id}): {exc.message}") from exc
        responses.append(CannedResponse(response_id=response_id, title=title.strip(), text=text))
    return tuple(responses)


def _object(value: Any, where: str, allowed: frozenset[str]) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise InvalidRequest(f"{where} must be an object with {', '.join(sorted(allowed))}")
    unknown = set(value) - allowed
    if unknown:
        raise InvalidRequest(f"{where}: unknown field(s) {sorted(unknown)}; known: {sorted(allowed)}")
    return value


def _flag(doc: Mapping[str, Any], name: str, where: str, default: bool) -> bool:
    value = doc.get(name, default)
    if not isinstance(value, bool):
        raise InvalidRequest(f"{where}.{name} must be true or false")
    return value


def _automated_text(doc: Mapping[str, Any], where: str, default: str, known: tuple[str, ...]) -> str:
    text = doc.get("text", default)
    if not isinstance(text, str) or not text.strip() or len(text) > MAX_AUTOMATED_TEXT:
        raise InvalidRequest(f"{where}.text must be a non-empty string of at most {MAX_AUTOMATED_TEXT} characters")
    try:
        placeholders_of(text, known)
    except UnknownPlaceholder as exc:
        raise UnknownPlaceholder(f"{where}.text: {exc.message}") from exc
    return text


def _acknowledgement_from_document(value: Any, base: AcknowledgementSettings) -> AcknowledgementSettings:
    doc = _object(value, "acknowledgement", _ACKNOWLEDGEMENT_FIELDS)
    queue_position = _flag(doc, "queue_position", "acknowledgement", base.queue_position)
    text = _automated_text(doc, "acknowledgement", base.text, ACKNOWLEDGEMENT_PLACEHOLDERS)
    if "queue_position" in placeholders_of(text, ACKNOWLEDGEMENT_PLACEHOLDERS) and not queue_position:
        raise UnknownPlaceholder(
            "acknowledgement.text uses {queue_position}; set acknowledgement.queue_position to true to show it"
        )
    return AcknowledgementSettings(
        enabled=_flag(doc, "enabled", "acknowledgement", base.enabled), text=text, queue_position=queue_position
    )


def _nudge_from_document(value: Any, base: NudgeSettings) -> NudgeSettings:
    doc = _object(value, "nudge", _NUDGE_FIELDS)
    template = base.whatsapp_template
    if "whatsapp_template" in doc:
        template = _whatsapp_template(doc["whatsapp_template"])
    return NudgeSettings(text=_automated_text(doc, "nudge", base.text, NUDGE_PLACEHOLDERS), whatsapp_template=template)


def _whatsapp_template(value: Any) -> dict[str, Any] | None:
    """An approved template as WhatsApp's Cloud API takes it; null removes it."""
    if value is None:
        return None
    doc = _object(value, "nudge.whatsapp_template", _TEMPLATE_FIELDS)
    name, language = doc.get("name"), doc.get("language")
    if not isinstance(name, str) or not TEMPLATE_NAME_PATTERN.match(name):
        raise InvalidRequest(f"nudge.whatsapp_template.name must match {TEMPLATE_NAME_PATTERN.pattern}")
    if not isinstance(language, str) or not TEMPLATE_LANGUAGE_PATTERN.match(language):
        raise InvalidRequest(f"nudge.whatsapp_template.language must match {TEMPLATE_LANGUAGE_PATTERN.pattern}")
    components = doc.get("components", [])
    if (
        not isinstance(components, list)
        or len(components) > MAX_TEMPLATE_COMPONENTS
        or not all(isinstance(c, Mapping) for c in components)
    ):
        raise InvalidRequest(
            f"nudge.whatsapp_template.components must be a list of at most {MAX_TEMPLATE_COMPONENTS} objects"
        )
    return {"name": name, "language": language, "components": [dict(c) for c in components]}


def automation_document(profile: BrandProfile) -> dict[str, Any]:
    """The profile's automated-message settings as the JSON document ``profile_from_document`` reads."""
    ack, nudge = profile.acknowledgement, profile.nudge
    return {
        "acknowledgement": {"enabled": ack.enabled, "text": ack.text, "queue_position": ack.queue_position},
        "nudge": {
            "text": nudge.text,
            "whatsapp_template": dict(nudge.whatsapp_template) if nudge.whatsapp_template is not None else None,
        },
    }


def profile_document(profile: BrandProfile) -> dict[str, Any]:
    """The profile as the JSON document ``profile_from_document`` reads (and its account id)."""
    return {
        "account_id": profile.account_id,
        "brand_name": profile.brand_name,
        "signature_style": profile.signature_style.value,
        "human_agent_tag": profile.human_agent_tag,
        "move_to_private_text": profile.move_to_private_text,
        "canned_responses": [{"id": r.response_id, "title": r.title, "text": r.text} for r in profile.canned_responses],
        **automation_document(profile),
    }
