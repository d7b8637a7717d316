"""Crisis mode's decisions: a declaration checked, the stored document read back, and which cases a
crisis covers while it is active.

A declaration (what an admin POSTs)::

    {
      "name": "Storm in the north",                 # required, 1 to 120 characters
      "scope": {                                    # optional; a dimension left out covers every case
        "accounts": ["104560123456789"],            #   brand account ids
        "languages": ["de", "nl"],                  #   ISO 639-1: the case's language (its first message's)
        "keywords": ["flood*", "storm"]             #   phrase patterns (``rules.phrases``)
      },
      "starts_at": "2026-03-01T06:00:00Z",          # optional (now); ISO 8601 with a zone
      "ends_at": "2026-03-03T18:00:00Z"             # optional (null: until a person ends it); after now
    }

**Scope.** A case is in scope when every dimension the crisis names holds for it, and a dimension
holds when any of its values does: its brand account is listed; its language is listed; a keyword
pattern matches one of its routing tags or routing reasons (``case.routing``: the tags a routing
rule gave it, and why it was routed — ``keyword 'flood*'``, ``brand account …``). Keywords are
matched there, on what triage recorded for the case, rather than in message text: the crisis badge
an agent sees on a case (every case list and ``/cases/{id}``) and the hold of its automated messages
then come from the same facts, read without the thread. To hold the messages of a new topic, a
routing rule tags it (``keywords`` conditions) and the crisis names the tag.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Protocol, TypeVar

from socialcare.clock import parse_instant
from socialcare.errors import InvalidCrisis, InvalidRoutingRules
from socialcare.model.case import CaseRouting
from socialcare.model.crisis import Crisis, CrisisScope
from socialcare.rules import routing_values
from socialcare.rules.phrases import compile_pattern
from socialcare.rules.text import words

MAX_NAME = 120
MAX_SCOPE_VALUES = 100
_ACCOUNT = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
_DECLARATION_KEYS = frozenset({"name", "scope", "starts_at", "ends_at"})
_SCOPE_KEYS = frozenset({"accounts", "languages", "keywords"})
_T = TypeVar("_T")


def declare(document: Mapping[str, Any], *, crisis_id: str, by: str, now_ms: int) -> Crisis:
    """The crisis a declaration describes, or ``InvalidCrisis`` naming the field at fault."""
    if not isinstance(document, Mapping):
        raise InvalidCrisis("crisis", "must be an object with name, scope, starts_at and ends_at")
    unknown = set(document) - _DECLARATION_KEYS
    if unknown:
        raise InvalidCrisis(sorted(unknown)[0], f"unknown field; allowed: {', '.join(sorted(_DECLARATION_KEYS))}")
    name = document.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME:
        raise InvalidCrisis("name", f"must be a non-empty string of at most {MAX_NAME} characters")
    starts = _instant(document.get("starts_at"), "starts_at") if document.get("starts_at") is not None else now_ms
    ends = _instant(document.get("ends_at"), "ends_at") if document.get("ends_at") is not None else None
    if ends is not None and ends <= max(starts, now_ms):
        raise InvalidCrisis("ends_at", "must be after starts_at and after now")
    return Crisis(
        crisis_id=crisis_id,
        name=name.strip(),
        scope=_scope(document.get("scope", {})),
        starts_at_ms=starts,
        ends_at_ms=ends,
        declared_by=by,
        declared_at_ms=now_ms,
    )


def _instant(raw: object, where: str) -> int:
    at_ms = parse_instant(raw) if isinstance(raw, str) and not raw.isdigit() else None
    if at_ms is None:
        raise InvalidCrisis(where, "must be an ISO 8601 date and time with a zone, e.g. 2026-03-01T06:00:00Z")
    return at_ms


def _scope(raw: object) -> CrisisScope:
    if not isinstance(raw, Mapping):
        raise InvalidCrisis("scope", "must be an object with accounts, languages and/or keywords")
    unknown = set(raw) - _SCOPE_KEYS
    if unknown:
        raise InvalidCrisis(f"scope.{sorted(unknown)[0]}", f"unknown field; allowed: {', '.join(sorted(_SCOPE_KEYS))}")
    accounts = _values(raw, "accounts", _account)
    languages = _values(raw, "languages", _checked(routing_values.language))
    keywords = _values(raw, "keywords", _checked(routing_values.keyword))
    return CrisisScope(frozenset(accounts), frozenset(languages), tuple(p.source for p in keywords))


def _values(raw: Mapping[str, object], key: str, item: Callable[[object, str], _T]) -> list[_T]:
    values = raw.get(key, [])
    if not isinstance(values, list) or len(values) > MAX_SCOPE_VALUES:
        raise InvalidCrisis(f"scope.{key}", f"must be a list of at most {MAX_SCOPE_VALUES} values")
    return [item(value, f"scope.{key}[{index}]") for index, value in enumerate(values)]


def _account(value: object, where: str) -> str:
    if not isinstance(value, str) or not _ACCOUNT.match(value):
        raise InvalidCrisis(where, f"must be a brand account id matching {_ACCOUNT.pattern}")
    return value


def _checked(reader: Callable[[object, str], _T]) -> Callable[[object, str], _T]:
    """A routing-rules value reader whose refusal names the crisis's field instead."""

    def read(value: object, where: str) -> _T:
        try:
            return reader(value, where)
        except InvalidRoutingRules as exc:
            raise InvalidCrisis(exc.field, exc.reason) from None

    return read


