"""The `compile_time` family: code Warp resolves while it generates the kernel, and generic code.

A kernel draws 2-4 snippets (the reach-family shape, grammar.reach.Reach: a few statements
ending in a float32 local, the locals summed into the output), each one of:
- `wp.constant` module constants (float32, int32, a typed float64) read in expressions;
- `wp.static(expr)` constant expressions over those constants and literals;
- unrolled loops `for j in range(wp.static(N))` whose body reads `wp.static(f(j))`, a static
  `if` on the loop variable, a function chosen by `wp.static(OPS[j])`, and sometimes the
  variable after the loop (it keeps its last value);
- static conditionals (`if wp.static(c):` / `elif` / `else`, `a if wp.static(c) else b`); the
  branch not taken may even assign another type, since Warp never compiles it;
- a function chosen from a module-level tuple, list or dict of `@wp.func`s or `wp` builtins,
  called as `wp.static(OPS[k])(x)` or bound first (`f = wp.static(OPS[k])`);
- generic `@wp.func`s (`typing.Any` parameters, scalar or array) called with several dtypes in
  one kernel;
- overloads: one name defined for int32 and float32 or float64, sometimes for two arguments
  and as a generic next to the concrete ones (the generic instantiated for int64);
- tuple returns (`-> tuple[float, int]`, inferred, from a generic function, early returns)
  unpacked by multiple assignment;
- and in GENERIC_KERNEL_SHARE of the kernels, the kernel itself generic (`typing.Any`
  parameters) with its instance declared by `@wp.overload` (grammar.generic_kernel).
Operands are the generator's own expressions, clamped (floats to [-4, 4], ints to [0, 20]), so
every value stays small: no overflow, no division, no integer conversion of a non-finite value.
Module-level names carry the kernel's name, so many kernels share one module.
"""

from __future__ import annotations

import libcst as cst

from grammar.dtypes import Interval
from grammar.gen import Gen
from grammar.generic_kernel import generic_kernel
from grammar.reach import Reach
from grammar.render import render
from grammar.scope import Var

# bodies of the selectable float -> float helpers (all finite on [-4, 4])
_UNARY_BODIES = ("x * 2.0 + 1.0", "wp.sin(x) * 3.0", "x - 0.5 * x * x", "wp.abs(x) + 0.25", "wp.min(x, 1.0)")
_BUILTINS = ("wp.sin", "wp.cos", "wp.abs", "wp.tanh")
# generic bodies over (a, b): defined for every scalar type, and for vectors when `vec` is set
_GENERIC_BODIES = (("a + b", True), ("a * b + a", False), ("wp.max(a, b) - b", True), ("a - b * b", False))


class CompileTime(Reach):
    """A compile_time kernel under construction: Reach plus module constants and tables."""

    def __init__(self, gen: Gen) -> None:
        super().__init__(gen)
        self.values: dict[str, object] = {}  # each module constant's Python value
        self.ops_keys: list[str] = []  # the index expressions of the function table
        self.generic_vec = False  # the generic body is defined for vectors too
        self.ov_kinds: list[str] = []  # which overloads of `{K}_ov` exist

    def shuffled(self, xs: list[str]) -> list[str]:
        rest, out = list(xs), []
        while rest:
            x = self.pick(rest)
            rest.remove(x)
            out.append(x)
        return out

    def const(self, kind: str) -> str:
        """A module-level `wp.constant` of `kind` ("float", "int", "count", "flag", "double")."""
        key = f"C{kind}"
        if key not in self.helpers:
            v: object
            if kind == "float":
                v = float(self.pick(("0.25", "0.5", "1.5", "2.0", "-0.75", "3.0")))
            elif kind in ("int", "count"):
                v = self.k_int(1, 6 if kind == "int" else 4)
            elif kind == "flag":
                v = self.gen.rng.chance(0.5)
            else:
                v = float(self.pick(("0.125", "1.25", "-2.5")))
            self.values[key] = v
            text = f"wp.float64({v!r})" if kind == "double" else repr(v)
            self.helper(key, f"{{K}}_{key} = wp.constant({text})\n")
        return f"{self.k}_{key}"

    def typing(self) -> None:
        self.helper("typing", "import typing\n")

    def unary_funcs(self, n: int) -> list[str]:
        """`n` distinct float -> float @wp.funcs (defined once per kernel, in order)."""
        names = []
        for j in range(n):
            key = f"u{j}"
            if key not in self.helpers:
                body = self.pick(_UNARY_BODIES)
                self.helper(key, f"@wp.func\ndef {{K}}_{key}(x: float) -> float:\n    return {body}\n")
            names.append(f"{self.k}_{key}")
        return names

    def table(self) -> tuple[str, list[str]]:
        """A module-level table of functions: its name and its index expressions (`0`, `"b"`)."""
        if "OPS" not in self.helpers:
            form = self.pick(("tuple", "list", "dict", "builtins", "mixed"))
            if form == "builtins":
                fns = [self.pick(_BUILTINS) for _ in range(self.k_int(2, 3))]
            else:
                fns = self.unary_funcs(self.k_int(2, 3))
                if form == "mixed":
                    fns.append(self.pick(_BUILTINS))
            if form == "dict":
                keys = [f'"{c}"' for c in "abc"[: len(fns)]]
                text = "{" + ", ".join(f"{k}: {f}" for k, f in zip(keys, fns, strict=True)) + "}"
            else:
                keys = [str(j) for j in range(len(fns))]
                text = ("[{}]" if form == "list" else "({},)").format(", ".join(fns))
            self.helper("OPS", f"{{K}}_OPS = {text}\n")
            self.ops_keys = keys
        return f"{self.k}_OPS", self.ops_keys


