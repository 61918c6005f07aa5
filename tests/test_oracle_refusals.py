"""The oracle refuses what it cannot model (Unsupported) and what C++ leaves undefined (UB)."""

from __future__ import annotations

import numpy as np
import pytest

import oracle
from oracle import UndefinedBehavior, Unsupported

HEADER = "import warp as wp\n\n@wp.kernel\ndef k(a: wp.array(dtype={t}), b: wp.array(dtype={t}), out: wp.array(dtype={t})):\n    i = wp.tid()\n"


def _run(body: str, a, b, t: str = "int", n: int | None = None):
    src = HEADER.format(t=t) + "".join(f"    {line}\n" for line in body.splitlines())
    n = n if n is not None else len(a)
    return oracle.evaluate(src, "k", dict(a=a, b=b, out=np.zeros(len(a), a.dtype)), (n,))


I32 = np.int32


@pytest.mark.parametrize(
    ("body", "a", "b", "what"),
    [
        ("out[i] = a[i] + b[i]", [2**31 - 1, 1], [1, 1], "int32 overflow in Add"),
        ("out[i] = a[i] * b[i]", [65536, 1], [65536, 1], "int32 overflow in Mult"),
        ("out[i] = -a[i]", [-(2**31), 1], [0, 0], "int32 overflow in USub"),
        ("out[i] = a[i] / b[i]", [1, 2], [1, 0], "division by zero"),
        ("out[i] = a[i] % b[i]", [1, 2], [1, 0], "modulo by zero"),
        ("out[i] = a[i] / b[i]", [-(2**31), 2], [-1, 1], "INT_MIN / -1"),
        ("out[i] = a[i] << b[i]", [1, 1], [3, 32], "shift count"),
        ("out[i] = a[i] >> b[i]", [1, 1], [-1, 3], "shift count"),
        ("out[i] = a[i + 1]", [1, 2], [0, 0], "out of bounds"),
        ("out[i] = wp.abs(a[i])", [-(2**31), 0], [0, 0], "overflow in abs"),
    ],
)
def test_integer_ub(body, a, b, what):
    with pytest.raises(UndefinedBehavior) as ei:
        _run(body, np.array(a, I32), np.array(b, I32))
    assert what in ei.value.what
    assert ei.value.lineno == 6


def test_float_to_int_cast_out_of_range():
    src = HEADER.format(t="float") + "    out[i] = float(int(a[i] * b[i]))\n"
    a = np.array([1.0, 3e9], np.float32)
    with pytest.raises(UndefinedBehavior, match="float->int32 cast out of range"):
        oracle.evaluate(src, "k", dict(a=a, b=np.ones(2, np.float32), out=np.zeros(2, np.float32)), (2,))
    nan = np.array([1.0, np.nan], np.float32)
    with pytest.raises(UndefinedBehavior):
        oracle.evaluate(src, "k", dict(a=nan, b=np.ones(2, np.float32), out=np.zeros(2, np.float32)), (2,))


def test_ub_only_on_active_lanes():
    """A guarded division never executes with b == 0, so it is not UB."""
    r = _run("if b[i] != 0:\n    out[i] = a[i] / b[i]", np.array([4, 5], I32), np.array([2, 0], I32))
    assert r.arrays["out"].tolist() == [2, 0]
    r = _run(
        "out[i] = wp.where(b[i] != 0, 1, 0) if b[i] == 0 else a[i] / b[i]",
        np.array([4, 5], I32),
        np.array([2, 0], I32),
    )
    assert r.arrays["out"].tolist() == [2, 0]


def test_small_and_unsigned_ints_wrap():
    """int8 arithmetic is narrowed from C++'s promoted int and unsigned wraps: defined (measured)."""
    src = (
        "import warp as wp\n\n@wp.kernel\n"
        "def k(a: wp.array(dtype=wp.int8), u: wp.array(dtype=wp.uint32), o8: wp.array(dtype=wp.int8), ou: wp.array(dtype=wp.uint32)):\n"
        "    i = wp.tid()\n    o8[i] = a[i] + a[i]\n    ou[i] = u[i] - wp.uint32(5)\n"
    )
    r = oracle.evaluate(
        src,
        "k",
        dict(
            a=np.array([127, -128], np.int8),
            u=np.array([3, 7], np.uint32),
            o8=np.zeros(2, np.int8),
            ou=np.zeros(2, np.uint32),
        ),
        (2,),
    )
    assert r.arrays["o8"].tolist() == [-2, 0]
    assert r.arrays["ou"].tolist() == [2**32 - 2, 2]


@pytest.mark.parametrize(
    ("body", "construct"),
    [
        ("out[i] = wp.svd3(a[i])", "call wp.svd3"),
        ("with wp.ScopedDevice('cpu'):\n    out[i] = a[i]", "statement With"),
        ("out[i] = undefined_name", "name"),
        ("out[i] = a[i] + 1.0", "operator Add on int32 and float32"),
        ("out[i] = a[i] ** 2", "operator Pow on int32"),
        ("x = [1, 2]", "expression List"),
        ("out[i] = wp.min(a[i], 1.0)", "call wp.min"),
        ("print(a[i])", "call print"),
        ("out[i] = a[i:3]", "slice indexing"),
    ],
)
def test_unsupported_constructs(body, construct):
    with pytest.raises(Unsupported) as ei:
        _run(body, np.array([1, 2], I32), np.array([1, 2], I32))
    assert ei.value.construct.startswith(construct), ei.value.construct


def test_unknown_kernel_and_annotation():
    with pytest.raises(Unsupported, match="not found"):
        oracle.evaluate(HEADER.format(t="int") + "    pass\n", "nope", {}, (1,))
    with pytest.raises(Unsupported, match="annotation"):
        oracle.evaluate(HEADER.format(t="wp.mesh_query") + "    pass\n", "k", {}, (1,))


def test_registry_is_explicit_and_extensible():
    reg = oracle.default_registry()
    assert {"sin", "atan2", "where", "float32", "int"} <= oracle.supported_calls(reg)
    assert {"Add", "FloorDiv", "IfExp", "And", "Not"} <= oracle.supported_operators()
    small = oracle.Registry({k: v for k, v in reg.entries.items() if k != "sin"})
    src = HEADER.format(t="float") + "    out[i] = wp.sin(a[i])\n"
    args = dict(a=np.ones(2, np.float32), b=np.ones(2, np.float32), out=np.zeros(2, np.float32))
    assert oracle.evaluate(src, "k", args, (2,)).arrays["out"][0] == np.float32(np.sin(1.0))
    with pytest.raises(Unsupported, match="call wp.sin"):
        oracle.evaluate(src, "k", args, (2,), registry=small)
