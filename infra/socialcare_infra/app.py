"""The CDK app: ``python -m socialcare_infra.app`` (what ``cdk.json`` runs), one stack per stage.

``cdk synth -c stage=prod`` selects the stage; other ``-c key=value`` pairs override keys of
``infra/stages.toml`` for that run. The security rule pack runs at every synthesis.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import aws_cdk as cdk

from socialcare_infra.checks import attach_security_checks
from socialcare_infra.config import DEFAULT_STAGE, STAGE_CONTEXT_KEY, context_overrides, load_stage
from socialcare_infra.layer import build_layer
from socialcare_infra.stack import SocialCareStack, Sources


def build_app(
    *,
    context: dict[str, Any] | None = None,
    outdir: Path | None = None,
    sources: Sources | None = None,
) -> tuple[cdk.App, SocialCareStack]:
    """The app with the stage stack built (not yet synthesised)."""
    app = cdk.App(context=context or {}, outdir=str(outdir) if outdir else None)
    stage = str(app.node.try_get_context(STAGE_CONTEXT_KEY) or DEFAULT_STAGE)
    config = load_stage(stage, overrides=context_overrides(app.node.try_get_context))
    attach_security_checks(app)
    env = cdk.Environment(account=os.environ.get("CDK_DEFAULT_ACCOUNT"), region=os.environ.get("CDK_DEFAULT_REGION"))
    stack = SocialCareStack(app, config=config, sources=sources or Sources(layer_dir=build_layer()), env=env)
    return app, stack


def main() -> None:
    app, _ = build_app()
    app.synth()


if __name__ == "__main__":
    main()