Snippet = tuple[list[str], str]


def ct_constant(c: CompileTime) -> Snippet:
    res = c.fresh("r")
    form = c.k_int(0, 2)
    if form == 0:
        e = f"{c.fx()} * {c.const('float')} + float({c.const('int')})"
    elif form == 1:
        e = f"float({c.const('double')} * wp.float64({c.fx()}))"
    else:
        ci = c.const("int")
        e = f"float({c.ix()} % {ci} + {ci})"
    return [f"{res} = {e}"], res


def ct_static_expr(c: CompileTime) -> Snippet:
    res = c.fresh("r")
    cf, ci = c.const("float"), c.const("int")
    form = c.k_int(0, 4)
    if form == 0:
        e = f"{c.fx()} * wp.static({cf} * 2.0 + float({ci}))"
    elif form == 1:
        e = f"float({c.ix()} + wp.static({ci} * {ci} - 1))"
    elif form == 2:
        e = f"wp.static(float({ci}) / 4.0) - {c.fx()}"
    elif form == 3:
        e = f"{c.fx()} * wp.static(max({cf}, 1.5) if {ci} > 3 else min({cf}, 0.5))"
    else:
        e = f"float(wp.static(wp.float64({cf} * 2.0)) * wp.float64({c.fx()}) + {c.const('double')})"
    return [f"{res} = {e}"], res


def ct_static_range(c: CompileTime) -> Snippet:
    acc, j, res = c.fresh("acc"), c.fresh("j"), c.fresh("r")
    n = c.const("count")
    lines = [f"{acc} = float(0.0)", f"for {j} in range(wp.static({n})):"]
    form = c.k_int(0, 3)
    if form == 0:
        lines.append(f"    {acc} = {acc} + {c.fx()} * wp.static(float({j}) + 0.5)")
    elif form == 1:
        lines += [
            f"    if wp.static({j} % 2 == 0):",
            f"        {acc} = {acc} + {c.fx()}",
            "    else:",
            f"        {acc} = {acc} - {c.fx()} * wp.static(float({j}))",
        ]
    elif form == 2:
        ops, keys = c.table()
        if keys[0].startswith('"'):
            sel = f"{ops}[({', '.join(keys)})[{j} % {len(keys)}]]"
        else:
            sel = f"{ops}[{j} % {len(keys)}]"
        lines.append(f"    {acc} += wp.static({sel})({c.fx()})")
    else:
        lines.append(f"    {acc} += float({j} * {c.ix(0, 5)}) * 0.125")
    tail = f" + float({j})" if c.gen.rng.chance(0.4) else ""  # the variable keeps its last value
    lines.append(f"{res} = {acc}{tail}")
    return lines, res


