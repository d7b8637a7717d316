"""Settings read out of an environment mapping, for the handlers' ``from_env`` configurations.

The handlers pass their process environment; the core never reads it itself. A missing or invalid variable is
named in the error, so a misconfigured function says what to fix on its first invocation.
"""

from __future__ import annotations

import json
from collections.abc import Mapping


def required(env: Mapping[str, str], name: str) -> str:
    value = env.get(name)
    if not value:
        raise RuntimeError(f"environment variable {name} is not set")
    return value


def required_settings(env: Mapping[str, str], **variables: str) -> dict[str, str]:
    """Each setting's value, read from the variable named for it (in order: the first one missing is named)."""
    return {setting: required(env, name) for setting, name in variables.items()}


def positive_number(env: Mapping[str, str], name: str, default: float) -> float:
    """The variable as a number above zero; ``default`` when it is unset or empty."""
    raw = env.get(name)
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise RuntimeError(f"environment variable {name} must be a number, not {raw!r}") from None
    if value <= 0:
        raise RuntimeError(f"environment variable {name} must be positive")
    return value


def json_object(env: Mapping[str, str], name: str) -> dict[str, object]:
    """The variable as a JSON object; empty when it is unset or empty."""
    raw = env.get(name)
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        raise RuntimeError(f"environment variable {name} is not JSON") from None
    if not isinstance(value, dict):
        raise RuntimeError(f"environment variable {name} must be a JSON object")
    return value
