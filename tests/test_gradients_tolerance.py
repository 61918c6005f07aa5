"""The gradient check's tolerance follows the terms Warp's adjoint sums, not the final gradient:
a kernel whose outputs and true gradient are exactly zero (campaign seed 810) verifies despite
float32 rounding noise in Warp's adjoint, while a custom adjoint off by only 1e-4 relative is still
caught; documented reverse-mode limitations are screened; both tolerance parts are recorded."""

from __future__ import annotations

import ast
import importlib.util
import sys
from typing import Any

import numpy as np
import pytest

import oracle
from fuzz.engine import gradients as G
from grammar.case import MODULE_HEADER, KernelCase, ParamSpec

SOURCE = """
@wp.kernel
def cancel810(a: wp.array(dtype=wp.float32), out3: wp.array(dtype=wp.vec3f)):
    i = wp.tid()
    out3[i] = wp.vec3f(a[i], a[i], a[i]) - wp.vec3f(a[i])


@wp.func
def sq(x: float) -> float:
    return x * x


@wp.func_grad(sq)
def adj_sq(x: float, adj_ret: float):
    wp.adjoint[x] += 2.0002 * x * adj_ret


@wp.kernel
def off1e4(a: wp.array(dtype=wp.float32), b: wp.array(dtype=wp.float32), out: wp.array(dtype=wp.float32)):
    i = wp.tid()
    out[i] = sq(a[i]) + b[i]


@wp.func
def sq_right(x: float) -> float:
    return x * x


@wp.func_grad(sq_right)
def adj_sq_right(x: float, adj_ret: float):
    wp.adjoint[x] += 2.0 * x * adj_ret


@wp.kernel
def right(a: wp.array(dtype=wp.float32), b: wp.array(dtype=wp.float32), out: wp.array(dtype=wp.float32)):
    i = wp.tid()
    out[i] = sq_right(a[i]) + b[i]


@wp.kernel
def overwrite(a: wp.array(dtype=wp.float32), out: wp.array(dtype=wp.float32)):
    i = wp.tid()
    v = wp.vec3f(a[i], a[i] * 2.0, a[i] * 3.0)
    v[1] = 1.5
    out[i] = v[0] + v[1] + v[2]


@wp.kernel
def overwrite_attr(a: wp.array(dtype=wp.float32), out: wp.array(dtype=wp.float32)):
    i = wp.tid()
    m = wp.mat22f(a[i], a[i], a[i], a[i])
    m[1][1] = 1.0
    v = wp.vec2f(a[i], a[i])
    v.x = 2.0
    out[i] = m[0, 0] + m[1, 1] + v[0] + v[1]


@wp.kernel
def component_mul(a: wp.array(dtype=wp.float32), out: wp.array(dtype=wp.float32)):
    i = wp.tid()
    v = wp.vec3f(a[i], a[i] * 2.0, a[i] * 3.0)
    v[1] *= a[i]
    out[i] = v[0] + v[1] + v[2]


@wp.kernel
def component_add(a: wp.array(dtype=wp.float32), out: wp.array(dtype=wp.float32)):
    i = wp.tid()
    v = wp.vec3f(a[i], a[i] * 2.0, a[i] * 3.0)
    v[1] += a[i] * a[i]
    out[i] = v[0] + v[1] + v[2]


@wp.kernel
def array_mul(a: wp.array(dtype=wp.float32), out: wp.array(dtype=wp.float32)):
    i = wp.tid()
    out[i] = a[i]
    out[i] *= a[i]


@wp.kernel
def atomic_result(acc: wp.array(dtype=wp.int32), a: wp.array(dtype=wp.float32), out: wp.array(dtype=wp.float32)):
    i = wp.tid()
    out[i] = float(wp.atomic_add(acc, i, 1)) * a[i]
"""

N = 16


def _arr(name: str, dtype: str = "float32", role: str = "in") -> ParamSpec:
    return ParamSpec(name, "array", dtype, (N,), role)


A_OUT = [_arr("a"), _arr("out", role="out")]
PARAMS = {
    "cancel810": [_arr("a"), _arr("out3", "vec3f", "out")],
    "off1e4": [_arr("a"), _arr("b"), _arr("out", role="out")],
    "right": [_arr("a"), _arr("b"), _arr("out", role="out")],
    "overwrite": A_OUT,
    "overwrite_attr": A_OUT,
    "component_mul": A_OUT,
    "component_add": A_OUT,
    "array_mul": A_OUT,
    "atomic_result": [_arr("acc", "int32", "inout"), *A_OUT],
}


@pytest.fixture(scope="module")
def mod(tmp_path_factory: pytest.TempPathFactory) -> Any:
    import warp as wp

    d = tmp_path_factory.mktemp("gradtol")
    wp.config.quiet = True
    wp.config.kernel_cache_dir = str(d / "cache")
    wp.init()
    path = d / "wf_gradients_tolerance.py"
    path.write_text(MODULE_HEADER + SOURCE)
    spec = importlib.util.spec_from_file_location("wf_gradients_tolerance", path)
    assert spec is not None and spec.loader is not None
    m = importlib.util.module_from_spec(spec)
    sys.modules["wf_gradients_tolerance"] = m
    spec.loader.exec_module(m)
    wp.set_module_options({"enable_backward": True}, m)
    return m


