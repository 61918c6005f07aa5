"""Layout of the `factories` family: the case's kernel is made by a kernel factory (a closure).

Warp users build kernels in Python functions that close over constants and `@wp.func`s; Warp
keys each instance by what it captured, and closures with different captured functions have
collided in one module. The source holds two `@wp.func` helpers, a factory

    def k_7_make(scale, bias, f):
        @wp.func
        def mix(x: float) -> float:
            return f(x) * scale + float(bias)

        @wp.kernel                      # or @wp.kernel(module="unique")
        def kernel(a: ..., out: ...):
            ...                         # f(...), mix(...), scale, bias, `for t in range(bias)`
        return kernel

and two instances in one module, `k_7_twin = k_7_make(..., k_7_fb)` and `k_7 = k_7_make(...,
k_7_fa)` (in either order; the twin sometimes captures a `wp.<builtin>` instead): the case runs
`k_7`, so a collision with the twin's captured function is a mismatch. A captured constant is a
literal or, sometimes, a module constant `k_7_SCALE`. Every module-level name starts with the
kernel name, so a batch module holds many such cases.
"""

from __future__ import annotations

import libcst as cst

from grammar.dtypes import Interval
from grammar.expr import name, wp_attr
from grammar.family_base import dim1
from grammar.fixers import clamp_to
from grammar.gen import Gen

FLOAT_RANGE = 4.0
# smooth helpers on [-4, 4] (a captured function's body)
HELPER_FORMS = (
    "wp.sin(x) * 2.0 + x",
    "x * x * 0.25 - 1.0",
    "wp.tanh(x) * 3.0",
    "wp.cos(x) - 0.5 * x",
    "wp.exp(x * 0.25)",
    "x * 0.75 + 1.0",
)
BUILTIN_CAPTURES = ("wp.sin", "wp.cos", "wp.tanh")
INPUT_RANGES = ((-1.0, 1.0), (-4.0, 4.0), (0.5, 4.0), (0.0, 1.0))


def code(node: cst.CSTNode) -> str:
    return cst.Module([]).code_for_node(node)


def float_operand(gen: Gen) -> str:
    """A float32 generator expression clamped to [-4, 4], parenthesised."""
    return f"({code(clamp_to(gen.expr('float32', 2), -FLOAT_RANGE, FLOAT_RANGE).node)})"


def kernel_def(gen: Gen, body: list[cst.BaseStatement], fname: str, decorator: str) -> str:
    """The kernel `fname` with the case's parameters, `i = wp.tid()` and `body`, as source text;
    `decorator` is the text after `@` (`wp.kernel`, `wp.kernel(enable_backward=False)`)."""
    tid = cst.SimpleStatementLine(
        [cst.Assign([cst.AssignTarget(name(gen.idx[0].name))], cst.Call(wp_attr("tid")))]
    )
    params = [cst.Param(name(p.spec.name), cst.Annotation(p.annotation)) for p in gen.params]
    fn = cst.FunctionDef(
        name=name(fname),
        params=cst.Parameters(params),
        body=cst.IndentedBlock([tid, *body]),
        decorators=[cst.Decorator(cst.parse_expression(decorator))],
    )
    return code(fn)


