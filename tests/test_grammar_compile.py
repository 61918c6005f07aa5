"""Generated kernels compile and run with real Warp on CPU (one shared module per batch)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from fuzz.engine.compile_check import compile_batch, init_warp
from grammar import FAMILIES, generate, make_inputs
from grammar.generate import DEFAULT_WEIGHTS

ENABLED = [f for f in FAMILIES if DEFAULT_WEIGHTS[f] > 0]


@pytest.fixture(scope="module")
def wp_ready(tmp_path_factory):
    return init_warp(str(tmp_path_factory.mktemp("kcache")))


def test_every_family_compiles_and_launches(wp_ready, tmp_path):
    """One kernel per family, all in one module (one compile; forward code only, 3x faster)."""
    cases = [generate(100 + 10 * n, family=f) for n, f in enumerate(ENABLED)]
    fails = compile_batch(cases, tmp_path, "fam", enable_backward=False)
    assert not fails, "\n".join(f"{f.seed} {f.family} {f.stage}: {f.error}" for f in fails)


@pytest.mark.slow
def test_every_family_compiles_and_launches_more(wp_ready, tmp_path):
    """With backward code, as campaigns compile by default."""
    cases = [generate(500 + 10 * n + k, family=f) for n, f in enumerate(ENABLED) for k in range(3)]
    fails = compile_batch(cases, tmp_path, "fam3")
    assert not fails, "\n".join(f"{f.seed} {f.family} {f.stage}: {f.error}" for f in fails)


@pytest.mark.slow
def test_outputs_are_finite(wp_ready, tmp_path):
    """Guards keep float results finite: run kernels and look at every output element."""
    import importlib.util
    import sys

    from fuzz.engine.launch import launch

    cases = [
        generate(200 + 10 * n + k, family=f)
        for n, f in enumerate(("elementwise", "unary", "branch", "vector", "matrix", "quaternion"))
        for k in range(3)
    ]
    path = tmp_path / "gm_finite.py"
    path.write_text("import warp as wp\n\n" + "\n\n".join(c.source for c in cases))
    spec = importlib.util.spec_from_file_location("gm_finite", path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules["gm_finite"] = mod
    spec.loader.exec_module(mod)
    for c in cases:
        res = launch(getattr(mod, c.kernel_name), make_inputs(c), c.dim, "cpu")
        for name, arr in res.items():
            if arr.dtype.kind == "f":
                assert np.all(np.isfinite(arr)), (c.seed, name, c.source)


def test_compile_check_reports_a_broken_kernel(wp_ready, tmp_path):
    good = generate(7, family="elementwise")
    bad = dataclasses.replace(
        generate(8, family="elementwise"),
        source=generate(8, family="elementwise").source.replace(
            "i = wp.tid()", "i = wp.tid()\n    q = wp.no_such_fn(i)"
        ),
    )
    fails = compile_batch([good, bad], tmp_path, "neg", enable_backward=False)
    assert [(f.seed, f.stage) for f in fails] == [(8, "compile")]


@pytest.mark.slow
def test_compile_rate_many(wp_ready, tmp_path):
    cases = [generate(s) for s in range(1000, 1200)]
    fails = []
    for b in range(0, len(cases), 50):
        fails += compile_batch(cases[b : b + 50], tmp_path, f"many{b}")
    assert len(fails) <= 1, "\n".join(f"{f.seed} {f.family} {f.stage}: {f.error}" for f in fails)