def ct_static_if(c: CompileTime) -> Snippet:
    res = c.fresh("r")
    ci, flag = c.const("int"), c.const("flag")
    vi, vf = c.values["Cint"], c.values["Cflag"]
    assert isinstance(vi, int)
    form = c.k_int(0, 3)
    if form == 3:
        return [f"{res} = {c.fx()} if wp.static({flag}) else {c.fx()} * 2.0"], res
    if form == 2:
        return [
            f"if wp.static({ci} == 1):",
            f"    {res} = {c.fx()}",
            f"elif wp.static({ci} < 4):",
            f"    {res} = {c.fx()} + 1.0",
            "else:",
            f"    {res} = {c.fx()} - 1.0",
        ], res
    test, taken = (
        (f"wp.static({flag})", bool(vf))
        if form == 0
        else (f"wp.static(not {flag} or {ci} > 3)", not vf or vi > 3)
    )
    # the branch not taken is never compiled: sometimes it binds the name to an int
    dead = c.ix() if c.gen.rng.chance(0.3) else c.fx()
    live = c.fx()
    first, second = (live, dead) if taken else (dead, live)
    return [f"if {test}:", f"    {res} = {first}", "else:", f"    {res} = {second}"], res


def ct_select(c: CompileTime) -> Snippet:
    res = c.fresh("r")
    ops, keys = c.table()
    k = c.pick(keys)
    if c.gen.rng.chance(0.4):
        f = c.fresh("f")
        return [f"{f} = wp.static({ops}[{k}])", f"{res} = {f}({c.fx()}) + {f}({c.fx()})"], res
    return [f"{res} = wp.static({ops}[{k}])({c.fx()})"], res


def ct_generic(c: CompileTime) -> Snippet:
    c.typing()
    res = c.fresh("r")
    if "gen" not in c.helpers:
        body, c.generic_vec = c.gen.rng.pick(list(_GENERIC_BODIES))
        c.helper("gen", f"@wp.func\ndef {{K}}_gen(a: typing.Any, b: typing.Any):\n    return {body}\n")
    g = f"{c.k}_gen"
    terms = [f"{g}({c.fx()}, {c.fx()})", f"float({g}({c.ix()}, {c.ix()}))"]
    if c.gen.rng.chance(0.5):
        terms.append(f"float({g}(wp.float64({c.fx()}), wp.float64({c.fx()})))")
    if c.gen.rng.chance(0.4):
        terms.append(f"float({g}(wp.int64({c.ix()}), wp.int64({c.ix()})))")
    if c.generic_vec and c.gen.rng.chance(0.4):
        v1 = f"wp.vec3({c.fx()}, {c.fx()}, {c.fx()})"
        v2 = f"wp.vec3({c.fx()}, {c.fx()}, {c.fx()})"
        terms.append(f"wp.length({g}({v1}, {v2}))")
    if c.gen.rng.chance(0.4):
        ga = c.helper(
            "garr",
            "@wp.func\ndef {K}_garr(arr: wp.array(dtype=typing.Any), j: int):\n    return arr[j] + arr[j]\n",
        )
        assert c.fin is not None and c.iin is not None
        terms.append(f"{ga}({c.fin.name}, i) + float({ga}({c.iin.name}, i)) * 0.001")
    return [f"{res} = {' + '.join(c.shuffled(terms))}"], res


def ct_overload(c: CompileTime) -> Snippet:
    """One name defined for int32 and one float type (float32 or float64), sometimes for two
    arguments and as a generic next to the concrete ones. Never float32 and float64 paths in one
    set: the gradient check's float64 twin of the source would merge them into one signature."""
    res = c.fresh("r")
    if not c.ov_kinds:
        defs = [
            ("i32", "@wp.func\ndef {K}_ov(x: wp.int32) -> wp.int32:\n    return x * 2 + 1\n"),
            c.gen.rng.pick(
                [
                    ("f32", "@wp.func\ndef {K}_ov(x: wp.float32) -> wp.float32:\n    return x * 3.0 - 1.0\n"),
                    (
                        "f64",
                        "@wp.func\ndef {K}_ov(x: wp.float64) -> wp.float64:\n    return x * wp.float64(0.5)\n",
                    ),
                ]
            ),
        ]
        if c.gen.rng.chance(0.5):
            defs.append(("two", "@wp.func\ndef {K}_ov(x: float, y: float) -> float:\n    return x - y\n"))
        if c.gen.rng.chance(0.5):
            c.typing()
            defs.append(("any", "@wp.func\ndef {K}_ov(x: typing.Any):\n    return x + x\n"))
        order = c.shuffled([k for k, _ in defs])
        texts = dict(defs)
        c.helper("ov", "\n\n".join(texts[k] for k in order))
        c.ov_kinds = order
    kinds = c.ov_kinds
    g = f"{c.k}_ov"
    terms = [f"float({g}({c.ix()}))"]
    terms.append(f"{g}({c.fx()})" if "f32" in kinds else f"float({g}(wp.float64({c.fx()})))")
    if "two" in kinds:
        terms.append(f"{g}({c.fx()}, {c.fx()})")
    if "any" in kinds:
        terms.append(f"float({g}(wp.int64({c.ix()})))")
    return [f"{res} = {' + '.join(c.shuffled(terms))}"], res


