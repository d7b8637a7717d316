"""The one Lambda runtime and architecture every function runs on, and what the layer is built for.

arm64 (Graviton) costs 20 % less per GB-second than x86_64 for the same code. Python 3.13 is a
current runtime on both architectures. This machine's interpreter is irrelevant: the dependency
layer is resolved for ``LAYER_PYTHON_VERSION`` / ``LAYER_PLATFORM``, never from locally compiled
wheels, and the Chalice functions (which Chalice would give the local version) are set to the same.
Plain strings, so the layer build does not need the CDK.
"""

from __future__ import annotations

RUNTIME_NAME = "python3.13"
ARCHITECTURE_NAME = "arm64"
LAYER_PYTHON_VERSION = "3.13"
LAYER_ABI = "cp313"
LAYER_PLATFORM = "manylinux2014_aarch64"
