"""The `random` and `spatial` families: their kernels compile and verify against real Warp on
CPU, their productions reach every random/spatial builtin the grammar declares, the oracle knows
each of them, both are opt-in (other seeds keep their kernels), and an oracle whose draws do not
advance the state is caught on generated kernels."""

from __future__ import annotations

import collections
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from kernels.harness import import_file

import oracle
from fuzz.engine.settings import WorkerSettings
from grammar import GenConfig, generate, make_inputs
from grammar.case import MODULE_HEADER
from grammar.generate import DEFAULT_WEIGHTS
from grammar.random_ops import RANDOM_CALLS
from grammar.spatial_ops import SPATIAL_CALLS
from oracle.builtins import Builtin, default_registry
from oracle.values import StateAdvance

SEEDS = range(300, 312)


def _calls(source: str) -> set[str]:
    import ast

    out = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            out.add(node.func.attr)
    return out


def test_every_random_builtin_is_reached_and_modelled() -> None:
    reached: collections.Counter[str] = collections.Counter()
    for s in range(400):
        reached.update(_calls(generate(s, family="random").source) & RANDOM_CALLS)
    assert set(reached) == RANDOM_CALLS, f"never emitted: {sorted(RANDOM_CALLS - set(reached))}"
    missing = RANDOM_CALLS - default_registry().names()
    assert not missing, f"the grammar emits builtins the oracle lacks: {sorted(missing)}"


def test_every_spatial_builtin_is_reached_and_modelled() -> None:
    reached: set[str] = set()
    for s in range(300):
        reached |= _calls(generate(s, family="spatial").source) & SPATIAL_CALLS
    assert reached == SPATIAL_CALLS, f"never emitted: {sorted(SPATIAL_CALLS - reached)}"
    assert not SPATIAL_CALLS - default_registry().names()


def test_families_are_on_by_default() -> None:
    """Weight 2 each by default (GENERATOR_VERSION 1.5.0); a zero weight draws neither."""
    assert DEFAULT_WEIGHTS["random"] == 2.0 and DEFAULT_WEIGHTS["spatial"] == 2.0
    assert {"random", "spatial"} <= {generate(s).family for s in range(200)}
    off = GenConfig(weights={**DEFAULT_WEIGHTS, "random": 0.0, "spatial": 0.0})
    assert all(generate(s, off).family not in ("random", "spatial") for s in range(200))


def test_every_random_kernel_binds_its_state_first() -> None:
    for s in SEEDS:
        src = generate(s, family="random").source
        body = src.split("i = wp.tid()\n", 1)[1]
        assert body.lstrip().split("=", 1)[1].lstrip().startswith("wp.rand_init("), src


@pytest.fixture(scope="module")
def runner(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from fuzz.engine.runner import BatchRunner

    work = tmp_path_factory.mktemp("random-family")
    settings = WorkerSettings(str(work), ("cpu",), enable_backward=False, cpu_opt_level=0)
    return BatchRunner(settings, str(work), tag="rnd")


@pytest.mark.parametrize("family", ["random", "spatial"])
def test_generated_kernels_verify(runner: Any, family: str) -> None:
    cases = [generate(s, family=family) for s in SEEDS]
    results, _ = runner.run(cases)
    verdicts = collections.Counter(str(r.verdict) for r in results)
    detail = {r.seed: (r.verdict, r.message) for r in results if r.verdict != "verified"}
    # inconclusive (every written element decided within rounding, e.g. by a literal tie such as
    # `3.0 >= 3.0` from the shared productions) is allowed; anything else is a finding
    assert set(verdicts) <= {"verified", "inconclusive"}, detail
    assert verdicts["verified"] >= 0.75 * len(cases), detail


def _module(tmp_path: Path, cases: list[Any]) -> Any:
    import warp as wp

    source = MODULE_HEADER + "\n\n".join(c.source for c in cases)
    mod = import_file(tmp_path / "gen_random_wrong.py", "gen_random_wrong", source)
    wp.set_module_options({"enable_backward": False}, mod)
    return mod


def test_a_state_that_does_not_advance_is_caught(runner: Any, tmp_path: Path) -> None:
    """Generated kernels that draw twice from their state disagree with an oracle whose randf
    returns the draw but leaves the state where it was."""
    from fuzz.engine.launch import launch

    good = default_registry()
    randf = good.get("randf")
    assert randf is not None

    def stuck(args: list[Any], ctx: Any) -> Any:
        out = randf.fn(args, ctx)
        return out.result if isinstance(out, StateAdvance) else out

    wrong = good.with_entries([Builtin("randf", stuck, "deliberately wrong")])
    cases = [
        c for c in (generate(s, family="random") for s in range(500, 540)) if c.source.count("randf(rng") >= 2
    ]
    assert len(cases) >= 3, "too few generated kernels draw randf twice from their state"
    mod = _module(tmp_path, cases[:6])
    caught = 0
    for c in cases[:6]:
        inputs = make_inputs(c)
        dev = launch(
            getattr(mod, c.kernel_name),
            {k: np.copy(v) if isinstance(v, np.ndarray) else v for k, v in inputs.items()},
            c.dim,
            "cpu",
        )
        try:
            orc = oracle.evaluate(c.module_source(), c.kernel_name, inputs, c.dim, registry=wrong)
        except oracle.Unsupported:
            continue
        differs = any(not np.array_equal(dev[k], orc.arrays[k]) for k in orc.arrays if k.startswith("out"))
        caught += differs
    assert caught >= 1, "no generated kernel caught an oracle whose randf never advances its state"
