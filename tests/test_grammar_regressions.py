"""Regressions of generator seeds that failed to compile or crashed the generator (GENERATOR_VERSION 1.1)."""

from __future__ import annotations

import ast
import importlib.util
import sys

import pytest

from fuzz.engine.compile_check import compile_batch, init_warp
from grammar import generate
from grammar.dtypes import Interval
from grammar.expr import Expr, call, code, name

# "Input types must be the same" ([int32, float64], [int64, int32]) and "all values used to
# initialize this vector are expected to be of the type int32" in 1.1.0: all one root cause,
# a 64-bit cast of an unrolled loop counter (see grammar.expr.call)
WIDE_CAST_SEEDS = (159, 2285, 2592, 3007, 3564, 4010, 4238, 4901, 5534, 5539)
# generator internal errors in 1.1.0: ZeroDivisionError (3090), float16 guard violations just
# past the +-1000 cap (3859, 9533), a uint32 atomic's old value below 0 (9602)
CRASH_SEEDS = (3090, 3859, 9533, 9602)
WIDE = ("float64", "int64", "uint64")


def wide_casts_of_counters(source: str) -> list[str]:
    """Every `wp.float64/int64/uint64(k)` whose argument is the bare target of a `for` loop."""
    hits = []
    for fn in (n for n in ast.walk(ast.parse(source)) if isinstance(n, ast.FunctionDef)):
        counters = {
            n.target.id for n in ast.walk(fn) if isinstance(n, ast.For) and isinstance(n.target, ast.Name)
        }
        for c in ast.walk(fn):
            if (
                isinstance(c, ast.Call)
                and isinstance(c.func, ast.Attribute)
                and c.func.attr in WIDE
                and len(c.args) == 1
                and isinstance(c.args[0], ast.Name)
                and c.args[0].id in counters
            ):
                hits.append(ast.unparse(c))
    return hits


@pytest.fixture(scope="module")
def wp_ready(tmp_path_factory):
    return init_warp(str(tmp_path_factory.mktemp("kcache")))


def test_wide_cast_of_a_loop_counter_goes_through_int():
    assert code(call("float64", name("k5"))) == "wp.float64(int(k5))"
    assert code(call("int64", name("k12"))) == "wp.int64(int(k12))"
    # other names, narrower casts and non-cast calls are left alone
    assert code(call("float64", name("v5"))) == "wp.float64(v5)"
    assert code(call("float32", name("k5"))) == "wp.float32(k5)"
    assert code(call("max", name("k5"))) == "wp.max(k5)"


def test_scan_finds_a_wide_cast_of_a_counter():
    """The scan below can say no: it flags the 1.1.0 shape."""
    src = "@wp.kernel\ndef k(a: wp.array(dtype=float)):\n    for k3 in range(2):\n        x = wp.int64(k3)\n"
    assert wide_casts_of_counters(src) == ["wp.int64(k3)"]
    assert wide_casts_of_counters(src.replace("wp.int64(k3)", "wp.int64(int(k3))")) == []


def test_no_generated_kernel_casts_a_counter_to_64_bits():
    """1.1.0 emitted this shape in ~1 of 150 seeds (0.2% failed to compile); none may remain."""
    bad = {}
    for s in (*WIDE_CAST_SEEDS, *range(300)):
        hits = wide_casts_of_counters(generate(s).source)
        if hits:
            bad[s] = hits
    assert not bad, f"seeds with a 64-bit cast of a loop counter (Warp retypes the counter): {bad}"


@pytest.mark.slow
def test_wide_cast_seeds_compile_and_launch(wp_ready, tmp_path):
    cases = [generate(s) for s in WIDE_CAST_SEEDS]
    fails = compile_batch(cases, tmp_path, "wide", enable_backward=False)
    assert not fails, "\n".join(f"seed {f.seed} {f.family} {f.stage}: {f.error}" for f in fails)


