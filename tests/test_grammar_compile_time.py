"""The compile_time family: its kernels use wp.constant, wp.static (expressions, unrolled loops,
static if, function selection), generic and overloaded @wp.funcs and tuple returns; it is opt-in
(zero default weight), so every other seed keeps its kernel; kernels drawn for an older release
carry none of the constructs that release lacks; a batch of them compiles in one module and
verifies against the oracle on Warp CPU."""

from __future__ import annotations

import ast
from collections import Counter
from dataclasses import replace

from fuzz.engine.gradients import Limitation, screen
from fuzz.engine.runner import BatchRunner
from fuzz.engine.settings import WorkerSettings
from grammar import GenConfig, generate, parse_weights
from grammar.gates import features_used, missing_features
from grammar.generate import DEFAULT_WEIGHTS

CT = GenConfig(weights=parse_weights("compile_time=5"))


def constructs(source: str) -> set[str]:
    """Which of the family's constructs a kernel module uses (read back from its AST)."""
    tree = ast.parse(source)
    found: set[str] = set()
    funcs = Counter(
        n.name
        for n in tree.body
        if isinstance(n, ast.FunctionDef) and any(ast.unparse(d) == "wp.func" for d in n.decorator_list)
    )
    if any(c > 1 for c in funcs.values()):
        found.add("overload")
    for n in ast.walk(tree):
        if isinstance(n, ast.Call) and ast.unparse(n.func) == "wp.static":
            found.add("static")
        if (
            isinstance(n, ast.Call)
            and isinstance(n.func, ast.Call)
            and ast.unparse(n.func.func) == "wp.static"
        ):
            found.add("static_select")
        if isinstance(n, ast.For) and "wp.static" in ast.unparse(n.iter):
            found.add("static_range")
        if isinstance(n, ast.If | ast.IfExp) and ast.unparse(n.test).startswith("wp.static("):
            found.add("static_if")
        if isinstance(n, ast.Call) and ast.unparse(n.func) == "wp.constant":
            found.add("constant")
        if isinstance(n, ast.arg) and n.annotation is not None and "typing.Any" in ast.unparse(n.annotation):
            found.add("generic")
        if (
            isinstance(n, ast.Assign)
            and isinstance(n.targets[0], ast.Tuple)
            and isinstance(n.value, ast.Call)
            and ast.unparse(n.value.func) != "wp.tid"
        ):
            found.add("tuple_return")
    return found


def test_every_construct_appears_in_many_kernels() -> None:
    seen: Counter[str] = Counter()
    for seed in range(200):
        c = generate(seed, family="compile_time")
        seen.update(constructs(c.source))
    want = (
        "static",
        "static_select",
        "static_range",
        "static_if",
        "constant",
        "generic",
        "overload",
        "tuple_return",
    )
    assert all(seen[k] >= 30 for k in want), seen  # each in at least 15 % of the family's kernels


def test_compile_time_is_on_by_default_and_zero_weight_turns_it_off() -> None:
    assert DEFAULT_WEIGHTS["compile_time"] == 3.0
    assert any(generate(s).family == "compile_time" for s in range(100))
    assert any(generate(s, CT).family == "compile_time" for s in range(40))
    off = GenConfig(weights={**DEFAULT_WEIGHTS, "compile_time": 0.0})
    assert all(generate(s, off).family != "compile_time" for s in range(200))


def test_determinism() -> None:
    for s in range(10):
        assert generate(s, family="compile_time").dumps() == generate(s, family="compile_time").dumps()


def test_older_releases_draw_no_construct_they_lack() -> None:
    used: Counter[str] = Counter()
    for s in range(60):
        used.update(features_used(generate(s, family="compile_time").source))
        for version in ("1.10.1", "1.18.0"):
            c = generate(s, GenConfig(warp_version=version), family="compile_time")
            assert not missing_features(c.source, version), (s, version)
    assert used["static_builtin_select"] > 0 and used["static_function_local"] > 0, used


