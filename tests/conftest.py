"""Fixtures shared by the test files (pytest loads this before any test module of tests/).

- `mod`, `src`: the hand-written kernel file that the test module names in its `FILE`
  (under tests/kernels/), imported once per module with real Warp on CPU, and its source text:
  what the oracle-versus-Warp tests compare.
- `warp_module`: writes a kernel source to a fresh temporary folder and imports it as a Warp
  module (Warp reads a kernel's source from its module's file), optionally with backward code.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import pytest
from kernels import harness


def _kernel_file(request: pytest.FixtureRequest) -> str:
    name = getattr(request.module, "FILE", None)
    if not isinstance(name, str):
        raise pytest.UsageError(
            f"{request.module.__file__}: the `mod`/`src` fixtures need a module-level FILE naming a "
            "kernel file under tests/kernels/ (or a `mod` fixture of the module's own)"
        )
    return name


@pytest.fixture(scope="module")
def mod(request: pytest.FixtureRequest) -> Any:
    return harness.load_module(_kernel_file(request))


@pytest.fixture(scope="module")
def src(request: pytest.FixtureRequest) -> str:
    return harness.source_of(_kernel_file(request))


@pytest.fixture(scope="session")
def warp_module(tmp_path_factory: pytest.TempPathFactory) -> harness.WarpModuleFactory:
    """`warp_module(name, source, enable_backward=None, folder=name)`: the imported module,
    its file in a new temporary folder; Warp is initialised (quiet, kernel cache beside the file)
    if it was not yet."""

    def build(name: str, source: str, enable_backward: bool | None = None, folder: str = "") -> ModuleType:
        import warp as wp

        d = tmp_path_factory.mktemp(folder or name)
        wp.config.quiet = True
        wp.config.kernel_cache_dir = str(d / "cache")
        wp.init()
        m = harness.import_file(d / f"{name}.py", name, source)
        if enable_backward is not None:
            wp.set_module_options({"enable_backward": enable_backward}, m)
        return m

    return build