@pytest.mark.slow
def test_warp_still_retypes_a_cast_counter(wp_ready, tmp_path):
    """The Warp behaviour `call` works around; when this fails, the workaround may go."""
    import warp as wp

    src = (
        "import warp as wp\n\n"
        "@wp.kernel\n"
        "def k_retype(out: wp.array(dtype=wp.int32)):\n"
        "    i = wp.tid()\n"
        "    for k1 in range(2):\n"
        "        x = wp.float64(k1)\n"
        "        out[i] = k1 + 1\n"
    )
    path = tmp_path / "gm_retype.py"
    path.write_text(src)
    spec = importlib.util.spec_from_file_location("gm_retype", path)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules["gm_retype"] = mod
    spec.loader.exec_module(mod)
    with pytest.raises(Exception, match="Input types must be the same"):
        wp.launch(mod.k_retype, 1, inputs=[wp.zeros(1, dtype=wp.int32)], device="cpu")


@pytest.mark.parametrize("seed", CRASH_SEEDS)
def test_crash_seeds_generate(seed):
    c = generate(seed)
    assert c.seed == seed and c.source


def test_abs_plus_margin_keeps_its_lower_bound():
    """float16 widening of `abs(e) + 0.5` used to reach 0 and divide by zero (seed 3090)."""
    from grammar.fixers import away_from_zero
    from grammar.rand import SeededChooser

    e = Expr(name("x"), "float16", Interval(0.0, 512.5))
    shapes = []
    for s in range(40):
        r = away_from_zero(SeededChooser(s), e, 0.5)
        shapes.append(code(r.node))
        assert r.iv.lo >= 0.5 or r.iv.hi <= -0.5, (code(r.node), r.iv)
    assert "wp.abs(x) + wp.float16(0.5)" in shapes  # the shape that failed was drawn


def test_float16_sum_guard_accounts_for_rounding():
    """`0 - wp.float16(999)` rounds past the 1000 cap unless the guard checks the widened bound."""
    from grammar.scalar_ops import fits

    assert not fits("float16", Interval(-999.5, 999.5))
    assert fits("float16", Interval(-990.0, 990.0))


def test_bool_cast_and_bit_count_are_drawn_and_evaluated():
    """Both builtins appear in generated kernels and the oracle runs them."""
    import oracle
    from grammar import make_inputs

    found: dict[str, int] = {}
    for s in range(150):  # (1.5.0: half the default weight is on the modern families)
        c = generate(s)
        for b in ("bool", "bit_count"):
            if f"wp.{b}(" in c.source and b not in found:
                found[b] = s
                res = oracle.evaluate(c.module_source(), c.kernel_name, make_inputs(c), c.dim)
                assert res.arrays, (s, b)
    assert set(found) == {"bool", "bit_count"}, found


def test_bool_cast_never_takes_float16():
    """`wp.bool(<float16>)` does not compile with Warp 1.19 (ambiguous C++ conversion)."""
    from grammar.gen import Gen, Knobs
    from grammar.generate import default_registry
    from grammar.rand import SeededChooser

    reg = default_registry()
    (p,) = [q for q in reg.productions if q.name == "bool"]
    gen = Gen(SeededChooser(0), reg, {}, Knobs(), "k_0")
    gen.dtypes = ["float16"]
    assert p.args(gen, "bool") is None
    gen.dtypes = ["float16", "int8"]
    assert {p.args(gen, "bool") for _ in range(20)} == {("int8",)}
    assert p.args(gen, "int8") is None


# int64 clamp bounds and comparison thresholds computed in float64 rounded past INT64_MAX
# (generator 1.2.2): `wp.int64(9223372036854775808)` wraps in Warp, and seed 305770's kernel
# overflowed in a subtraction the guard had judged safe (the oracle called it invalid_kernel)
OUT_OF_RANGE_LITERAL_SEEDS = (305770, 300499, 300635, 300798, 301044)
_RANGES = {f"{k}{b}": (0 if k == "uint" else -(2 ** (b - 1)), (2**b if k == "uint" else 2 ** (b - 1)) - 1)
           for k in ("int", "uint") for b in (8, 16, 32, 64)}  # fmt: skip