def ct_tuple(c: CompileTime) -> Snippet:
    res = c.fresh("r")
    p, q = c.fresh("p"), c.fresh("q")
    form = c.k_int(0, 3)
    if form == 0:
        fn = c.helper(
            "pair",
            "@wp.func\ndef {K}_pair(a: float, b: int) -> tuple[float, int]:\n    return a * 2.0 - 1.0, b + 3\n",
        )
        return [f"{p}, {q} = {fn}({c.fx()}, {c.ix()})", f"{res} = {p} + float({q})"], res
    if form == 1:
        fn = c.helper(
            "split",
            "@wp.func\ndef {K}_split(a: float, b: float):\n"
            "    if a > b:\n        return a, b - a\n    return b, a * 0.5\n",
        )
        return [f"{p}, {q} = {fn}({c.fx()}, {c.fx()})", f"{res} = {p} * 2.0 + {q}"], res
    if form == 2:
        c.typing()
        fn = c.helper("sd", "@wp.func\ndef {K}_sd(a: typing.Any, b: typing.Any):\n    return a + b, a - b\n")
        u, v = c.fresh("u"), c.fresh("v")
        return [
            f"{p}, {q} = {fn}({c.fx()}, {c.fx()})",
            f"{u}, {v} = {fn}({c.ix()}, {c.ix()})",
            f"{res} = {p} * {q} + float({u} * {v}) * 0.01",
        ], res
    fn = c.helper(
        "tri",
        "@wp.func\ndef {K}_tri(a: float) -> tuple[float, float, int]:\n"
        "    return a, a * a, int(wp.floor(a))\n",
    )
    s = c.fresh("s")
    return [f"{p}, {q}, {s} = {fn}({c.fx()})", f"{res} = {p} - {q} + float({s})"], res


SNIPPETS = (
    ct_constant,
    ct_static_expr,
    ct_static_range,
    ct_static_if,
    ct_select,
    ct_generic,
    ct_overload,
    ct_tuple,
)
# overloads and tuple returns are drawn more often: three wp.static snippets (and the constants
# most snippets use) already put wp.static and wp.constant in most kernels of the family
SNIPPET_WEIGHTS = (1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 2.0, 1.5)


def compile_time_body(gen: Gen) -> list[cst.BaseStatement]:
    """The body of a compile_time kernel (module-level code goes to `gen.helpers`)."""
    gen.dim = (gen.rng.pick((16, 32, 64, 100)),)
    gen.idx = [gen.scope.add(Var("i", "int32", Interval(0, gen.dim[0] - 1), 0, True, False))]
    gen.dtypes = ["float32", "int32"]
    c = CompileTime(gen)
    c.iin = gen.add_array("int32", "in", Interval(-1000, 1000))  # `arr[j] + arr[j]` stays in range
    c.fin = gen.add_array("float32", "in", gen.input_interval("float32"))
    out = gen.add_array("float32", "out", None)
    gen.arrays.remove(out)
    results: list[str] = []
    lines: list[str] = []
    for _ in range(gen.rng.integer(2, 4)):
        body, res = gen.rng.weighted(list(SNIPPETS), list(SNIPPET_WEIGHTS))(c)
        lines += body
        results.append(res)
    lines.append(f"{out.name}[i] = {' + '.join(results)}")
    for text in c.helpers.values():
        gen.helpers.extend(cst.parse_module(text).body)  # type: ignore[arg-type]
    return gen.text_body("\n".join(lines) + "\n")


# a third of the family's kernels: the family has 3 of the 32 default weight units, so about 3 % of
# default kernels carry @wp.overload (the census's floor is 2 %)
GENERIC_KERNEL_SHARE = 0.35


def compile_time_render(gen: Gen, body: list[cst.BaseStatement]) -> str:
    """The rendered kernel, made generic with a declared instance in GENERIC_KERNEL_SHARE of cases."""
    source = render(gen, body)
    return generic_kernel(gen, source) if gen.rng.chance(GENERIC_KERNEL_SHARE) else source
