"""The Lambda layer is built for the target runtime and architecture, from pinned versions, offline-capable."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from socialcare_infra import paths
from socialcare_infra.layer import LayerBuildError, build_layer, fingerprint, requirements
from socialcare_infra.runtime import LAYER_ABI, LAYER_PLATFORM

pytestmark = [pytest.mark.infra, pytest.mark.xdist_group("infra")]

EM_AARCH64 = 183  # ELF e_machine of 64-bit ARM


def site(layer_dir: Path) -> Path:
    return layer_dir / "python"


def wheel_tags(layer_dir: Path) -> dict[str, list[str]]:
    tags = {}
    for wheel in site(layer_dir).glob("*.dist-info/WHEEL"):
        lines = wheel.read_text().splitlines()
        tags[wheel.parent.name] = [line.split(":", 1)[1].strip() for line in lines if line.startswith("Tag:")]
    return tags


def pins() -> dict[str, str]:
    result = {}
    for line in paths.CONSTRAINTS.read_text().splitlines():
        if "==" in line:
            name, version = line.strip().split("==")
            result[_normalise(name)] = version
    return result


def _normalise(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def test_layer_holds_the_core_and_powertools_where_lambda_imports_them(layer_dir: Path) -> None:
    assert (site(layer_dir) / "socialcare" / "__init__.py").is_file()
    assert (site(layer_dir) / "socialcare" / "constants.py").is_file()
    assert (site(layer_dir) / "aws_lambda_powertools" / "__init__.py").is_file()
    assert (site(layer_dir) / "aws_xray_sdk").is_dir(), "the [tracer] extra: functions trace with X-Ray"


def test_the_core_in_the_layer_is_exactly_the_source(layer_dir: Path) -> None:
    source = paths.LAYERS_DIR / "socialcare"

    def files(root: Path) -> dict[str, bytes]:
        return {
            p.relative_to(root).as_posix(): p.read_bytes()
            for p in root.rglob("*")
            if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
        }

    assert files(site(layer_dir) / "socialcare") == files(source)


def test_only_pure_python_or_manylinux_aarch64_wheels_for_the_target_python(layer_dir: Path) -> None:
    tags = wheel_tags(layer_dir)
    assert tags, "no distributions in the layer"
    for dist, dist_tags in tags.items():
        for tag in dist_tags:
            python, abi, platform = tag.split("-")
            pure = abi == "none" and platform == "any" and python.startswith("py")
            binary = abi in {LAYER_ABI, "abi3"} and platform.startswith("manylinux") and platform.endswith("aarch64")
            assert pure or binary, f"{dist} was installed from a {tag} wheel, not for {LAYER_ABI} on {LAYER_PLATFORM}"


def test_every_extension_module_is_an_aarch64_binary_for_the_target_python(layer_dir: Path) -> None:
    extensions = list(site(layer_dir).rglob("*.so"))
    assert extensions, "expected at least one compiled dependency (wrapt) to check"
    for ext in extensions:
        header = ext.read_bytes()[:20]
        assert header[:4] == b"\x7fELF", ext
        machine = int.from_bytes(header[18:20], "little")
        assert machine == EM_AARCH64, f"{ext.name} is for ELF machine {machine}, not aarch64"
        assert "cpython-311" not in ext.name, ext.name
        assert "x86_64" not in ext.name, ext.name
        assert f"cpython-{LAYER_ABI[2:]}" in ext.name or ".abi3." in ext.name, ext.name


def test_no_bytecode_or_scripts_of_the_build_machine(layer_dir: Path) -> None:
    assert not list(site(layer_dir).rglob("__pycache__"))
    assert not list(site(layer_dir).rglob("*.pyc"))
    assert not (site(layer_dir) / "bin").exists()


def test_every_distribution_is_the_version_pinned_in_constraints(layer_dir: Path) -> None:
    pinned = pins()
    installed = {}
    for info in site(layer_dir).glob("*.dist-info"):
        name, version = info.name.removesuffix(".dist-info").rsplit("-", 1)
        installed[_normalise(name)] = version
    assert {"aws-lambda-powertools", "boto3", "aws-xray-sdk"} <= set(installed)
    for name, version in installed.items():
        assert name in pinned, f"{name} is in the layer but not pinned in constraints.txt"
        assert version == pinned[name], f"{name} {version} in the layer, {pinned[name]} pinned"


def test_layer_dependencies_are_the_cores_declared_ones() -> None:
    assert requirements() == [
        "boto3",
        "aws-lambda-powertools[tracer]",
        "holidays",
        "tzdata",
        "lingua-language-detector",
        "vaderSentiment",
        "better-profanity",
    ]


def test_fingerprint_follows_the_core_source(tmp_path: Path) -> None:
    copy = tmp_path / "layers"
    shutil.copytree(paths.LAYERS_DIR / "socialcare", copy / "socialcare", ignore=shutil.ignore_patterns("__pycache__"))
    before = fingerprint(source_dir=copy)
    (copy / "socialcare" / "__pycache__").mkdir(exist_ok=True)
    (copy / "socialcare" / "__pycache__" / "x.cpython-311.pyc").write_bytes(b"local bytecode")
    assert fingerprint(source_dir=copy) == before, "bytecode is not part of the layer"
    (copy / "socialcare" / "constants.py").write_text("CHANGED = 1\n", encoding="utf-8")
    assert fingerprint(source_dir=copy) != before


def test_an_unchanged_layer_is_reused_and_a_changed_core_rebuilt_without_network(
    tmp_path: Path, layer_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Same inputs: nothing is done. A changed core: rebuilt from the wheel cache, with no index reachable."""
    copy = tmp_path / "layers"
    shutil.copytree(paths.LAYERS_DIR / "socialcare", copy / "socialcare", ignore=shutil.ignore_patterns("__pycache__"))
    out = tmp_path / "layer"
    build_layer(out_dir=out, source_dir=copy)
    marker = site(out) / "socialcare" / "marker"
    marker.write_text("built once")
    assert build_layer(out_dir=out, source_dir=copy) == out
    assert marker.exists(), "an unchanged layer was rebuilt"

    # Any attempt to reach a package index now fails (port 9 is discard; nothing listens).
    monkeypatch.setenv("PIP_INDEX_URL", "http://127.0.0.1:9/simple")
    monkeypatch.setenv("PIP_EXTRA_INDEX_URL", "http://127.0.0.1:9/simple")
    monkeypatch.setenv("PIP_RETRIES", "0")
    (copy / "socialcare" / "new_module.py").write_text("VALUE = 1\n", encoding="utf-8")
    build_layer(out_dir=out, source_dir=copy, wheel_dir=paths.WHEEL_CACHE_DIR)
    assert (site(out) / "socialcare" / "new_module.py").is_file()
    assert not marker.exists()
    assert (site(out) / "aws_lambda_powertools" / "__init__.py").is_file()


