"""The agent API (the Chalice app in ``chalice_config/``), loaded in process as the deployed file.

``chalice_config/app.py`` is imported under a module name of its own, with ``chalice_config`` on
``sys.path`` so its ``chalicelib`` package resolves as it does in the Lambda bundle. The app object
is the Lambda handler (``app.app``), invoked by the local API gateway with REST API events.
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path
from types import ModuleType
from typing import Any

from socialcare_infra.paths import CHALICE_DIR

from socialcare_local.emulator.functions import FunctionNotFound, load_module_file

MODULE_NAME = "socialcare_agent_api_app"

_lock = threading.Lock()


def load_app_module(chalice_dir: Path = CHALICE_DIR) -> ModuleType:
    """Import ``chalice_config/app.py`` once per process and return the module."""
    with _lock:
        loaded = sys.modules.get(MODULE_NAME)
        if loaded is not None:
            return loaded
        path = chalice_dir / "app.py"
        if not path.is_file():
            raise FunctionNotFound(f"the agent API has no app at {path}")
        if str(chalice_dir) not in sys.path:
            sys.path.insert(0, str(chalice_dir))
        return load_module_file(MODULE_NAME, path)


def reset_app() -> None:
    """Forget the app's cached service and clients (the next request builds them from the environment)."""
    if MODULE_NAME in sys.modules:
        from chalicelib import wiring

        wiring.wire()


def route_table(app: Any) -> dict[str, dict[str, bool]]:
    """``{resource path: {method: needs the authorizer}}`` of a Chalice app, as API Gateway is configured."""
    return {
        path: {method: entry.authorizer is not None for method, entry in methods.items()}
        for path, methods in app.routes.items()
    }
