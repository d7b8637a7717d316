"""The Lambda functions, run in process: loaded from ``functions/<name>/handler.py`` by file path.

``load_function`` loads a function once per process under a module name of its own, exactly the
file that is deployed. The local stack runs each function in ``FunctionEnvironments``: warm
execution environments, each its own loaded copy of the module (``load_function_copy``) used by one
invocation at a time, as Lambda runs one invocation per environment. Module state (Powertools'
current event, a batch processor, cached clients) therefore belongs to one environment, never to
two invocations at once. Handlers are invoked with a Lambda-shaped context object.
"""

from __future__ import annotations

import importlib.util
import itertools
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
_copies = itertools.count(1)


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


def load_function_copy(function: str, functions_dir: Path = FUNCTIONS_DIR) -> ModuleType:
    """A fresh copy of ``functions/<function>/handler.py`` under a module name of its own: the module
    of one execution environment (``unload`` forgets it)."""
    path = functions_dir / function / "handler.py"
    if not path.is_file():
        raise FunctionNotFound(f"function {function!r} has no handler at {path}")
    with _load_lock:
        return load_module_file(f"{module_name(function)}_env{next(_copies)}", path)


def unload(module: ModuleType) -> None:
    """Forget a module ``load_function_copy`` loaded."""
    with _load_lock:
        if sys.modules.get(module.__name__) is module:
            del sys.modules[module.__name__]


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


class FunctionEnvironments:
    """The warm execution environments of one function: up to ``size``, each a handler from ``load``
    (a fresh copy of the function's module, or a test's own callable), each running one invocation
    at a time. An invocation takes an idle environment, else starts a new one while fewer than
    ``size`` exist, else waits for one to be free."""

    def __init__(self, load: Callable[[], Handler], *, size: int = 1) -> None:
        if size < 1:
            raise ValueError("a function needs at least one execution environment")
        self._load = load
        self.size = size
        self._idle: list[Handler] = []
        self._started = 0
        self._free = threading.Condition()

    @classmethod
    def of(cls, handler: Handler | FunctionEnvironments, *, size: int = 1) -> FunctionEnvironments:
        """``handler`` itself, when it is already environments; else ``size`` environments of it."""
        if isinstance(handler, FunctionEnvironments):
            return handler
        return cls(lambda: handler, size=size)

    @property
    def started(self) -> int:
        with self._free:
            return self._started

    def prewarm(self) -> None:
        """Start one environment now, so a function that fails to load fails the stack's start."""
        self._release(self._acquire())

    def invoke(self, event: dict[str, Any], context: Any) -> Any:
        handler = self._acquire()
        try:
            return handler(event, context)
        finally:
            self._release(handler)

    def _acquire(self) -> Handler:
        with self._free:
            while not self._idle and self._started >= self.size:
                self._free.wait()
            if self._idle:
                return self._idle.pop()
            self._started += 1
        try:
            return self._load()  # outside the lock: a cold start must not hold up warm invocations
        except BaseException:
            with self._free:
                self._started -= 1
                self._free.notify()
            raise

    def _release(self, handler: Handler) -> None:
        with self._free:
            self._idle.append(handler)
            self._free.notify()