def test_a_missing_wheel_without_network_fails_with_pips_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PIP_INDEX_URL", "http://127.0.0.1:9/simple")
    monkeypatch.setenv("PIP_EXTRA_INDEX_URL", "http://127.0.0.1:9/simple")
    monkeypatch.setenv("PIP_FIND_LINKS", str(tmp_path / "nothing"))
    monkeypatch.setenv("PIP_RETRIES", "0")
    with pytest.raises(LayerBuildError, match="pip download failed"):
        build_layer(out_dir=tmp_path / "layer", wheel_dir=tmp_path / "empty-cache")
    assert not (tmp_path / "layer").exists(), "a failed build leaves no half-built layer behind"


LAMBDA_UNZIPPED_LIMIT_BYTES = 250 * 1024 * 1024  # function code and all its layers, unzipped
FUNCTION_CODE_ROOM_BYTES = 20 * 1024 * 1024  # kept free for the largest function's own code


def test_the_layer_leaves_room_under_lambdas_unzipped_size_limit(layer_dir: Path) -> None:
    size = sum(p.stat().st_size for p in site(layer_dir).rglob("*") if p.is_file())
    assert size <= LAMBDA_UNZIPPED_LIMIT_BYTES - FUNCTION_CODE_ROOM_BYTES, f"layer is {size / 2**20:.0f} MiB unzipped"
