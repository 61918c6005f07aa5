"""The `factories` and `custom_adjoint` families: what they write, that a batch of them compiles
in one module and verifies on CPU (forward and gradients), that the gradient check verifies a
correct custom adjoint and catches a wrong one, and that it skips a kernel built with
`@wp.kernel(enable_backward=False)` with the reason instead of comparing its zero gradient."""

from __future__ import annotations

import ast
from collections import Counter
from typing import Any

import numpy as np
import pytest

import fuzz.engine.gradients as G
import grammar
import oracle
from fuzz.engine.runner import BatchRunner
from fuzz.engine.settings import WorkerSettings
from grammar import generate
from grammar.case import MODULE_HEADER, KernelCase
from grammar.generate import DEFAULT_WEIGHTS

FAMILIES = ("factories", "custom_adjoint")


def _top_names(source: str) -> list[str]:
    out = []
    for n in ast.parse(source).body:
        if isinstance(n, ast.FunctionDef | ast.ClassDef):
            out.append(n.name)
        elif isinstance(n, ast.Assign):
            out += [t.id for t in n.targets if isinstance(t, ast.Name)]
    return out


def test_both_families_are_on_by_default() -> None:
    for fam in FAMILIES:
        assert DEFAULT_WEIGHTS[fam] == 1.0
    drawn = {grammar.generate(s).family for s in range(300)}
    assert set(FAMILIES) <= drawn, drawn


def test_factory_cases_hold_a_factory_and_two_instances_with_different_functions() -> None:
    unique = captured_builtin = module_const = fparams = 0
    for seed in range(60):
        c = generate(seed, family="factories")
        k = c.kernel_name
        assert all(n.startswith(k) for n in _top_names(c.source)), (seed, _top_names(c.source))
        tree = ast.parse(c.source)
        calls = {
            n.targets[0].id: n.value
            for n in tree.body
            if isinstance(n, ast.Assign)
            and isinstance(n.value, ast.Call)
            and isinstance(n.targets[0], ast.Name)
        }
        assert set(calls) == {k, f"{k}_twin"}, seed
        funcs = {ast.unparse(call.args[2]) for call in calls.values()}
        assert len(funcs) == 2 and f"{k}_fa" in funcs, (seed, funcs)  # different captured functions
        unique += 'module="unique"' in c.source
        captured_builtin += any(f.startswith("wp.") for f in funcs)
        module_const += f"{k}_SCALE" in c.source
        fparams += f"def {k}_apply(g: wp.Function" in c.source and f"{k}_twice(f, " in c.source
        # the oracle finds the factory-made kernel under its bound name
        assert oracle.evaluate(MODULE_HEADER + c.source, k, grammar.make_inputs(c), c.dim) is not None
    assert 8 <= unique <= 30 and captured_builtin >= 5 and module_const >= 8, (
        unique,
        captured_builtin,
        module_const,
    )
    assert 15 <= fparams <= 45, fparams  # wp.Function parameters


def test_custom_adjoint_cases_hold_func_grad_replay_and_backward_off() -> None:
    kinds: Counter[str] = Counter()
    for seed in range(60):
        c = generate(seed, family="custom_adjoint")
        kinds.update(k for k in ("func_grad", "func_replay", "enable_backward=False") if k in c.source)
        assert f"@wp.func_grad({c.kernel_name}_g)" in c.source
    assert (
        kinds["func_grad"] == 60 and kinds["func_replay"] >= 8 and 5 <= kinds["enable_backward=False"] <= 25
    ), kinds


def test_a_batch_of_both_families_verifies_in_one_module(tmp_path: Any) -> None:
    # distinct seeds: the kernel name is the seed's, and one module holds them all
    cases = [generate(s + 100 * k, family=f) for s in range(12) for k, f in enumerate(FAMILIES)]
    runner = BatchRunner(
        WorkerSettings(run_dir=str(tmp_path), devices=("cpu",)), str(tmp_path / "w"), tag="fc"
    )
    results, _ = runner.run(cases)
    bad = [
        (r.seed, r.family, r.verdict, (r.message or "")[-300:]) for r in results if r.verdict != "verified"
    ]
    # wp.frac or a float % in a generated operand: Warp's known gradient gaps, labelled by the re-check
    known = [r for r in results if r.verdict == "gradient_mismatch" and "known gap" in (r.message or "")]
    assert len(bad) == len(known), bad
    grads: Counter[tuple[str, str]] = Counter()
    for c, r in zip(cases, results, strict=True):
        for g in r.gradient_check:
            grads[(c.family, g["status"])] += 1
            if "enable_backward=False" in c.source:
                assert g["status"] == G.SKIPPED and G.NO_BACKWARD_MESSAGE in g["message"], (c.seed, g)
    assert grads[("custom_adjoint", G.VERIFIED)] >= 6 and grads[("factories", G.VERIFIED)] >= 4, grads


