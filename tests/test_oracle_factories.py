"""Oracle vs real Warp (CPU) on kernel factories (closures): instances of one factory with
different captured functions and constants in one module, a `module="unique"` factory, captured
builtins and module constants, an inner @wp.func closing over the factory's parameters, a
captured int as an unrolled loop bound; custom adjoints and replays leave the forward alone.
What the oracle cannot bind from source is refused with the reason."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from kernels import harness as h

import oracle

N = 33

FACTORY = '''
import warp as wp

SCALE = 1.25


@wp.func
def fa(x: float) -> float:
    return wp.sin(x) * 2.0 + x


@wp.func
def fb(x: float) -> float:
    return x * x * 0.25 - 1.0


def make(scale, bias, f):
    """A kernel closing over a float, an int and a function."""

    @wp.func
    def mix(x: float) -> float:
        return f(x) * scale + float(bias)

    @wp.kernel{decorator}
    def kernel(a: wp.array(dtype=wp.float32), out: wp.array(dtype=wp.float32)):
        i = wp.tid()
        r = f(a[i]) * scale + mix(a[i] * 0.5)
        for t in range(bias):
            r += f(a[i] + float(t))
        out[i] = r

    return kernel


k_a = make(2.5, 2, fa)
k_b = make(-0.75, 1, fb)
k_c = make(SCALE, 3, wp.cos)
k_d = make(bias=1, f=fa, scale=-wp.float32(0.5))
'''


def _args() -> dict[str, Any]:
    x = np.random.default_rng(5).uniform(-3, 3, N).astype(np.float32)
    return {"a": x, "out": np.zeros(N, np.float32)}


def _source(decorator: str = "") -> str:
    return FACTORY.replace("{decorator}", decorator)


@pytest.fixture(scope="module")
def shared(warp_module: Any) -> Any:
    return warp_module("wf_factories_shared", _source())


@pytest.fixture(scope="module")
def unique(warp_module: Any) -> Any:
    return warp_module("wf_factories_unique", _source('(module="unique")'))


@pytest.mark.parametrize("kernel", ["k_a", "k_b", "k_c", "k_d"])
def test_factory_instances_in_one_module_match_warp(shared: Any, kernel: str) -> None:
    h.check_against_oracle(shared, _source(), kernel, _args(), (N,), N)


def test_the_pair_differs_so_a_mix_up_is_caught(shared: Any) -> None:
    """k_a and k_b share the factory, the key prefix and the module: comparing one's oracle with
    the other's Warp output must fail, or the per-instance tests above would prove nothing."""
    dev_b = h.run_device(shared, "k_b", _args(), (N,))
    orc_a = oracle.evaluate(_source(), "k_a", _args(), (N,))
    assert not h.compare(dev_b, orc_a).ok
    assert shared.k_a.key == shared.k_b.key  # one Python qualname: Warp tells them apart by hash
    assert shared.k_a.module is shared.k_b.module


@pytest.mark.parametrize("kernel", ["k_a", "k_b", "k_c"])
def test_unique_module_factory_matches_warp(unique: Any, kernel: str) -> None:
    k = getattr(unique, kernel)
    assert k.module.name != unique.__name__ and k.module.name.startswith(k.key)
    h.check_against_oracle(unique, _source('(module="unique")'), kernel, _args(), (N,), N)
    assert unique.k_a.module is not unique.k_b.module


CUSTOM = """
import warp as wp


@wp.func
def g(x: float, y: float) -> float:
    return x * y + wp.sin(x)


@wp.func_grad(g)
def g_grad(x: float, y: float, adj_ret: float):
    wp.adjoint[x] += 100.0 * adj_ret  # deliberately wrong: only the backward pass sees it


# the name is unique in the test session: a same-name @wp.func with a @wp.func_grad in another
# loaded module makes Warp 1.19.0 emit a call to replay_<name>_1 next to a declared replay_<name>_0
# (docs/grammar.md, "Found"), which is not what this test is about
@wp.func
def sq_replayed(x: float) -> float:
    return x * x


@wp.func_replay(sq_replayed)
def sq_replay(x: float):
    return x * x * 3.0  # differs from the forward: the forward must not call it


@wp.kernel
def k_custom(a: wp.array(dtype=wp.float32), out: wp.array(dtype=wp.float32)):
    i = wp.tid()
    out[i] = g(a[i], 1.5) + sq_replayed(a[i])
"""


