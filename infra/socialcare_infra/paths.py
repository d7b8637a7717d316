"""Where the deployed things live in the repository, and where builds go."""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]  # infra/socialcare_infra -> repository root
FUNCTIONS_DIR = REPO_ROOT / "functions"
LAYERS_DIR = REPO_ROOT / "layers"
CHALICE_DIR = REPO_ROOT / "chalice_config"
STATE_MACHINES_DIR = REPO_ROOT / "infra" / "state_machines"
STAGES_FILE = REPO_ROOT / "infra" / "stages.toml"
PYPROJECT = REPO_ROOT / "pyproject.toml"
CONSTRAINTS = REPO_ROOT / "constraints.txt"
BUILD_DIR = REPO_ROOT / "build"
LAYER_BUILD_DIR = BUILD_DIR / "layer"
WHEEL_CACHE_DIR = BUILD_DIR / "wheels"
CDK_OUT = REPO_ROOT / "cdk.out"
