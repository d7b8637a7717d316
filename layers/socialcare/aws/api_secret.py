"""The agent API's own secret (Secrets Manager): the key that signs pagination cursors.

The secret is a JSON document ``{"cursor_key": "<at least 16 characters>"}``; in AWS the CDK app
generates it, locally the stack stores the ``[api] cursor_secret`` of the config file.
"""

from __future__ import annotations

import json
from typing import Any

from socialcare.aws.wiring import lazy_client
from socialcare.errors import ApiSecretInvalid


def load_cursor_key(secret_id: str, *, client: Any | None = None) -> bytes:
    value = lazy_client("secretsmanager", client)().get_secret_value(SecretId=secret_id)["SecretString"]
    try:
        doc = json.loads(value)
        key = doc["cursor_key"]
    except (ValueError, KeyError, TypeError) as exc:
        raise ApiSecretInvalid(f"secret {secret_id} must be a JSON object with a cursor_key") from exc
    if not isinstance(key, str) or len(key) < 16:
        raise ApiSecretInvalid(f"secret {secret_id}: cursor_key must be a string of at least 16 characters")
    return key.encode("utf-8")