def int_literals_out_of_range(source: str) -> list[str]:
    """Every `wp.<int dtype>(<integer literal>)` whose value its dtype cannot hold."""
    bad = []
    for c in ast.walk(ast.parse(source)):
        if not (isinstance(c, ast.Call) and isinstance(c.func, ast.Attribute) and c.func.attr in _RANGES):
            continue
        if len(c.args) != 1:
            continue
        a = c.args[0]
        neg = isinstance(a, ast.UnaryOp) and isinstance(a.op, ast.USub)
        v = a.operand if neg else a  # type: ignore[attr-defined]
        if isinstance(v, ast.Constant) and type(v.value) is int:
            val = -v.value if neg else v.value
            lo, hi = _RANGES[c.func.attr]
            if not lo <= val <= hi:
                bad.append(ast.unparse(c))
    return bad


def test_the_literal_scan_finds_an_out_of_range_literal():
    src = "def k(x):\n    return wp.int64(9223372036854775808) + wp.uint8(3) + wp.int8(-129)\n"
    assert sorted(int_literals_out_of_range(src)) == ["wp.int64(9223372036854775808)", "wp.int8(-129)"]


@pytest.mark.parametrize("seed", OUT_OF_RANGE_LITERAL_SEEDS)
def test_int_literals_stay_in_their_dtype(seed: int) -> None:
    from grammar import GenConfig, parse_weights
    from grammar.families import REACH_FAMILIES
    from grammar.generate import MODERN_WEIGHTS

    # the seeds' 1.2.2 kernels: with the reach and modern families off, a seed draws what it
    # drew before them
    off = (*REACH_FAMILIES, *MODERN_WEIGHTS)
    no_reach = GenConfig(weights=parse_weights(",".join(f"{f}=0" for f in off)))
    src = generate(seed, no_reach).source
    assert "int64(" in src  # int64 or uint64 literals are what went wrong
    assert int_literals_out_of_range(src) == []


def test_literal_refuses_a_value_its_dtype_cannot_hold():
    from grammar.expr import GuardViolation, literal

    assert code(literal("int64", 2**63 - 1).node) == "wp.int64(9223372036854775807)"
    with pytest.raises(GuardViolation, match="int64 literal 9223372036854775808"):
        literal("int64", 2**63)
    with pytest.raises(GuardViolation):
        literal("uint8", -1)


# GENERATOR_VERSION 1.4.0 bound `v = len(<vector>)` and changed v in a dynamic loop; Warp folds
# len() to a constant and refuses that ("Error mutating a constant v4 inside a dynamic loop");
# found by a 16-core 1.19.0 campaign (3 of 16,964 kernels)
LEN_CONSTANT_SEEDS = (705130, 709156, 713343)


@pytest.mark.slow
def test_a_len_bound_variable_changed_in_a_dynamic_loop_compiles(wp_ready, tmp_path):
    from grammar import GenConfig
    from grammar.generate import DEFAULT_WEIGHTS, MODERN_WEIGHTS

    # the seeds' 1.4.x kernels: the 1.4 default weights (the modern families off)
    v14 = GenConfig(weights={**DEFAULT_WEIGHTS, **dict.fromkeys(MODERN_WEIGHTS, 0.0)})
    cases = [generate(s, v14) for s in LEN_CONSTANT_SEEDS]
    assert all("int(len(" in c.source for c in cases)
    fails = compile_batch(cases, tmp_path, "lenconst", enable_backward=False)
    assert not fails, "\n".join(f"seed {f.seed} {f.family} {f.stage}: {f.error}" for f in fails)