# --- the stored document ------------------------------------------------------------------------
def crisis_config(crisis: Crisis) -> dict[str, object]:
    """The crisis as its configuration document stores it (times in epoch milliseconds)."""
    return {
        "crisis_id": crisis.crisis_id,
        "name": crisis.name,
        "scope": {
            "accounts": sorted(crisis.scope.accounts),
            "languages": sorted(crisis.scope.languages),
            "keywords": list(crisis.scope.keywords),
        },
        "starts_at_ms": crisis.starts_at_ms,
        "ends_at_ms": crisis.ends_at_ms,
        "declared_by": crisis.declared_by,
        "declared_at_ms": crisis.declared_at_ms,
        "ended_at_ms": crisis.ended_at_ms,
        "ended_by": crisis.ended_by,
    }


def crisis_from_config(document: Mapping[str, Any], *, version: int) -> Crisis:
    """A stored crisis (written by ``crisis_config``, so trusted)."""
    scope = document["scope"]
    return Crisis(
        crisis_id=str(document["crisis_id"]),
        name=str(document["name"]),
        scope=CrisisScope(
            frozenset(scope.get("accounts", [])),
            frozenset(scope.get("languages", [])),
            tuple(scope.get("keywords", [])),
        ),
        starts_at_ms=int(document["starts_at_ms"]),
        ends_at_ms=_optional_int(document.get("ends_at_ms")),
        declared_by=str(document["declared_by"]),
        declared_at_ms=int(document["declared_at_ms"]),
        ended_at_ms=_optional_int(document.get("ended_at_ms")),
        ended_by=document.get("ended_by"),
        version=version,
    )


def _optional_int(value: object) -> int | None:
    return None if value is None else int(str(value))


# --- scope ------------------------------------------------------------------------------------------
class InScope(Protocol):
    """What a crisis's scope is matched against: a case, or its summary in a list."""

    @property
    def account_id(self) -> str: ...

    @property
    def language(self) -> str | None: ...

    @property
    def routing(self) -> CaseRouting | None: ...


def in_scope(crisis: Crisis, case: InScope) -> bool:
    scope = crisis.scope
    if scope.accounts and case.account_id not in scope.accounts:
        return False
    if scope.languages and case.language not in scope.languages:
        return False
    return not scope.keywords or _keywords_match(scope.keywords, case)


def _keywords_match(keywords: Sequence[str], case: InScope) -> bool:
    routing = case.routing
    if routing is None:
        return False
    texts = [*routing.tags, *routing.reasons]
    patterns = [compile_pattern(source) for source in keywords]
    return any(next(pattern.find(words(text)), None) is not None for text in texts for pattern in patterns)


def crises_for(case: InScope, crises: Iterable[Crisis], now_ms: int) -> tuple[Crisis, ...]:
    """The crises active at ``now_ms`` whose scope covers ``case``, earliest declared first."""
    found = [crisis for crisis in crises if crisis.active_at(now_ms) and in_scope(crisis, case)]
    return tuple(sorted(found, key=lambda crisis: (crisis.declared_at_ms, crisis.crisis_id)))