HELPERS = {"off1e4": ["sq", "adj_sq"], "right": ["sq_right", "adj_sq_right"]}


def _source_of(name: str) -> str:
    """The kernel's own functions (its helpers and their custom adjoints, then the kernel)."""
    tree = ast.parse(SOURCE)
    parts = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name in [*HELPERS.get(name, []), name]:
            decos = "\n".join("@" + str(ast.get_source_segment(SOURCE, d)) for d in node.decorator_list)
            parts.append(decos + "\n" + str(ast.get_source_segment(SOURCE, node)))
    return "\n\n\n".join(parts) + "\n"


def _case(name: str, seed: int = 3) -> tuple[KernelCase, dict[str, Any]]:
    params = PARAMS[name]
    case = KernelCase(name, _source_of(name), "test", seed, "test", tuple(params), (N,))
    rng = np.random.default_rng(seed)
    inputs: dict[str, Any] = {}
    for p in params:
        comp = (3,) if p.dtype == "vec3f" else ()
        if p.role == "in":
            inputs[p.name] = rng.uniform(-2, 2, (N, *comp)).astype(np.float32)
        else:
            inputs[p.name] = np.zeros((N, *comp), np.float32)
    return case, inputs


def _check(mod: Any, name: str, seed: int = 1) -> G.GradientCheck:
    case, inputs = _case(name, seed + 2)
    case = KernelCase(name, case.source, "test", seed, "test", case.params, case.dim)
    return G.check_gradients(
        getattr(mod, name), case, inputs, "cpu", oracle.evaluate, np.random.default_rng(seed)
    )


def test_seed_810_cancelling_terms_verify(mod: Any) -> None:
    """Exact zero output and gradient; Warp's float32 adjoint leaves rounding noise (not zero)."""
    case, inputs = _case("cancel810")
    w = {"out3": np.random.default_rng(0).standard_normal((N, 3))}
    g = G.warp_gradients(mod.cancel810, inputs, case.dim, "cpu", w, ["a"])["a"]
    assert np.any(g != 0), "Warp's adjoint is exactly zero here: the test no longer exercises rounding noise"
    for seed in range(4):
        gc = _check(mod, "cancel810", seed)
        assert gc.status == G.VERIFIED, gc
        assert gc.tolerance_adjoint > 0 and gc.tolerance == pytest.approx(
            gc.tolerance_adjoint + gc.tolerance_fd
        )


def test_adjoint_off_by_1e4_relative_is_caught(mod: Any) -> None:
    for seed in range(3):
        gc = _check(mod, "off1e4", seed)
        assert gc.status == G.MISMATCH and gc.input == "a" and gc.error_sign != 0, gc
        assert gc.error > gc.tolerance > 0, gc
        # the same kernel with the right adjoint verifies, with room to spare
        ok = _check(mod, "right", seed)
        assert ok.status == G.VERIFIED and ok.error < ok.tolerance, ok
        assert ok.max_rel_err < 1e-5, ok


def test_tolerance_parts_are_recorded_in_json(mod: Any) -> None:
    d = _check(mod, "right").to_json()
    for key in ("tolerance", "tolerance_adjoint", "tolerance_fd", "error", "settings"):
        assert key in d, d
    assert d["tolerance_adjoint"] > 0 and d["tolerance_fd"] > 0
    assert d["settings"] == {"enable_vector_component_overwrites": False}


@pytest.mark.parametrize(
    ("name", "limitation", "why"),
    [
        ("overwrite", G.Limitation.COMPONENT_OVERWRITE, "v[1] = ..."),
        ("overwrite_attr", G.Limitation.COMPONENT_OVERWRITE, "m[1][1] = ..."),
        ("component_mul", G.Limitation.COMPONENT_OVERWRITE, "in-place Mult"),
        ("array_mul", G.Limitation.INPLACE_MUL_DIV, "in-place Mult on float array 'out'"),
    ],
)
def test_documented_limitations_are_unsupported(
    mod: Any, name: str, limitation: G.Limitation, why: str
) -> None:
    gc = _check(mod, name)
    assert gc.status == G.UNSUPPORTED and gc.limitation == limitation and why in gc.message, gc
    assert gc.settings == {"enable_vector_component_overwrites": False}


def test_screened_limitations_would_really_disagree(mod: Any) -> None:
    """The labels are earned: Warp's gradient is wrong on these kernels (d out/d a known by hand)."""
    x = np.array([1.3, 0.7, -2.1, 0.4], np.float32)
    expected = {"overwrite": 4 + 0 * x, "component_mul": 4 + 4 * x, "array_mul": 2 * x}
    for name, want in expected.items():
        inputs = {"a": x, "out": np.zeros(4, np.float32)}
        g = G.warp_gradients(getattr(mod, name), inputs, (4,), "cpu", {"out": np.ones(4)}, ["a"])["a"]
        assert not np.allclose(g, want, rtol=1e-3), (name, g, want)


