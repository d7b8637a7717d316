"""Platform credentials, as loaded from Secrets Manager (AWS) or the local config file.

The JSON document (one secret) has this shape; every section is optional::

    {
      "meta": {"app_secrets": ["..."], "verify_token": "...",
               "page_tokens": {"<page, IG or phone_number id>": "<access token>"}},
      "x": {"consumer_secrets": ["..."], "user_tokens": {"<X user id>": "<OAuth2 user token>"}},
      "telegram": {"bots": [{"bot_id": "...", "secret_token": "...", "bot_token": "..."}]}
    }
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from socialcare.errors import CredentialsInvalid


@dataclass(frozen=True, slots=True)
class MetaCredentials:
    app_secrets: tuple[str, ...]
    verify_token: str
    page_tokens: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class XCredentials:
    consumer_secrets: tuple[str, ...]
    user_tokens: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class TelegramBot:
    bot_id: str
    secret_token: str
    bot_token: str


@dataclass(frozen=True, slots=True)
class PlatformCredentials:
    meta: MetaCredentials | None = None
    x: XCredentials | None = None
    telegram_bots: tuple[TelegramBot, ...] = ()

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any]) -> PlatformCredentials:
        try:
            meta_doc = doc.get("meta")
            x_doc = doc.get("x")
            tg_doc = doc.get("telegram") or {}
            meta = (
                MetaCredentials(
                    app_secrets=_strings(meta_doc["app_secrets"], "meta.app_secrets"),
                    verify_token=_string(meta_doc["verify_token"], "meta.verify_token"),
                    page_tokens=dict(meta_doc.get("page_tokens") or {}),
                )
                if meta_doc
                else None
            )
            x = (
                XCredentials(
                    consumer_secrets=_strings(x_doc["consumer_secrets"], "x.consumer_secrets"),
                    user_tokens=dict(x_doc.get("user_tokens") or {}),
                )
                if x_doc
                else None
            )
            bots = tuple(
                TelegramBot(
                    bot_id=_string(str(b["bot_id"]), "telegram.bots[].bot_id"),
                    secret_token=_string(b["secret_token"], "telegram.bots[].secret_token"),
                    bot_token=_string(b["bot_token"], "telegram.bots[].bot_token"),
                )
                for b in tg_doc.get("bots", ())
            )
        except (KeyError, TypeError, AttributeError) as exc:
            raise CredentialsInvalid(f"platform credentials are incomplete: missing or wrong {exc}") from exc
        return cls(meta=meta, x=x, telegram_bots=bots)


def _string(value: Any, name: str) -> str:
    if not isinstance(value, str) or not value:
        raise CredentialsInvalid(f"{name} must be a non-empty string")
    return value


def _strings(value: Any, name: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value:
        raise CredentialsInvalid(f"{name} must be a non-empty list of strings")
    return tuple(_string(v, name) for v in value)