def factory_body(gen: Gen) -> list[cst.BaseStatement]:
    """The inner kernel's body: reads of the captured `f`, `mix`, `scale` and `bias`."""
    dim1(gen)
    gen.dtypes = ["float32", "int32"]
    gen.add_array("float32", "in", Interval(*gen.rng.pick(INPUT_RANGES)))
    if gen.rng.chance(0.5):
        gen.add_array("int32", "in", gen.input_interval("int32"))
    out = gen.add_array("float32", "out", None)
    gen.arrays.remove(out)
    k = gen.kname
    fa, fb = _two(gen)
    text = "\n\n".join(
        f"@wp.func\ndef {nm}(x: float) -> float:\n    return {form}\n"
        for nm, form in ((f"{k}_fa", fa), (f"{k}_fb", fb))
    )
    gen.helpers.extend(cst.parse_module(text).body)  # type: ignore[arg-type]
    lines = [f"x0 = {float_operand(gen)}", "r0 = f(x0) * scale", f"r1 = mix({float_operand(gen)})"]
    terms = ["r0", "r1"]
    if gen.rng.chance(0.5):
        lines.append(f"r2 = {float_operand(gen)} * float(bias)")
        terms.append("r2")
    # a function passed to a `wp.Function` parameter (from 1.15.0): the captured one, a module
    # @wp.func or a builtin; Warp specializes the callee per function argument
    if "function_params" not in gen.lacking and gen.rng.chance(0.5):
        gen.helpers.extend(cst.parse_module(_apply_text(k)).body)  # type: ignore[arg-type]
        other = gen.rng.pick((f"{k}_fb", *BUILTIN_CAPTURES))
        lines.append(f"r4 = {k}_twice(f, {float_operand(gen)}) + {k}_apply({other}, {float_operand(gen)})")
        terms.append("r4")
    if gen.rng.chance(0.3):  # a captured int as a loop bound: a constant range, unrolled
        lines += ["r3 = float(0.0)", "for t in range(bias):", f"    r3 += f({float_operand(gen)} + float(t))"]
        terms.append("r3")
    lines.append(f"{out.name}[i] = {' + '.join(terms)}")
    return list(cst.parse_module("\n".join(lines) + "\n").body)


def _apply_text(k: str) -> str:
    return (
        f"@wp.func\ndef {k}_apply(g: wp.Function, x: float) -> float:\n    return g(x) * 0.5 + x\n\n\n"
        f"@wp.func\ndef {k}_twice(g: wp.Function, x: float) -> float:\n    return {k}_apply(g, {k}_apply(g, x))\n"
    )


def _two(gen: Gen) -> tuple[str, str]:
    forms = list(HELPER_FORMS)
    a = gen.rng.pick(forms)
    forms.remove(a)
    return a, gen.rng.pick(forms)


def _indent(text: str, by: str = "    ") -> str:
    return "".join(by + ln if ln.strip() else ln for ln in text.splitlines(keepends=True))


def factory_render(gen: Gen, body: list[cst.BaseStatement]) -> str:
    """Helpers, the factory around the kernel, then the two instances (see the module doc)."""
    k = gen.kname
    decorator = 'wp.kernel(module="unique")' if gen.rng.chance(0.3) else "wp.kernel"
    inner = "@wp.func\ndef mix(x: float) -> float:\n    return f(x) * scale + float(bias)\n"
    kernel = kernel_def(gen, body, "kernel", decorator)
    factory = f"def {k}_make(scale, bias, f):\n{_indent(inner)}\n{_indent(kernel)}\n    return kernel\n"
    consts = ""
    scale = gen.rng.pick(("0.5", "1.5", "2.5", "-0.75", "3.0"))
    if gen.rng.chance(0.3):
        consts = f"{k}_SCALE = {scale}\n\n\n"
        scale = f"{k}_SCALE"
    bias = gen.rng.integer(1, 3)
    twin_f = gen.rng.pick(BUILTIN_CAPTURES) if gen.rng.chance(0.25) else f"{k}_fb"
    twin_scale = gen.rng.pick(("0.5", "1.5", "2.5", "-0.75", "3.0"))
    twin = f"{k}_twin = {k}_make({twin_scale}, {gen.rng.integer(1, 3)}, {twin_f})\n"
    main = f"{k} = {k}_make({scale}, {bias}, {k}_fa)\n"
    instances = twin + main if gen.rng.chance(0.5) else main + twin
    helpers = cst.Module(body=list(gen.helpers)).code
    return f"{helpers}\n\n{consts}{factory}\n\n{instances}"