def test_used_atomic_result_is_screened_and_really_disagrees(mod: Any) -> None:
    """Warp documents that the backward replay does not reproduce an atomic's returned value: the
    screen says `atomic-result` for a used return value of any dtype (here int32, in the kernel or
    returned from a helper), not for a discarded one, and Warp's gradient really is wrong there."""
    kernel_src = SOURCE[SOURCE.index("@wp.kernel\ndef atomic_result") :]
    case = KernelCase("atomic_result", kernel_src, "test", 1, "test", tuple(PARAMS["atomic_result"]), (N,))
    s = G.screen(case)
    assert s is not None and s.limitation == G.Limitation.ATOMIC_RESULT, s
    helper = (
        "@wp.func\ndef tick(c: wp.array(dtype=wp.int32), i: int) -> int:\n    return wp.atomic_add(c, i, 1)\n\n\n"
        + kernel_src.replace("wp.atomic_add(acc, i, 1)", "tick(acc, i)")
    )
    s = G.screen(KernelCase("atomic_result", helper, "test", 1, "test", tuple(PARAMS["atomic_result"]), (N,)))
    assert s is not None and s.limitation == G.Limitation.ATOMIC_RESULT, s
    discarded = kernel_src.replace("out[i] = float(wp.atomic_add(acc, i, 1)) * a[i]",
                                   "wp.atomic_add(acc, i, 1)\n    out[i] = a[i]")  # fmt: skip
    assert (
        G.screen(
            KernelCase("atomic_result", discarded, "test", 1, "test", tuple(PARAMS["atomic_result"]), (N,))
        )
        is None
    )
    acc = np.array([3, 5, 0, 7], np.int32)
    x = np.array([1.3, 0.7, -2.1, 0.4], np.float32)
    inputs = {"acc": acc, "a": x, "out": np.zeros(4, np.float32)}
    g = G.warp_gradients(mod.atomic_result, inputs, (4,), "cpu", {"out": np.ones(4)}, ["a"])["a"]
    assert not np.allclose(g, acc.astype(np.float32), rtol=1e-3), g  # d out/d a = the old value


def test_component_add_is_not_screened_and_verifies(mod: Any) -> None:
    gc = _check(mod, "component_add")
    assert gc.status == G.VERIFIED, gc


def test_screen_recognises_every_component_write_form() -> None:
    def screened(body: str) -> G.Screened | None:
        src = (
            "@wp.kernel\ndef k(a: wp.array(dtype=wp.float32), out: wp.array(dtype=wp.float32)):\n"
            "    i = wp.tid()\n" + "".join("    " + line + "\n" for line in body.splitlines())
        )
        case = KernelCase("k", src, "test", 1, "test", tuple(A_OUT), (N,))
        return G.screen(case)

    for body in ("v = wp.vec3()\nv[1] = a[i]", "v = wp.vec3()\nv.x = a[i]", "m = wp.mat22()\nm[1, 1] = a[i]",
                 "m = wp.mat22()\nm[1][1] = a[i]", "q = wp.quat()\nq[3] /= a[i]", "v = wp.vec3()\nv.y *= a[i]"):  # fmt: skip
        s = screened(body + "\nout[i] = a[i]")
        assert s is not None and s.limitation == G.Limitation.COMPONENT_OVERWRITE, body
    s = screened("g = wp.grad(wp.sin)(a[i])\nout[i] = g")
    assert s is not None and s.limitation == G.Limitation.GRAD_FORWARD_ONLY
    custom = (
        "@wp.func\ndef f(x: float) -> float:\n    return wp.sqrt(x)\n\n\n@wp.func_grad(f)\n"
        "def adj_f(x: float, adj_ret: float):\n    wp.adjoint[x] += wp.grad(wp.sqrt)(x) * adj_ret\n\n\n"
        "@wp.kernel\ndef k(a: wp.array(dtype=wp.float32), out: wp.array(dtype=wp.float32)):\n"
        "    i = wp.tid()\n    out[i] = f(a[i])\n"
    )
    assert G.screen(KernelCase("k", custom, "test", 1, "test", tuple(A_OUT), (N,))) is None
    for body in ("v = wp.vec3()\nv[1] += a[i]", "v = wp.vec3()\nv.x -= a[i]", "out[i] = a[i]"):
        assert screened(body + "\nout[i] = a[i]") is None, body
    # array stores are not component writes, whichever annotation form the arrays use
    src = "@wp.kernel\ndef k(a: wp.array[wp.float32], out: wp.array2d[wp.float32]):\n    i = wp.tid()\n    out[i, 0] = a[i]\n"
    assert G.screen(KernelCase("k", src, "test", 1, "test", tuple(A_OUT), (N,))) is None
    helper = "@wp.func\ndef h(o: wp.array[float], x: float):\n    o[0] = x\n\n\n" + src
    assert G.screen(KernelCase("k", helper, "test", 1, "test", tuple(A_OUT), (N,))) is None
