"""Infrastructure tests: the CDK app synthesised offline, once per test session and stage.

Synthesis takes seconds (the jsii runtime, Chalice packaging, the security rule pack), so every
module shares the session's templates; the tests are one xdist group, so one worker builds them.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

try:
    import socialcare_infra  # noqa: F401
except ImportError:  # an editable install made before infra/socialcare_infra existed does not map it
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "infra"))

os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
os.environ.setdefault("JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION", "1")

STAGES = ("dev", "prod")


@dataclass(frozen=True)
class Synthesised:
    stage: str
    template: dict[str, Any]
    template_path: Path
    outdir: Path
    stack: Any  # the SocialCareStack, for what only the construct tree knows

    def resources(self, kind: str) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in self.template["Resources"].items() if v["Type"] == kind}

    def properties(self, kind: str) -> dict[str, dict[str, Any]]:
        return {k: v.get("Properties", {}) for k, v in self.resources(kind).items()}


@pytest.fixture(scope="session")
def layer_dir() -> Path:
    from socialcare_infra.layer import build_layer

    return build_layer()


@pytest.fixture(scope="session")
def synthesised(layer_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Synthesised]]:
    from socialcare_infra.stack import Sources
    from socialcare_infra.synth import synthesise

    saved = {k: os.environ.pop(k, None) for k in ("CDK_DEFAULT_ACCOUNT", "CDK_DEFAULT_REGION")}
    results = {}
    try:
        for stage in STAGES:
            outdir = tmp_path_factory.mktemp(f"cdk-{stage}")
            result = synthesise(stage, outdir, sources=Sources(layer_dir=layer_dir))
            template = json.loads(result.template_path.read_text())
            results[stage] = Synthesised(stage, template, result.template_path, outdir, result.stack)
        yield results
    finally:
        for key, value in saved.items():
            if value is not None:
                os.environ[key] = value


@pytest.fixture(scope="session", params=STAGES)
def synth(request: pytest.FixtureRequest, synthesised: dict[str, Synthesised]) -> Synthesised:
    """Each stage in turn."""
    return synthesised[request.param]


@pytest.fixture(scope="session")
def prod(synthesised: dict[str, Synthesised]) -> Synthesised:
    return synthesised["prod"]


@pytest.fixture(scope="session")
def dev(synthesised: dict[str, Synthesised]) -> Synthesised:
    return synthesised["dev"]
