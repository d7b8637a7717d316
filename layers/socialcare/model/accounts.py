"""The brand's own accounts: which deliveries are the brand's, and who is never a customer.

Every event names the account it was delivered for (a Page, an Instagram account, a WhatsApp
phone_number_id, an X user, a Telegram bot). Only events of a configured account become or touch
cases; the rest (another Page's entry in a shared batch, the dashboard's test pings, a delivery
meant for another app) are kept raw. The same ids are never a customer: the brand writing from one
of its accounts is the brand answering, not a customer asking.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from socialcare.model.events import Platform


class InvalidBrandAccounts(ValueError):
    """The brand-account setting is not a JSON object of platform -> list of account ids."""


@dataclass(frozen=True, slots=True)
class BrandAccounts:
    """Account ids per platform. Meta: Page ids, Instagram account ids and WhatsApp phone_number_ids;
    X: user ids; Telegram: bot ids."""

    by_platform: Mapping[Platform, frozenset[str]] = field(default_factory=dict)

    @classmethod
    def of(cls, **ids: Iterable[str]) -> BrandAccounts:
        """``BrandAccounts.of(meta=[...], x=[...], telegram=[...])``."""
        return cls.from_document(ids)

    @classmethod
    def from_document(cls, doc: Any) -> BrandAccounts:
        """From the setting's JSON document ``{"meta": ["1047..."], "x": [...], "telegram": [...]}``."""
        if not isinstance(doc, Mapping):
            raise InvalidBrandAccounts("brand accounts must be an object of platform -> list of account ids")
        found: dict[Platform, frozenset[str]] = {}
        for name, ids in doc.items():
            try:
                platform = Platform(name)
            except ValueError:
                raise InvalidBrandAccounts(f"unknown platform {name!r} in brand accounts") from None
            if isinstance(ids, str | bytes) or not isinstance(ids, Iterable):
                raise InvalidBrandAccounts(f"brand accounts of {name} must be a list of ids")
            values = [str(i).strip() for i in ids]
            if not all(values) or not all(isinstance(i, str | int) for i in ids):
                raise InvalidBrandAccounts(f"brand accounts of {name} must be non-empty string ids")
            found[platform] = frozenset(values)
        return cls(found)

    def to_document(self) -> dict[str, list[str]]:
        return {p.value: sorted(ids) for p, ids in sorted(self.by_platform.items())}

    def owns(self, platform: str, account_id: str) -> bool:
        """Whether ``account_id`` is one of the brand's accounts on ``platform``."""
        return account_id in self.by_platform.get(Platform(platform), frozenset())

    def is_brand(self, platform: str, user_ids: Iterable[str]) -> bool:
        """Whether any of a party's ids is one of the brand's own accounts on ``platform``."""
        own = self.by_platform.get(Platform(platform), frozenset())
        return any(i in own for i in user_ids)

    @property
    def is_empty(self) -> bool:
        return not any(self.by_platform.values())


def brand_accounts_setting(**ids: Iterable[str | None]) -> str:
    """The ingest setting's value (``BRAND_ACCOUNTS``) from ids per platform; absent (None) ids are
    left out: ``brand_accounts_setting(meta=[page_id, None], x=[user_id], telegram=[])``."""
    return json.dumps({name: sorted({i for i in values if i}) for name, values in sorted(ids.items())})