def test_compile_time_batch_compiles_and_verifies_on_cpu(tmp_path) -> None:  # type: ignore[no-untyped-def]
    cases = [generate(s, family="compile_time") for s in range(32)]
    runner = BatchRunner(
        WorkerSettings(run_dir=str(tmp_path), devices=("cpu",)), str(tmp_path / "w"), tag="ct"
    )
    results, _ = runner.run(cases)
    verdicts = Counter(r.verdict for r in results)
    bad = [(r.seed, r.verdict, (r.message or "")[-300:]) for r in results if r.verdict != "verified"]
    assert verdicts["verified"] >= 26, bad
    forward = ("mismatch", "internal_error", "invalid_kernel", "compile_error", "oracle_unsupported", "crash")
    assert not any(r.verdict in forward for r in results), bad
    # gradient findings here are Warp's known adjoint gaps of the shared expression grammar only
    assert all("known gap" in (r.message or "") for r in results if r.verdict == "gradient_mismatch"), bad


def test_gradient_check_reads_static_loops_as_unrolled() -> None:
    static_loops = [
        c
        for c in (generate(s, family="compile_time") for s in range(80))
        if "static_range" in constructs(c.source)
    ]
    assert static_loops
    for c in static_loops:
        hit = screen(c)
        assert hit is None or hit.limitation != Limitation.DYNAMIC_LOOP, (c.seed, hit)
    # the same loop over a run-time bound is still dynamic
    c = static_loops[0]
    dynamic = c.source.replace("range(wp.static(", "range(int(a1[i]) % 3 + (")
    assert dynamic != c.source
    hit = screen(replace(c, source=dynamic))
    assert hit is not None and hit.limitation == Limitation.DYNAMIC_LOOP, hit


def _overload_form(source: str, kname: str) -> str | None:
    """How a generic kernel's instance is declared: a @wp.overload stub, or wp.overload(k, [...])
    / wp.overload(k, {...}); None for a concrete kernel."""
    for n in ast.walk(ast.parse(source)):
        if (
            isinstance(n, ast.FunctionDef)
            and n.name == kname
            and any(ast.unparse(d) == "wp.overload" for d in n.decorator_list)
        ):
            return "decorator"
        if (
            isinstance(n, ast.Call)
            and ast.unparse(n.func) == "wp.overload"
            and ast.unparse(n.args[0]) == kname
        ):
            return "list" if isinstance(n.args[1], ast.List) else "dict"
    return None


def test_generic_kernels_declare_their_instance_in_every_form() -> None:
    forms: Counter[str | None] = Counter()
    for seed in range(120):
        c = generate(seed, family="compile_time")
        form = _overload_form(c.source, c.kernel_name)
        forms[form] += 1
        kernel = next(
            n for n in ast.parse(c.source).body if isinstance(n, ast.FunctionDef) and n.name == c.kernel_name
        )
        generic = any("typing.Any" in ast.unparse(a.annotation) for a in kernel.args.args if a.annotation)
        assert generic == (form is not None), (seed, form)
    assert all(forms[f] >= 6 for f in ("decorator", "list", "dict")), forms
    assert forms[None] >= 60, forms  # most kernels of the family stay concrete


def test_generic_kernels_compile_in_one_module_and_verify_on_cpu(tmp_path) -> None:  # type: ignore[no-untyped-def]
    cases = [
        c
        for c in (generate(s, family="compile_time") for s in range(100))
        if _overload_form(c.source, c.kernel_name)
    ][:12]
    assert {_overload_form(c.source, c.kernel_name) for c in cases} == {"decorator", "list", "dict"}
    runner = BatchRunner(
        WorkerSettings(run_dir=str(tmp_path), devices=("cpu",)), str(tmp_path / "w"), tag="gk"
    )
    results, _ = runner.run(cases)
    bad = [(r.seed, r.verdict, (r.message or "")[-300:]) for r in results if r.verdict != "verified"]
    forward = ("mismatch", "internal_error", "invalid_kernel", "compile_error", "oracle_unsupported", "crash")
    assert not any(r.verdict in forward for r in results), bad
    assert sum(r.verdict == "verified" for r in results) >= 9, bad
    assert all("known gap" in (r.message or "") for r in results if r.verdict == "gradient_mismatch"), bad
