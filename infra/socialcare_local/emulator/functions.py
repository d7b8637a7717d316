"""The Lambda functions, run in process: loaded from ``functions/<name>/handler.py`` by file path.

Each function is loaded once per process under a module name of its own, exactly the file that is
deployed, and invoked with a Lambda-shaped context object.
"""

from __future__ import annotations

import importlib.util
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from socialcare_infra.paths import FUNCTIONS_DIR

from socialcare_local.emulator.aws import MOTO_ACCOUNT_ID

Handler = Callable[[dict[str, Any], Any], Any]

_load_lock = threading.Lock()


class FunctionNotFound(RuntimeError):
    pass


def module_name(function: str) -> str:
    return f"socialcare_fn_{function}"


def load_function(function: str, functions_dir: Path = FUNCTIONS_DIR) -> ModuleType:
    """Import ``functions/<function>/handler.py`` (once per process) and return the module."""
    name = module_name(function)
    with _load_lock:
        loaded = sys.modules.get(name)
        if loaded is not None:
            return loaded
        path = functions_dir / function / "handler.py"
        if not path.is_file():
            raise FunctionNotFound(f"function {function!r} has no handler at {path}")
        return load_module_file(name, path)


def load_module_file(name: str, path: Path) -> ModuleType:
    """Import the file at ``path`` as module ``name``; a file that fails to import is not kept."""
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:  # pragma: no cover - only for odd paths
        raise FunctionNotFound(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module


def reset_function(module: ModuleType) -> None:
    """Drop a function's cached clients and configuration (``wire()``), if it has them."""
    wire = getattr(module, "wire", None)
    if callable(wire):
        wire()


@dataclass
class LambdaContext:
    """The attributes and method of the Lambda context object that handlers and Powertools use."""

    function_name: str
    memory_limit_in_mb: int = 256
    timeout_s: float = 30.0
    function_version: str = "$LATEST"
    region: str = "us-east-1"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    _deadline: float = field(default=0.0, repr=False)

    def __post_init__(self) -> None:
        self._deadline = time.monotonic() + self.timeout_s

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:{self.region}:{MOTO_ACCOUNT_ID}:function:{self.function_name}"

    @property
    def log_group_name(self) -> str:
        return f"/aws/lambda/{self.function_name}"

    @property
    def log_stream_name(self) -> str:
        return f"{time.strftime('%Y/%m/%d')}/[{self.function_version}]local"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))
