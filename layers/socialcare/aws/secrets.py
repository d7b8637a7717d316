"""Platform credentials from Secrets Manager, cached for a few minutes per process so a
rotated secret is picked up without a redeploy and a warm function makes no extra call."""

from __future__ import annotations

import json
from typing import Any

from socialcare.aws.wiring import lazy_client
from socialcare.clock import Clock
from socialcare.platforms.credentials import PlatformCredentials


class SecretCredentials:
    def __init__(self, secret_id: str, *, client: Any | None = None, clock: Clock, max_age_ms: int = 300_000) -> None:
        self._secret_id = secret_id
        self._client = lazy_client("secretsmanager", client)
        self._clock = clock
        self._max_age_ms = max_age_ms
        self._cached: PlatformCredentials | None = None
        self._loaded_at = 0

    def __call__(self) -> PlatformCredentials:
        now = self._clock()
        if self._cached is None or now - self._loaded_at > self._max_age_ms:
            value = self._client().get_secret_value(SecretId=self._secret_id)["SecretString"]
            self._cached = PlatformCredentials.from_dict(json.loads(value))
            self._loaded_at = now
        return self._cached
