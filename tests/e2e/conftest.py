"""End-to-end tests: the local stack started in process, spoken to over real HTTP."""

from __future__ import annotations

import sys
from pathlib import Path

try:
    import socialcare_local  # noqa: F401
except ImportError:  # an editable install made before infra/socialcare_local existed does not map it
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "infra"))
