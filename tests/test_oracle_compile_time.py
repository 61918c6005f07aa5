"""Compile-time and generic code, oracle vs real Warp (CPU): wp.constant, wp.static constant
expressions (declaration-time values), unrolled static loops, static if, function selection,
generic functions over several dtypes, overloads, tuple returns. Each kernel is also checked
against a NumPy anchor, and a mutated copy of its source must disagree with Warp's output (the
comparison can say no); `python -m fuzz check` verifies the same file."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from kernels import harness as h

import oracle

FILE = "compile_time.py"
N = 32


def _inputs() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    x = rng.uniform(-2.0, 2.0, N).astype(np.float32)
    n = rng.integers(-50, 50, N).astype(np.int32)
    return x, n


def _z(dt: type = np.float32) -> np.ndarray:
    return np.zeros(N, dt)


def _verify(mod, src, kernel: str, args: dict, mutation: tuple[str, str]) -> oracle.OracleResult:
    """Oracle == Warp on `kernel`; the oracle on the source with `mutation` applied != Warp."""
    orc = h.check_against_oracle(mod, src, kernel, args, (N,), N)
    old, new = mutation
    assert src.count(old) == 1, f"mutation target {old!r} not unique in {FILE}"
    wrong = oracle.evaluate(src.replace(old, new), kernel, args, (N,))
    dev = h.run_device(mod, kernel, args, (N,))
    assert not h.compare(dev, wrong).ok, f"{kernel}: the mutated source {new!r} still agrees with Warp"
    return orc


def test_constants_and_static_expressions(mod, src) -> None:
    x, n = _inputs()
    orc = _verify(
        mod, src, "constants", dict(x=x, n=n, out=_z()), ("wp.static(float(EARLY))", "float(EARLY)")
    )
    # wp.static(EARLY) is read when the kernel is declared (2), plain EARLY at codegen (7)
    ci, cf, cd = 3, 1.5, 0.125
    rem = np.fmod(n, ci)  # Warp's int % truncates like C
    want = x * cf + ci + x * cd + (rem + ci * ci - 1) + x * (cf * 2 + ci) + 2.0 + 7.0
    np.testing.assert_allclose(orc.arrays["out"], want, rtol=1e-5, atol=1e-5)


def test_static_range_unrolls_with_the_loop_variable_constant(mod, src) -> None:
    x, _ = _inputs()
    orc = _verify(
        mod, src, "static_range", dict(x=x, out=_z()), ("range(wp.static(N))", "range(wp.static(N - 1))")
    )
    acc = np.zeros(N)
    for j in range(4):
        acc = acc + x * (j + 0.5)
        acc = acc + 1.0 if j % 2 == 0 else acc - x * j
    np.testing.assert_allclose(orc.arrays["out"], acc + 3.0, rtol=1e-5, atol=1e-5)  # j keeps 3


def test_static_if_compiles_only_the_branch_taken(mod, src) -> None:
    x, _ = _inputs()
    orc = _verify(
        mod, src, "static_if", dict(x=x, out=_z()), ("elif wp.static(CI < 4):", "elif wp.static(CI < 3):")
    )
    np.testing.assert_allclose(orc.arrays["out"], (x + 1.0) + x * 10.0 + x, rtol=1e-5, atol=1e-5)


def test_function_selection_through_wp_static(mod, src) -> None:
    x, _ = _inputs()
    orc = _verify(
        mod, src, "select", dict(x=x, out=_z()), ("wp.static(OPS[1])(x[i])", "wp.static(OPS[0])(x[i])")
    )
    x64 = x.astype(np.float64)
    double, shift, square = x64 * 2, x64 - 0.75, x64 * x64
    want = shift + square + (x64 + 1) ** 2 + double + 2 * shift + 3 * square + np.sin(x64) + np.abs(x64)
    np.testing.assert_allclose(orc.arrays["out"], want, rtol=1e-4, atol=1e-4)


def test_generic_functions_over_several_dtypes_in_one_module(mod, src) -> None:
    x, n = _inputs()
    args = dict(x=x, n=n, out=_z(), iout=_z(np.int32))
    orc = _verify(mod, src, "generic", args, ("return a * b + a", "return a * b - a"))
    x64 = x.astype(np.float64)
    v = np.stack([x64 + 0.5, 1.0 + x64, np.ones(N)], 1)
    want = (x64 * 0.5 + x64) + (x64 * 0.25 + x64) + np.linalg.norm(v, axis=1) + 2 * x64 + (x64 + 1)
    np.testing.assert_allclose(orc.arrays["out"], want, rtol=1e-4, atol=1e-4)
    np.testing.assert_array_equal(orc.arrays["iout"], (n * 3 + n) + (n * 2 + n) + 2 * n + (n + 1))


def test_overloads_dispatch_by_argument_types(mod, src) -> None:
    x, n = _inputs()
    args = dict(x=x, n=n, out=_z(), iout=_z(np.int32))
    orc = _verify(mod, src, "overloads", args, ("return x * 2 + 1", "return x * 2 + 2"))
    # ov: float32 and int32 and two-argument overloads; mix: the concrete int32 beats the generic
    want = (x * 3 - 1) + (x - 0.5) + 2 * x + 2 * x
    np.testing.assert_allclose(orc.arrays["out"], want, rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(orc.arrays["iout"], (2 * n + 1) + 10 * n)


def test_tuple_returns_and_multiple_assignment(mod, src) -> None:
    x, n = _inputs()
    orc = _verify(
        mod, src, "tuples", dict(x=x, n=n, out=_z()), ("return a * 2.0, b + 3", "return a * 2.0, b + 4")
    )
    x64 = x.astype(np.float64)
    u = np.where(x64 > 0.25, x64, 0.25)
    v = np.where(x64 > 0.25, 0.25 - x64, x64 * 0.5)
    want = x64 * 2 + (n + 3) + u * 10 + v + (x64 + 2) * (x64 - 2) + ((n + 5) * (n - 5))
    np.testing.assert_allclose(orc.arrays["out"], want, rtol=1e-4, atol=1e-3)


@pytest.mark.parametrize(
    ("body", "construct"),
    [
        ("    k = 3\n    out[0] = float(wp.static(k))\n", "wp.static of a local variable"),
        ("    out[0] = float(wp.static(UNKNOWN))\n", "wp.static of a name"),
        ("    out[0] = float(wp.static(open('f')))\n", "wp.static of a call of open"),
        ("    out[0] = float(wp.static(1 // 0))\n", "wp.static expression that raises"),
        ("    out[0] = ov(wp.float64(1.0))\n", "call matching no overload"),
        ("    out[0] = wp.static(OPS)\n", "wp.static value of type tuple"),
    ],
)
def test_what_the_oracle_cannot_evaluate_is_refused_by_name(body: str, construct: str) -> None:
    src = (
        "import warp as wp\n\n@wp.func\ndef f(x: float) -> float:\n    return x\n\n"
        "@wp.func\ndef ov(x: float) -> float:\n    return x\n\n@wp.func\ndef ov(x: int) -> int:\n    return x\n\n"
        "OPS = (f,)\n\n@wp.kernel\ndef k(out: wp.array(dtype=wp.float32)):\n" + body
    )
    with pytest.raises(oracle.Unsupported) as e:
        oracle.evaluate(src, "k", {"out": np.zeros(1, np.float32)}, (1,))
    assert e.value.construct == construct, str(e.value)


def test_fuzz_check_verifies_the_hand_written_file() -> None:
    r = subprocess.run(
        [sys.executable, "-m", "fuzz", "check", str(h.KERNEL_DIR / FILE), "--devices", "cpu"],
        capture_output=True,
        text=True,
        cwd=h.REPO,
        timeout=600,
    )
    rows = {
        line.split("│")[1].strip(): line.split("│")[3].strip()
        for line in r.stdout.splitlines()
        if line.startswith("│") and line.count("│") == 5 and line.split("│")[1].strip()
    }
    kernels = ("constants", "static_range", "static_if", "select", "generic", "overloads", "tuples")
    assert {k: rows.get(k) for k in kernels} == dict.fromkeys(kernels, "verified"), r.stdout[-3000:]


def test_generic_kernel_runs_as_its_overload_stub() -> None:
    wp = h.init_warp()
    path = h.KERNEL_DIR / "compile_time_generic.py"
    gmod = h.import_file(path, "oracle_test_kernels_compile_time_generic")
    gsrc = path.read_text()
    x, n = _inputs()
    for data, s, dt in ((x.astype(np.float64), np.float64(0.5), wp.float64), (n, np.int32(3), wp.int32)):
        out = wp.zeros(N, dtype=dt, device="cpu")
        wp.launch(
            gmod.scale, dim=N, inputs=[wp.array(data, dtype=dt, device="cpu"), dt(s), out], device="cpu"
        )
        orc = oracle.evaluate(gsrc, "scale", {"x": data, "s": s, "out": np.zeros(N, data.dtype)}, (N,))
        np.testing.assert_array_equal(orc.arrays["out"], out.numpy())
        np.testing.assert_array_equal(orc.arrays["out"], s * data + data)
        wrong = oracle.evaluate(
            gsrc.replace("out[i] = s * x[i] + x[i]", "out[i] = s * x[i] - x[i]"),
            "scale",
            {"x": data, "s": s, "out": np.zeros(N, data.dtype)},
            (N,),
        )
        assert not np.array_equal(wrong.arrays["out"], out.numpy())
