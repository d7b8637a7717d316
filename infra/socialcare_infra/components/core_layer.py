"""The ``socialcare`` core and its dependencies as one Lambda layer, for the target runtime."""

from __future__ import annotations

from pathlib import Path

from aws_cdk import RemovalPolicy
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from socialcare_infra.runtime import ARCHITECTURE_NAME, RUNTIME_NAME


def runtime() -> lambda_.Runtime:
    return lambda_.Runtime(RUNTIME_NAME, lambda_.RuntimeFamily.PYTHON)


def architecture() -> lambda_.Architecture:
    return lambda_.Architecture.custom(ARCHITECTURE_NAME)


class CoreLayer(Construct):
    """``layer_dir`` is the output of ``socialcare_infra.layer.build_layer`` (its ``python/`` folder)."""

    def __init__(self, scope: Construct, id: str, *, layer_dir: Path) -> None:
        super().__init__(scope, id)
        self.layer = lambda_.LayerVersion(
            self,
            "Layer",
            code=lambda_.Code.from_asset(str(layer_dir)),
            compatible_runtimes=[runtime()],
            compatible_architectures=[architecture()],
            description=f"socialcare core and dependencies for {RUNTIME_NAME} on {ARCHITECTURE_NAME}",
            # A function version may still use an older layer version: keep them.
            removal_policy=RemovalPolicy.RETAIN,
        )