def test_custom_adjoint_and_replay_leave_the_forward_alone(warp_module: Any) -> None:
    m = warp_module("wf_factories_custom", CUSTOM)
    orc = h.check_against_oracle(m, CUSTOM, "k_custom", _args(), (N,), N)
    x = _args()["a"].astype(np.float64)
    assert np.allclose(orc.arrays["out"], x * 1.5 + np.sin(x) + x * x, rtol=1e-6)


@pytest.mark.parametrize(
    ("tail", "why"),
    [
        ("k_e = make(np.float32(2.0), 1, fa)\n", "np.float32(2.0): pass a literal"),
        ("k_e = make(2.0, 1)\n", "without a value for a parameter"),
        ("k_e = make(2.0, 1, fa, 3)\n", "too many arguments"),
        ("k_e = make(2.0, 1, f=fa, g=fb)\n", "bad keyword argument"),
    ],
)
def test_unresolvable_factory_calls_are_refused_with_the_reason(tail: str, why: str) -> None:
    src = _source() + tail
    with pytest.raises(oracle.Unsupported, match="kernel factory") as e:
        oracle.evaluate(src, "k_e", _args(), (N,))
    assert why in str(e.value)
    # the module's other factory kernels are unaffected
    oracle.evaluate(src, "k_a", _args(), (N,))


@pytest.mark.parametrize(
    ("edit", "why"),
    [
        (
            ("    @wp.func\n    def mix", "    c = scale * 2.0\n\n    @wp.func\n    def mix"),
            "statement other than",
        ),
        (
            ("        i = wp.tid()\n", "        i = wp.tid()\n        scale = 1.0\n"),
            "rebinding a captured name",
        ),
        (("    return kernel\n", "    return mix\n"), "does not return its @wp.kernel"),
    ],
)
def test_factories_the_oracle_cannot_bind_are_refused(edit: tuple[str, str], why: str) -> None:
    src = _source().replace(*edit)
    assert src != _source()
    with pytest.raises(oracle.Unsupported, match=why):
        oracle.evaluate(src, "k_a", _args(), (N,))


FUNCTION_PARAMS = """
import warp as wp


@wp.func
def fa(x: float) -> float:
    return x * 2.0 + 1.0


@wp.func
def apply(f: wp.Function, x: float) -> float:
    return f(x) * 0.5 + x


@wp.func
def twice(g: wp.Function, x: float) -> float:
    return apply(g, apply(g, x))


def make(h):
    @wp.kernel
    def kernel(a: wp.array(dtype=wp.float32), out: wp.array(dtype=wp.float32)):
        i = wp.tid()
        out[i] = apply(fa, a[i]) + apply(wp.cos, a[i]) + twice(h, a[i])

    return kernel


k_fp = make(fa)
k_fp_cos = make(wp.cos)
"""


@pytest.mark.parametrize("kernel", ["k_fp", "k_fp_cos"])
def test_function_typed_parameters_match_warp(warp_module: Any, kernel: str) -> None:
    """`wp.Function` parameters: a module @wp.func, a builtin, a captured function passed on."""
    m = warp_module("wf_factories_fparams", FUNCTION_PARAMS)
    orc = h.check_against_oracle(m, FUNCTION_PARAMS, kernel, _args(), (N,), N)
    x = _args()["a"].astype(np.float64)
    g = (lambda v: 2 * v + 1) if kernel == "k_fp" else np.cos

    def ap(f: Any, v: np.ndarray) -> np.ndarray:
        return f(v) * 0.5 + v

    want = ap(lambda v: 2 * v + 1, x) + ap(np.cos, x) + ap(g, ap(g, x))
    assert np.allclose(orc.arrays["out"], want, rtol=1e-5)


def test_function_parameter_bound_to_a_value_is_refused() -> None:
    src = FUNCTION_PARAMS.replace("apply(fa, a[i])", "apply(a[i], a[i])")
    assert src != FUNCTION_PARAMS
    with pytest.raises(oracle.Unsupported, match="wp.Function"):
        oracle.evaluate(src, "k_fp", _args(), (N,))
