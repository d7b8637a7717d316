"""Build the Lambda layer: the ``socialcare`` core plus its runtime dependencies, for the target runtime.

Layout (Lambda puts ``/opt/python`` on ``sys.path``)::

    build/layer/python/socialcare/...              the core, copied from layers/socialcare
    build/layer/python/aws_lambda_powertools/...   the core's dependencies (pyproject.toml)
    build/layer/python/<dist>.dist-info/...

Reproducible and offline-capable:
- the dependencies are the core's own (``[project].dependencies`` in pyproject.toml), every version
  pinned by constraints.txt;
- wheels are resolved for ``LAYER_PLATFORM`` / ``LAYER_PYTHON_VERSION`` with ``--only-binary=:all:``
  (never the local interpreter's compiled wheels), downloaded once into ``build/wheels`` and then
  installed from there with ``--no-index``: a filled wheel cache builds the layer with no network;
- no ``.pyc`` files (they would be the local interpreter's), no console scripts;
- rebuilt only when an input changes (a fingerprint of the inputs sits beside the layer).

Run ``python -m socialcare_infra.layer`` (``make layer``); the CDK app calls ``build_layer()`` itself.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import shutil
import subprocess
import sys
import tempfile
import tomllib
from collections.abc import Iterator, Sequence
from pathlib import Path

from socialcare_infra import paths
from socialcare_infra.runtime import LAYER_PLATFORM, LAYER_PYTHON_VERSION

CORE_PACKAGE = "socialcare"
_IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", "*.pyo")


class LayerBuildError(RuntimeError):
    pass


def requirements(pyproject: Path = paths.PYPROJECT) -> list[str]:
    """The core's runtime dependencies, exactly as pyproject.toml declares them."""
    with pyproject.open("rb") as f:
        return list(tomllib.load(f)["project"]["dependencies"])


def fingerprint(
    *,
    source_dir: Path = paths.LAYERS_DIR,
    pyproject: Path = paths.PYPROJECT,
    constraints: Path = paths.CONSTRAINTS,
) -> str:
    """A digest of everything the layer is built from; equal digests mean an identical layer."""
    digest = hashlib.sha256()
    for part in (LAYER_PLATFORM, LAYER_PYTHON_VERSION, *requirements(pyproject)):
        digest.update(part.encode() + b"\0")
    digest.update(constraints.read_bytes())
    for path in sorted((source_dir / CORE_PACKAGE).rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix not in {".pyc", ".pyo"}:
            digest.update(path.relative_to(source_dir).as_posix().encode() + b"\0")
            digest.update(path.read_bytes())
    return digest.hexdigest()


def build_layer(
    *,
    out_dir: Path = paths.LAYER_BUILD_DIR,
    wheel_dir: Path = paths.WHEEL_CACHE_DIR,
    source_dir: Path = paths.LAYERS_DIR,
    pyproject: Path = paths.PYPROJECT,
    constraints: Path = paths.CONSTRAINTS,
    force: bool = False,
) -> Path:
    """Build (or reuse) the layer directory and return it; its ``python/`` is the layer's content."""
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    stamp = out_dir.with_name(out_dir.name + ".fingerprint")
    wanted = fingerprint(source_dir=source_dir, pyproject=pyproject, constraints=constraints)
    with _locked(out_dir.with_name(out_dir.name + ".lock")):
        if not force and (out_dir / "python").is_dir() and stamp.is_file() and stamp.read_text() == wanted:
            return out_dir
        staging = Path(tempfile.mkdtemp(prefix=out_dir.name + ".", dir=out_dir.parent))
        try:
            site = staging / "python"
            _install(requirements(pyproject), target=site, wheel_dir=wheel_dir, constraints=constraints)
            shutil.copytree(source_dir / CORE_PACKAGE, site / CORE_PACKAGE, ignore=_IGNORED)
            # Console scripts are useless in a layer and carry the build machine's interpreter path.
            shutil.rmtree(site / "bin", ignore_errors=True)
            if out_dir.exists():
                shutil.rmtree(out_dir)
            staging.rename(out_dir)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        stamp.write_text(wanted)
    return out_dir


def fill_wheel_cache(
    reqs: Sequence[str], *, wheel_dir: Path = paths.WHEEL_CACHE_DIR, constraints: Path = paths.CONSTRAINTS
) -> None:
    """Download the target platform's wheels of ``reqs`` (pinned) into ``wheel_dir`` (needs PyPI)."""
    wheel_dir.mkdir(parents=True, exist_ok=True)
    _pip("download", "--dest", str(wheel_dir), *_target_options(constraints), *reqs)


def _install(reqs: Sequence[str], *, target: Path, wheel_dir: Path, constraints: Path) -> None:
    offline = ("install", "--no-compile", "--target", str(target), "--no-index", "--find-links", str(wheel_dir))
    try:
        _pip(*offline, *_target_options(constraints), *reqs)
    except LayerBuildError:
        # The cache lacks a wheel (first build, or a pin changed): fetch, then install offline again.
        shutil.rmtree(target, ignore_errors=True)
        fill_wheel_cache(reqs, wheel_dir=wheel_dir, constraints=constraints)
        _pip(*offline, *_target_options(constraints), *reqs)


def _target_options(constraints: Path) -> tuple[str, ...]:
    return (
        "--platform",
        LAYER_PLATFORM,
        "--python-version",
        LAYER_PYTHON_VERSION,
        "--implementation",
        "cp",
        "--only-binary=:all:",
        "--constraint",
        str(constraints),
    )


def _pip(*args: str) -> None:
    command = [sys.executable, "-m", "pip", *args[:1], "--quiet", "--disable-pip-version-check", *args[1:]]
    result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603 - our own argv
    if result.returncode != 0:
        raise LayerBuildError(f"pip {args[0]} failed ({result.returncode}):\n{result.stderr.strip()}")


@contextlib.contextmanager
def _locked(lock_path: Path) -> Iterator[None]:
    """One build at a time per output directory (parallel test workers, make synth beside pytest)."""
    with lock_path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def layer_size_bytes(layer_dir: Path) -> int:
    return sum(p.stat().st_size for p in layer_dir.rglob("*") if p.is_file())


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--force", action="store_true", help="rebuild even if nothing changed")
    parser.add_argument("--out", type=Path, default=paths.LAYER_BUILD_DIR, help="layer directory")
    args = parser.parse_args(argv)
    out = build_layer(out_dir=args.out, force=args.force)
    size_mb = layer_size_bytes(out) / 1_000_000
    print(f"layer for {LAYER_PYTHON_VERSION} on {LAYER_PLATFORM}: {out} ({size_mb:.1f} MB unzipped)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