def _custom_case(backward: bool) -> KernelCase:
    for seed in range(200):
        c = generate(seed, family="custom_adjoint")
        if ("enable_backward=False" not in c.source) == backward and "func_replay" in c.source:
            return c
    raise AssertionError("no such custom_adjoint case in 200 seeds")


def _check(warp_module: Any, case: KernelCase, source: str, name: str) -> G.GradientCheck:
    m = warp_module(name, MODULE_HEADER + source, enable_backward=True)
    inputs = grammar.make_inputs(case)
    return G.check_gradients(
        getattr(m, case.kernel_name), case, inputs, "cpu", oracle.evaluate, np.random.default_rng(case.seed)
    )


def test_correct_custom_adjoint_verifies_and_a_wrong_one_is_caught(warp_module: Any) -> None:
    case = _custom_case(backward=True)
    ok = _check(warp_module, case, case.source, "wf_custom_ok")
    assert ok.status == G.VERIFIED and ok.checked > 0, ok
    # Warp runs the mutated adjoint while the oracle reads the case: d/dx of g is 1 % off
    wrong = case.source.replace("    wp.adjoint[x] += (", "    wp.adjoint[x] += 1.01 * (", 1)
    assert wrong != case.source
    bad = _check(warp_module, case, wrong, "wf_custom_wrong")
    assert bad.status == G.MISMATCH and bad.error > bad.tolerance, bad
    # and a wrong replay: the backward pass's replay of h feeds the adjoint of `h(y0) * x0`
    replay = case.source.replace(
        "_h_replay(x: float):\n    return ", "_h_replay(x: float):\n    return 1.5 * ", 1
    )
    assert replay != case.source
    bad_replay = _check(warp_module, case, replay, "wf_custom_replay")
    assert bad_replay.status == G.MISMATCH, bad_replay


def test_kernel_without_backward_is_skipped_with_the_reason(warp_module: Any) -> None:
    case = _custom_case(backward=False)
    gc = _check(warp_module, case, case.source, "wf_custom_nobwd")
    assert (
        gc.status == G.SKIPPED and G.NO_BACKWARD_MESSAGE in gc.message and case.kernel_name in gc.message
    ), gc
    # the skip is earned: Warp's tape gives a zero gradient where the true one is not zero
    m = warp_module("wf_custom_nobwd2", MODULE_HEADER + case.source, enable_backward=True)
    inputs = grammar.make_inputs(case)
    out = next(p.name for p in case.params if p.role == "out")
    ins = [p.name for p in case.params if p.role == "in"]
    g = G.warp_gradients(getattr(m, case.kernel_name), inputs, case.dim, "cpu", {out: np.ones(case.dim)}, ins)
    assert all(not np.any(v) for v in g.values()), g
    on = KernelCase(
        case.kernel_name, case.source.replace("@wp.kernel(enable_backward=False)", "@wp.kernel"), case.family,
        case.seed, case.generator_version, case.params, case.dim,
    )  # fmt: skip
    assert _check(warp_module, on, on.source, "wf_custom_bwd_on").status == G.VERIFIED


@pytest.mark.parametrize("family", FAMILIES)
def test_generated_sources_parse_and_compile_names_are_unique(family: str) -> None:
    names: Counter[str] = Counter()
    for seed in range(20):
        names.update(_top_names(generate(seed, family=family).source))
    assert max(names.values()) == 1, [n for n, c in names.items() if c > 1]


def test_selftest_adjoint_mutations_change_only_custom_adjoints() -> None:
    import random

    from fuzz.selftest import ADJOINT, ADJOINT_SCALE, mutation_candidates

    case = _custom_case(backward=True)
    muts = [m for m, _ in mutation_candidates(case.source, random.Random(1)) if m.kind == ADJOINT]
    assert muts, "no adjoint mutation site in a custom_adjoint kernel"
    assert all(m.before.startswith(("wp.adjoint[", "return ")) for m in muts), muts
    assert {m.after.endswith(f") * {ADJOINT_SCALE}") or m.after == "pass" for m in muts} == {True}, muts
    assert any(m.after == "pass" for m in muts) and any(m.before.startswith("return ") for m in muts), muts
    # without backward code an adjoint mutant is equivalent: none is drawn
    off = _custom_case(backward=False)
    assert not [m for m, _ in mutation_candidates(off.source, random.Random(1)) if m.kind == ADJOINT]
