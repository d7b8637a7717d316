"""``make synth``: synthesise one stage into ``cdk.out/`` (no AWS account needed) and say where it went.

The same app ``cdk deploy`` runs, security checks included: an unacknowledged cdk-nag finding fails
here just as it would fail a deployment.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from socialcare_infra import paths
from socialcare_infra.app import build_app
from socialcare_infra.config import DEFAULT_STAGE, STAGE_CONTEXT_KEY
from socialcare_infra.stack import SocialCareStack, Sources


@dataclass(frozen=True)
class Synthesis:
    template_path: Path
    stack: SocialCareStack


def synthesise(
    stage: str, outdir: Path, extra_context: dict[str, str] | None = None, *, sources: Sources | None = None
) -> Synthesis:
    """Synthesise ``stage`` into ``outdir`` (raises if a security check fails)."""
    app, stack = build_app(context={STAGE_CONTEXT_KEY: stage, **(extra_context or {})}, outdir=outdir, sources=sources)
    assembly = app.synth()
    return Synthesis(Path(assembly.get_stack_artifact(stack.artifact_id).template_full_path), stack)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stage", default=DEFAULT_STAGE)
    parser.add_argument("--out", type=Path, default=paths.CDK_OUT)
    parser.add_argument("-c", "--context", action="append", default=[], metavar="KEY=VALUE")
    args = parser.parse_args(argv)
    extra = dict(item.split("=", 1) for item in args.context)
    result = synthesise(args.stage, args.out, extra)
    template = json.loads(result.template_path.read_text())
    kinds = Counter(r["Type"] for r in template["Resources"].values())
    print(f"{result.template_path} ({sum(kinds.values())} resources, AwsSolutions checks passed)")
    for kind, count in sorted(kinds.items()):
        print(f"  {count:3d}  {kind}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
