"""Departments a case can be handed to (billing, engineering, logistics, legal: the brand names its
own), each with the contacts who are told and the manager a late answer escalates to.

Configuration (what an admin PUTs through the agent API and the local config file holds)::

    {
      "id": "billing",                          # required: [a-z0-9][a-z0-9_-]{0,63}
      "name": "Billing",                        # required: 1-120 characters
      "contacts": [                             # 1 to 20; each a name and at least one way to reach them
        {"name": "Billing desk",
         "email": "billing@example.com",        # an e-mail address
         "phone": "+493012345678",              # E.164: + and 7 to 15 digits
         "chat_webhook_url": "https://chat.example.com/hooks/billing"}   # https only
      ],
      "manager": {"name": "Mia Manager", "email": "mia@example.com"}      # required: one contact
    }
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from socialcare.errors import InvalidDepartment

MAX_CONTACTS = 20
MAX_NAME = 120
MAX_URL = 2048

_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+[1-9][0-9]{6,14}$")
_URL = re.compile(r"^https://[^\s/$.?#][^\s]*$")
_DEPARTMENT_KEYS = ("id", "name", "contacts", "manager")
_CONTACT_KEYS = ("name", "email", "phone", "chat_webhook_url")


@dataclass(frozen=True, slots=True)
class Contact:
    name: str
    email: str | None = None
    phone: str | None = None
    chat_webhook_url: str | None = None

    def to_config(self) -> dict[str, str]:
        fields = {
            "name": self.name,
            "email": self.email,
            "phone": self.phone,
            "chat_webhook_url": self.chat_webhook_url,
        }
        return {key: value for key, value in fields.items() if value is not None}


@dataclass(frozen=True, slots=True)
class Department:
    department_id: str
    name: str
    contacts: tuple[Contact, ...]
    manager: Contact

    @classmethod
    def from_config(cls, config: Mapping[str, object]) -> Department:
        """The department, or ``InvalidDepartment`` naming the field and why."""
        if not isinstance(config, Mapping):
            raise InvalidDepartment("department", "must be an object")
        _only(config, _DEPARTMENT_KEYS, "")
        department_id = config.get("id")
        if not isinstance(department_id, str) or not _ID.match(department_id):
            raise InvalidDepartment("id", f"must match {_ID.pattern}")
        contacts = config.get("contacts")
        if not isinstance(contacts, list) or not 1 <= len(contacts) <= MAX_CONTACTS:
            raise InvalidDepartment("contacts", f"must be a list of 1 to {MAX_CONTACTS} contacts")
        return cls(
            department_id=department_id,
            name=_name(config.get("name"), "name"),
            contacts=tuple(_contact(raw, f"contacts[{i}]") for i, raw in enumerate(contacts)),
            manager=_contact(config.get("manager"), "manager"),
        )

    def to_config(self) -> dict[str, object]:
        return {
            "id": self.department_id,
            "name": self.name,
            "contacts": [contact.to_config() for contact in self.contacts],
            "manager": self.manager.to_config(),
        }


def _only(raw: Mapping[str, object], allowed: tuple[str, ...], where: str) -> None:
    unknown = sorted(str(key) for key in set(raw) - set(allowed))
    if unknown:
        raise InvalidDepartment(f"{where}{unknown[0]}", f"unknown field; allowed: {', '.join(allowed)}")


def _name(raw: object, where: str) -> str:
    if not isinstance(raw, str) or not raw.strip() or len(raw) > MAX_NAME:
        raise InvalidDepartment(where, f"must be a non-empty string of at most {MAX_NAME} characters")
    return raw


def _contact(raw: object, where: str) -> Contact:
    if not isinstance(raw, Mapping):
        raise InvalidDepartment(where, "must be an object with a name and an email, phone or chat_webhook_url")
    _only(raw, _CONTACT_KEYS, f"{where}.")
    contact = Contact(
        name=_name(raw.get("name"), f"{where}.name"),
        email=_matching(raw.get("email"), _EMAIL, f"{where}.email", "an e-mail address"),
        phone=_matching(raw.get("phone"), _PHONE, f"{where}.phone", "a phone number in E.164 form, e.g. +493012345678"),
        chat_webhook_url=_matching(raw.get("chat_webhook_url"), _URL, f"{where}.chat_webhook_url", "an https:// URL"),
    )
    if contact.email is None and contact.phone is None and contact.chat_webhook_url is None:
        raise InvalidDepartment(where, "give at least one of email, phone, chat_webhook_url")
    return contact


def _matching(raw: object, pattern: re.Pattern[str], where: str, what: str) -> str | None:
    if raw is None:
        return None
    if not isinstance(raw, str) or len(raw) > MAX_URL or not pattern.match(raw):
        raise InvalidDepartment(where, f"must be {what}")
    return raw
