"""Cold import time of each function module, measured with ``python -X importtime``.

Each module is imported in a fresh interpreter, as a Lambda cold start would; the figure
is the cumulative import time of the handler module itself (interpreter start excluded).
"""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def function_names() -> list[str]:
    return sorted(p.parent.name for p in (ROOT / "functions").glob("*/handler.py"))


def import_ms(function: str) -> float:
    # The function's folder first, as Lambda's; then whatever path the caller runs with (a worktree's layers).
    path = os.pathsep.join(p for p in (str(ROOT / "functions" / function), os.environ.get("PYTHONPATH", "")) if p)
    env = {**os.environ, "PYTHONPATH": path, "POWERTOOLS_TRACE_DISABLED": "1"}
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import handler"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    for line in proc.stderr.splitlines():
        match = re.match(r"import time:\s+\d+ \|\s+(\d+) \|\s*handler$", line)
        if match:
            return int(match.group(1)) / 1000
    raise RuntimeError(f"no import time line for {function}")


def run(repeats: int = 5) -> dict[str, float]:
    return {fn: statistics.median(import_ms(fn) for _ in range(repeats)) for fn in function_names()}
