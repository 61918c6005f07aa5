"""Layout of the `custom_adjoint` family: `@wp.func`s with hand-written `@wp.func_grad` adjoints
(and `@wp.func_replay` replays), and kernels whose `enable_backward` differs from the module's.

A custom adjoint replaces Warp's own derivative of a function, so the gradient check (finite
differences of the oracle, which reads only the forward code) verifies it like any other
backward code; the self-test makes it wrong on purpose (`fuzz.selftest`, kind `adjoint`). Each
kernel calls `<k>_g(x, y)` (two float arguments, a correct `@wp.func_grad` from FORMS2) and
sometimes `<k>_h(x)` (one argument, its adjoint from FORMS1, and in half of those a
`@wp.func_replay` recomputing the same value, which the backward pass's replay then calls).
`x`/`y` are input elements plus a clamped generator expression, so the derivative reaches the
inputs. One kernel in five is `@wp.kernel(enable_backward=False)`: no backward code, which the
gradient check skips with the reason instead of comparing a zero gradient.
"""

from __future__ import annotations

import libcst as cst

from grammar.dtypes import Interval
from grammar.factory_family import float_operand, kernel_def
from grammar.family_base import dim1
from grammar.gen import Gen

# (forward of x, y; d/dx; d/dy): smooth and finite for |x|, |y| <= 8
FORMS2 = (
    ("x * y + wp.sin(x)", "y + wp.cos(x)", "x"),
    ("wp.exp(x * 0.25) * y", "0.25 * wp.exp(x * 0.25) * y", "wp.exp(x * 0.25)"),
    ("x / (y * y + 1.0)", "1.0 / (y * y + 1.0)", "-2.0 * x * y / ((y * y + 1.0) * (y * y + 1.0))"),
    ("x * x * y - y", "2.0 * x * y", "x * x - 1.0"),
    ("wp.sin(x) * wp.cos(y)", "wp.grad(wp.sin)(x) * wp.cos(y)", "-wp.sin(x) * wp.sin(y)"),
)
# (forward of x; d/dx)
FORMS1 = (
    ("x * x * 0.5 + 2.0 * x", "x + 2.0"),
    ("wp.tanh(x) * 2.0", "2.0 * (1.0 - wp.tanh(x) * wp.tanh(x))"),
    ("x * x * x * 0.1", "0.3 * x * x"),
)
INPUT_RANGES = ((-1.0, 1.0), (-4.0, 4.0), (0.5, 4.0))
NO_BACKWARD_SHARE = 0.2


def _helpers(gen: Gen, with_h: bool) -> str:
    k = gen.kname
    # `wp.grad(wp.sin)` inside an adjoint: from 1.11.0 (gate grad_builtin)
    forms = (
        FORMS2 if "grad_builtin" not in gen.lacking else tuple(f for f in FORMS2 if "wp.grad(" not in f[1])
    )
    f, dx, dy = gen.rng.pick(forms)
    text = (
        f"@wp.func\ndef {k}_g(x: float, y: float) -> float:\n    return {f}\n\n\n"
        f"@wp.func_grad({k}_g)\ndef {k}_g_grad(x: float, y: float, adj_ret: float):\n"
        f"    wp.adjoint[x] += ({dx}) * adj_ret\n    wp.adjoint[y] += ({dy}) * adj_ret\n"
    )
    if with_h:
        h, dh = gen.rng.pick(FORMS1)
        text += (
            f"\n\n@wp.func\ndef {k}_h(x: float) -> float:\n    return {h}\n\n\n"
            f"@wp.func_grad({k}_h)\ndef {k}_h_grad(x: float, adj_ret: float):\n"
            f"    wp.adjoint[x] += ({dh}) * adj_ret\n"
        )
        if gen.rng.chance(0.5):  # Warp matches a replay by its parameters: no return annotation
            text += f"\n\n@wp.func_replay({k}_h)\ndef {k}_h_replay(x: float):\n    return {h}\n"
    return text


def custom_adjoint_body(gen: Gen) -> list[cst.BaseStatement]:
    dim1(gen)
    gen.dtypes = ["float32", "int32"]
    a = gen.add_array("float32", "in", Interval(*gen.rng.pick(INPUT_RANGES)))
    b = gen.add_array("float32", "in", Interval(*gen.rng.pick(INPUT_RANGES)))
    out = gen.add_array("float32", "out", None)
    gen.arrays.remove(out)
    k = gen.kname
    with_h = gen.rng.chance(0.6)
    lines = [
        f"x0 = {a.name}[i] + 0.5 * {float_operand(gen)}",
        f"y0 = {b.name}[i] * {gen.rng.pick(('0.5', '1.0', '-1.5'))} + 0.25 * {float_operand(gen)}",
        f"r0 = {k}_g(x0, y0)",
    ]
    terms = ["r0"]
    if with_h:
        lines.append(f"r1 = {k}_h(y0) * x0")
        terms.append("r1")
    if gen.rng.chance(0.4):
        lines.append(f"r2 = {k}_g({b.name}[i], x0 * 0.5)")
        terms.append("r2")
    lines.append(f"{out.name}[i] = {' + '.join(terms)}")
    gen.helpers.extend(cst.parse_module(_helpers(gen, with_h)).body)  # type: ignore[arg-type]
    return list(cst.parse_module("\n".join(lines) + "\n").body)


def custom_adjoint_render(gen: Gen, body: list[cst.BaseStatement]) -> str:
    """Helpers and custom adjoints, then the kernel (one in five without backward code)."""
    off = gen.rng.chance(NO_BACKWARD_SHARE)
    decorator = "wp.kernel(enable_backward=False)" if off else "wp.kernel"
    helpers = cst.Module(body=list(gen.helpers)).code
    return f"{helpers}\n\n{kernel_def(gen, body, gen.kname, decorator)}"
