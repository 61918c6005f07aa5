"""Reach families: the Warp code the safe subset never writes, where compilers break.

Five families, one per construct class (`grammar.families.REACH_FAMILIES`): calls with side effects in every
operand position (`side_effects`), every lvalue form (`lvalues`), reused and shadowed names
(`names`), loops with expression bounds, negative steps, break/continue and early returns
(`loops_reach`), and non-finite values on purpose (`nonfinite`). Each kernel stays free of UB
and decidable: side effects go to the thread's own slots, every value is clamped to a small
range, every loop bound is clamped, and non-finite values never reach an integer conversion.

A kernel draws 2-4 snippets of its class; each snippet is a few statements that end in one
float32 local (`r<n>`), summed into the output. Operands are the generator's own expressions
(`Gen.expr`), clamped to the snippet's range, so the new forms meet the whole expression grammar.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import libcst as cst

from grammar.dtypes import Interval
from grammar.fixers import clamp_to
from grammar.gen import Gen
from grammar.scope import ArrayParam, Var

FLOAT_RANGE = 4.0  # float operands are clamped to [-4, 4]
INT_RANGE = (0, 20)  # int operands are clamped to [0, 20]

Snippet = Callable[["Reach"], tuple[list[str], str]]
# what the snippets themselves write (their operands come from the registry's productions)
REACH_CALLS = frozenset(
    {"vec2", "vec3", "mat22", "quat", "quat_identity", "transform", "atomic_add", "where", "isnan"}
    | {"isinf", "isfinite", "float16", "float32", "float", "int", "min", "max", "clamp", "abs"}
)
REACH_OPERATORS = frozenset(
    {"Add", "Sub", "Mult", "Div", "Mod", "BitAnd", "BitOr", "BitXor", "And", "Or", "IfExp", "USub"}
    | {"Lt", "LtE", "Gt", "GtE", "Eq", "NotEq"}
)


class Reach:
    """One reach kernel under construction: its arrays, helpers and text snippets."""

    def __init__(self, gen: Gen) -> None:
        self.gen = gen
        self.k = gen.kname
        self.n = gen.dim[0]
        self.lines: list[str] = []
        self.helpers: dict[str, str] = {}
        self.extra: dict[str, ArrayParam] = {}
        self.fin: ArrayParam | None = None
        self.iin: ArrayParam | None = None
        self.special: ArrayParam | None = None

    # ---- operands ----------------------------------------------------------------------------

    def src(self, node: cst.CSTNode) -> str:
        """Source text of an operand, parenthesised unless atomic (snippets splice it anywhere)."""
        text = cst.Module([]).code_for_node(node)
        atomic = cst.Name | cst.Call | cst.Subscript | cst.Attribute | cst.Integer | cst.Float
        return text if isinstance(node, atomic) else f"({text})"

    def fx(self) -> str:
        """A float32 expression in [-4, 4]."""
        e = self.gen.expr("float32", 2)
        return self.src(clamp_to(e, -FLOAT_RANGE, FLOAT_RANGE).node)

    def ix(self, lo: int = INT_RANGE[0], hi: int = INT_RANGE[1]) -> str:
        """An int32 expression in [lo, hi]."""
        e = self.gen.expr("int32", 2)
        return self.src(clamp_to(e, lo, hi).node)

    def cond(self) -> str:
        return self.src(self.gen.cond().node)

    def fresh(self, prefix: str) -> str:
        return self.gen.fresh(prefix)

    def pick(self, xs: tuple[str, ...] | list[str]) -> str:
        return self.gen.rng.pick(list(xs))

    def k_int(self, lo: int, hi: int) -> int:
        return self.gen.rng.integer(lo, hi)

    # ---- arrays and helpers ------------------------------------------------------------------

    def array(self, key: str, dtype: str, role: str, shape: tuple[int, ...] | None = None) -> str:
        """A parameter outside the generator's own array list (no other statement indexes it)."""
        if key not in self.extra:
            iv = Interval(0, 100) if role == "inout" else None
            a = self.gen.add_array(dtype, role, iv, shape)
            self.gen.arrays.remove(a)
            self.extra[key] = a
        return self.extra[key].name

    def helper(self, key: str, text: str) -> str:
        """Define a module-level helper once; `{K}` in `text` is the kernel name."""
        nm = f"{self.k}_{key}"
        if key not in self.helpers:
            self.helpers[key] = text.replace("{K}", self.k)
        return nm

    def struct_s(self) -> str:
        return self.helper("S", "@wp.struct\nclass {K}_S:\n    f: float\n    v: wp.vec3\n    n: int\n")

    def struct_t(self) -> str:
        s = self.struct_s()
        return self.helper("T", f"@wp.struct\nclass {{K}}_T:\n    s: {s}\n    g: float\n")

    def bump(self) -> str:
        """`bump(acc, i, d)`: adds d to the thread's own counter and returns the new count."""
        return self.helper(
            "bump",
            "@wp.func\ndef {K}_bump(acc: wp.array(dtype=wp.int32), i: int, d: int) -> int:\n"
            "    acc[i] = acc[i] + d\n    return acc[i]\n",
        )

    def tick(self) -> str:
        """`tick(acc, i, d)`: an atomic add at the thread's own slot; returns the old count."""
        return self.helper(
            "tick",
            "@wp.func\ndef {K}_tick(acc: wp.array(dtype=wp.int32), i: int, d: int) -> int:\n"
            "    return wp.atomic_add(acc, i, d)\n",
        )

    def acc(self) -> str:
        return self.array("acc", "int32", "inout")


# ---- side effects and evaluation order ---------------------------------------------------------


def _se_call(r: Reach) -> str:
    acc = r.acc()
    d = r.k_int(0, 3)
    if r.gen.rng.chance(0.3):
        return f"{r.tick()}({acc}, i, {d})"
    return f"{r.bump()}({acc}, i, {d})"


def se_index(r: Reach) -> tuple[list[str], str]:
    """A side-effecting call inside an index (an input read and a scratch-slot store)."""
    a = r.fin
    assert a is not None
    res = r.fresh("r")
    return [f"{res} = {a.name}[({_se_call(r)} + i) % {r.n}]"], res


def se_aug(r: Reach) -> tuple[list[str], str]:
    """`slot[i * 4 + f(...) % 4] op= g(...)`: calls in the target's index and in the value."""
    sl = r.array("slots", "float32", "out", (r.n * 4,))
    res = r.fresh("r")
    op = r.pick(("+=", "-=", "*=", "="))
    tgt = f"{sl}[i * 4 + {_se_call(r)} % 4]"
    lines = [f"{sl}[i * 4 + {r.k_int(0, 3)}] = {r.fx()}"]
    val = f"float({_se_call(r)} % 7)" if op != "*=" else "0.5"
    lines.append(f"{tgt} {op} {val}")
    lines.append(f"{res} = {sl}[i * 4] + {sl}[i * 4 + 1]")
    return lines, res


def se_boolop(r: Reach) -> tuple[list[str], str]:
    """Calls as `and`/`or` operands: the right side runs only where the left does not decide."""
    res = r.fresh("r")
    op = r.pick(("and", "or"))
    op2 = r.pick(("and", "or"))
    t1, t2 = r.k_int(0, 110), r.k_int(0, 3)
    test = f"({_se_call(r)} > {t1}) {op} (({_se_call(r)} % 4 == {t2}) {op2} ({r.cond()}))"
    return [f"{res} = float(0.0)", f"if {test}:", f"    {res} = {r.fx()}"], res


def se_ternary(r: Reach) -> tuple[list[str], str]:
    """Calls in both branches of a ternary: only the taken one runs."""
    res = r.fresh("r")
    return [f"{res} = float({_se_call(r)} % 9) if {r.cond()} else float({_se_call(r)} % 5)"], res


def se_callarg(r: Reach) -> tuple[list[str], str]:
    """Calls as arguments of a builtin and of another call: left to right."""
    res = r.fresh("r")
    f = r.pick(("max", "min"))
    inner = f"wp.{f}({_se_call(r)}, {_se_call(r)} - {r.k_int(0, 4)})"
    return [f"{res} = float(wp.{f}({inner}, {r.bump()}({r.acc()}, i, {_se_call(r)} % 3)) % 11)"], res


def se_loopbound(r: Reach) -> tuple[list[str], str]:
    """A call as a `range` bound (evaluated once) and as a `while` condition (every test)."""
    res, k, c = r.fresh("r"), r.fresh("k"), r.fresh("c")
    return [
        f"{res} = float(0.0)",
        f"for {k} in range({_se_call(r)} % 4):",
        f"    {res} += float({_se_call(r)} % 3)",
        f"{c} = int(0)",
        f"while {c} < 3 and {_se_call(r)} % 5 != {r.k_int(0, 4)}:",
        f"    {c} += 1",
        f"{res} += float({c})",
    ], res


def se_atomic(r: Reach) -> tuple[list[str], str]:
    """The returned old value of an atomic at the thread's own slot, used in an expression."""
    res = r.fresh("r")
    return [f"{res} = float(wp.atomic_add({r.acc()}, i, {r.k_int(1, 3)}) % 13) * {r.fx()}"], res


# ---- lvalue forms ------------------------------------------------------------------------------

_FLOAT_AUG = ("+=", "-=", "*=")


def lv_array(r: Reach) -> tuple[list[str], str]:
    """`o[i] op= e` on float arrays, `o2[i, j] op= e` on 2-D arrays, `/=` by a divisor >= 1."""
    res = r.fresh("r")
    o = r.array("fo", "float32", "out")
    o2 = r.array("fo2", "float32", "out", (r.n, 3))
    j = r.k_int(0, 2)
    op, op2 = r.pick(_FLOAT_AUG), r.pick(_FLOAT_AUG)
    return [
        f"{o}[i] = {r.fx()}",
        f"{o}[i] {op} {r.fx()}",
        f"{o}[i] /= wp.abs({r.fx()}) + 1.0",
        f"{o2}[i, {j}] = {r.fx()}",
        f"{o2}[i, {j}] {op2} {r.fx()}",
        f"{res} = {o}[i] + {o2}[i, {j}]",
    ], res


def lv_int_array(r: Reach) -> tuple[list[str], str]:
    """Every integer `op=` on an array element (`%` by a positive divisor)."""
    res = r.fresh("r")
    o = r.array("io", "int32", "out")
    lines = [f"{o}[i] = {r.ix()}"]
    for _ in range(r.k_int(1, 3)):
        op = r.pick(("+=", "-=", "*=", "&=", "|=", "^=", "%="))
        val = f"({r.ix()} + 1)" if op == "%=" else r.ix(0, 9)
        if op == "*=":
            lines.append(f"{o}[i] = wp.clamp({o}[i], -100, 100)")
        lines.append(f"{o}[i] {op} {val}")
    lines.append(f"{res} = float(wp.clamp({o}[i], -1000, 1000))")
    return lines, res


def lv_vector(r: Reach) -> tuple[list[str], str]:
    """Local vector components: `w[k] op= e`, `w.y = e`, `w.z += e`."""
    res, w = r.fresh("r"), r.fresh("w")
    k = r.k_int(0, 2)
    return [
        f"{w} = wp.vec3({r.fx()}, {r.fx()}, {r.fx()})",
        f"{w}[{k}] {r.pick(_FLOAT_AUG)} {r.fx()}",
        f"{w}.{r.pick(('x', 'y', 'z'))} = {r.fx()}",
        f"{w}.{r.pick(('x', 'y', 'z'))} += {r.fx()}",
        f"{res} = {w}[0] + {w}[1] - {w}[2]",
    ], res


def lv_matrix(r: Reach) -> tuple[list[str], str]:
    """Local matrix elements and rows: `m[r, c] op= e`, `m[r][c] = e`, `m[r] = row`."""
    res, m = r.fresh("r"), r.fresh("m")
    a, b, c, d = (r.k_int(0, 1) for _ in range(4))
    return [
        f"{m} = wp.mat22({r.fx()}, {r.fx()}, {r.fx()}, {r.fx()})",
        f"{m}[{a}, {b}] {r.pick(_FLOAT_AUG)} {r.fx()}",
        f"{m}[{c}][{d}] = {r.fx()}",
        f"{m}[{r.k_int(0, 1)}] = wp.vec2({r.fx()}, {r.fx()})",
        f"{m}[{d}][{a}] += {r.fx()}",
        f"{res} = {m}[0, 0] + {m}[1][1] - {m}[0, 1]",
    ], res


def lv_quat_transform(r: Reach) -> tuple[list[str], str]:
    """Quaternion and transform components: `q[k] = e`, `q.w += e`, `t[k] op= e`."""
    res, q, t = r.fresh("r"), r.fresh("q"), r.fresh("t")
    k, kt = r.k_int(0, 3), r.k_int(0, 6)
    return [
        f"{q} = wp.quat({r.fx()}, {r.fx()}, {r.fx()}, {r.fx()})",
        f"{q}[{k}] = {r.fx()}",
        f"{q}.w += {r.fx()}",
        f"{t} = wp.transform(wp.vec3({r.fx()}, {r.fx()}, {r.fx()}), wp.quat_identity())",
        f"{t}[{kt}] {r.pick(('+=', '-=', '='))} {r.fx()}",
        f"{res} = {q}[{k}] + {q}[3] + {t}[{kt}] + {t}[6]",
    ], res


def lv_array_element(r: Reach) -> tuple[list[str], str]:
    """Components of an array element: `v[i][k] = e`, `v[i].y += e`, `v[i][k] op= e`."""
    res = r.fresh("r")
    v = r.array("vo", "vec3f", "out")
    k, k2 = r.k_int(0, 2), r.k_int(0, 2)
    return [
        f"{v}[i] = wp.vec3({r.fx()}, {r.fx()}, {r.fx()})",
        f"{v}[i][{k}] = {r.fx()}",
        f"{v}[i].{r.pick(('x', 'y', 'z'))} += {r.fx()}",
        f"{v}[i][{k2}] {r.pick(('+=', '-='))} {r.fx()}",
        f"{res} = {v}[i][0] + {v}[i].z",
    ], res


def lv_struct(r: Reach) -> tuple[list[str], str]:
    """A local struct: `s = S()`, field writes and `op=`, `s.v[k] = e`, `s.v.x = e`, `s.n op= e`."""
    res, s = r.fresh("r"), r.fresh("s")
    S = r.struct_s()
    return [
        f"{s} = {S}()",
        f"{s}.f = {r.fx()}",
        f"{s}.f {r.pick(_FLOAT_AUG)} {r.fx()}",
        f"{s}.v[{r.k_int(0, 2)}] = {r.fx()}",
        f"{s}.v[{r.k_int(0, 2)}] += {r.fx()}",
        f"{s}.v.{r.pick(('x', 'y', 'z'))} = {r.fx()}",
        f"{s}.n = {r.ix()}",
        f"{s}.n {r.pick(('+=', '-=', '*='))} {r.ix(0, 9)}",
        f"{res} = {s}.f + {s}.v[0] + {s}.v[2] + float({s}.n)",
    ], res


def lv_struct_nested(r: Reach) -> tuple[list[str], str]:
    """A struct inside a struct: `t.s.f = e`, `t.s.v[k] += e`; struct copies are values."""
    res, t, s2 = r.fresh("r"), r.fresh("t"), r.fresh("s")
    T = r.struct_t()
    k = r.k_int(0, 2)
    return [
        f"{t} = {T}()",
        f"{t}.s.f = {r.fx()}",
        f"{t}.s.v[{k}] += {r.fx()}",
        f"{t}.g = {r.fx()}",
        f"{s2} = {t}.s",
        f"{s2}.f = {r.fx()}",
        f"{t}.s.n += {r.ix(0, 9)}",
        f"{res} = {t}.s.f + {t}.s.v[{k}] + {t}.g + {s2}.f + float({t}.s.n)",
    ], res


def lv_struct_return(r: Reach) -> tuple[list[str], str]:
    """A struct returned by a @wp.func, then written field by field."""
    res, s = r.fresh("r"), r.fresh("s")
    S = r.struct_s()
    mk = r.helper(
        "mk",
        f"@wp.func\ndef {{K}}_mk(x: float, n: int) -> {S}:\n    s = {S}()\n    s.f = x * 0.5\n"
        "    s.v = wp.vec3(x, 1.0, -x)\n    s.n = n\n    return s\n",
    )
    return [
        f"{s} = {mk}({r.fx()}, {r.ix()})",
        f"{s}.v[{r.k_int(0, 2)}] -= {r.fx()}",
        f"{res} = {s}.f + {s}.v[0] + {s}.v[1] + float({s}.n)",
    ], res


# ---- names ---------------------------------------------------------------------------------------


def _trips(r: Reach, lo: int = 1) -> str:
    """A trip count >= lo: a literal (the loop unrolls) or a clamped expression (dynamic)."""
    return str(r.k_int(lo, 4)) if r.gen.rng.chance(0.5) else r.ix(lo, 4)


def nm_after_loop(r: Reach) -> tuple[list[str], str]:
    """A loop variable read after its loop (the loop runs at least once)."""
    res, k, t = r.fresh("r"), r.fresh("k"), r.fresh("t")
    return [
        f"{t} = float(0.0)",
        f"for {k} in range({_trips(r)}):",
        f"    {t} += float({k}) * {r.fx()}",
        f"{res} = {t} + float({k})",
    ], res


def nm_reuse_counter(r: Reach) -> tuple[list[str], str]:
    """A loop variable reused as a later `while` counter or as a dynamic `for` variable."""
    res, k, t = r.fresh("r"), r.fresh("k"), r.fresh("t")
    lines = [f"{t} = float(0.0)", f"for {k} in range({_trips(r)}):", f"    {t} += float({k})"]
    if r.gen.rng.chance(0.5):
        lines += [
            f"{k} = int(0)",
            f"while {k} < {r.ix(0, 4)}:",
            f"    {k} += 1",
            f"    {t} -= {r.fx()} * 0.5",
        ]
    else:
        lines += [f"for {k} in range({r.ix(0, 4)}):", f"    {t} += float({k}) * 0.25"]
    lines.append(f"{res} = {t}")
    return lines, res


def nm_branch_bound(r: Reach) -> tuple[list[str], str]:
    """A name first bound inside the branches of an `if` (on every path) and read after it."""
    res, v = r.fresh("r"), r.fresh("v")
    lines = [f"if {r.cond()}:", f"    {v} = {r.fx()}"]
    if r.gen.rng.chance(0.5):
        lines += [f"elif {r.cond()}:", f"    {v} = {r.fx()} * 2.0"]
    lines += ["else:", f"    {v} = {r.fx()} - 1.0", f"{res} = {v} * 0.5"]
    return lines, res


def nm_shadow(r: Reach) -> tuple[list[str], str]:
    """The same loop variable in nested loops (the inner one shadows it), read after both."""
    res, k, t = r.fresh("r"), r.fresh("k"), r.fresh("t")
    return [
        f"{t} = float(0.0)",
        f"for {k} in range({_trips(r)}):",
        f"    {t} += float({k})",
        f"    for {k} in range({_trips(r)}):",
        f"        {t} += float({k}) * 0.5",
        f"{res} = {t} + float({k})",
    ], res


def nm_reassign_mixed(r: Reach) -> tuple[list[str], str]:
    """One variable reassigned in an unrolled loop, a dynamic loop and a `while`."""
    res, t, k, k2, c = (r.fresh(p) for p in ("r", "t", "k", "k", "c"))
    return [
        f"{t} = float({r.fx()})",
        f"for {k} in range({r.k_int(1, 4)}):",
        f"    {t} = {t} * 0.5 + {r.fx()}",
        f"for {k2} in range({r.ix(0, 4)}):",
        f"    {t} = {t} * 0.5 - {r.fx()}",
        f"{c} = int(0)",
        f"while {c} < {r.ix(0, 3)}:",
        f"    {c} += 1",
        f"    {t} = {t} - {r.fx()} * 0.25",
        f"{res} = {t}",
    ], res


# ---- loops ---------------------------------------------------------------------------------------


def lp_range3(r: Reach) -> tuple[list[str], str]:
    """`range(start, stop, step)` from expressions; negative steps and empty ranges included."""
    res, k = r.fresh("r"), r.fresh("k")
    step = r.pick((r.ix(1, 3), f"-{r.ix(1, 3)}", str(r.pick(("-1", "-2", "2")))))
    start = r.ix(0, 10) if r.gen.rng.chance(0.5) else f"{r.ix(0, 6)} - 4"
    stop = r.ix(0, 10) if r.gen.rng.chance(0.5) else f"{r.ix(0, 6)} - 4"
    return [
        f"{res} = float(0.0)",
        f"for {k} in range({start}, {stop}, {step}):",
        f"    {res} += float({k}) * 0.5",
    ], res


def lp_nested_break(r: Reach) -> tuple[list[str], str]:
    """`break`/`continue` in nested `for` loops and in a `while`."""
    res, k, k2, c = r.fresh("r"), r.fresh("k"), r.fresh("k"), r.fresh("c")
    return [
        f"{res} = float(0.0)",
        f"for {k} in range({_trips(r)}):",
        f"    for {k2} in range({_trips(r, 0)}):",
        f"        if {r.cond()}:",
        f"            {r.pick(('break', 'continue'))}",
        f"        {res} += {r.fx()} * 0.25",
        f"    if {r.cond()}:",
        f"        {r.pick(('break', 'continue'))}",
        f"    {res} -= 0.5",
        f"{c} = int(0)",
        f"while {c} < {r.k_int(1, 5)}:",
        f"    {c} += 1",
        f"    if {r.cond()}:",
        "        continue",
        f"    {res} += {r.fx()} * 0.125",
        f"    if {r.cond()}:",
        "        break",
    ], res


def lp_func_return(r: Reach) -> tuple[list[str], str]:
    """An early `return` inside a loop of a @wp.func (a `for` and a `while` variant)."""
    res = r.fresh("r")
    th = round(r.gen.rng.integer(-8, 8) * 0.5, 1)
    find = r.helper(
        "find",
        "@wp.func\ndef {K}_find(x: float, n: int) -> float:\n    acc = float(0.0)\n"
        "    for k in range(n):\n        acc += x\n"
        f"        if acc > {th}:\n            return acc * 2.0\n    return acc - 1.0\n",
    )
    seek = r.helper(
        "seek",
        "@wp.func\ndef {K}_seek(x: float, n: int) -> float:\n    c = int(0)\n    while c < n:\n"
        f"        c += 1\n        if x * float(c) < {th}:\n            return float(c)\n    return -1.0\n",
    )
    return [f"{res} = {find}({r.fx()}, {r.ix(0, 5)}) + {seek}({r.fx()}, {r.ix(0, 5)})"], res


def lp_carried(r: Reach) -> tuple[list[str], str]:
    """A vector and a struct carried around a dynamic loop."""
    res, w, s, k = r.fresh("r"), r.fresh("w"), r.fresh("s"), r.fresh("k")
    S = r.struct_s()
    return [
        f"{w} = wp.vec3(0.0)",
        f"{s} = {S}()",
        f"for {k} in range({r.ix(0, 5)}):",
        f"    {w} = {w} * 0.5 + wp.vec3({r.fx()}, float({k}), 1.0)",
        f"    {s}.f += {w}[1]",
        f"    {s}.v[{r.k_int(0, 2)}] = {s}.f * 0.5",
        f"{res} = {w}[0] + {w}[2] + {s}.f + {s}.v[0]",
    ], res


# ---- non-finite values ---------------------------------------------------------------------------


def _nf(r: Reach) -> str:
    a = r.special
    assert a is not None
    return f"{a.name}[i]"


def nf_minmax(r: Reach) -> tuple[list[str], str]:
    """min/max/clamp with NaN, ±Inf and signed zeros (C fmin/fmax: NaN counts as missing)."""
    res = r.fresh("r")
    x = _nf(r)
    f = r.pick(("min", "max"))
    return [f"{res} = wp.{f}({x}, {r.fx()}) + wp.clamp({x}, -1.0, 1.0) * 0.5"], res


def nf_tests(r: Reach) -> tuple[list[str], str]:
    """isnan / isinf / isfinite and comparisons with NaN (all false except `!=`)."""
    res = r.fresh("r")
    x = _nf(r)
    return [
        f"{res} = wp.where(wp.isnan({x}), 1.0, 0.0) + wp.where(wp.isinf({x}), 2.0, 0.0)",
        f"if wp.isfinite({x}):",
        f"    {res} += 4.0",
        f"if {x} < {r.fx()}:",
        f"    {res} += 8.0",
        f"elif {x} >= 0.0:",
        f"    {res} += 16.0",
        f"if {x} != {x}:",
        f"    {res} += 32.0",
    ], res


def nf_arith(r: Reach) -> tuple[list[str], str]:
    """NaN and Inf made at run time: inf - inf, 0 * inf, x * max, wp.inf, float16 overflow."""
    res, h = r.fresh("r"), r.fresh("h")
    x = _nf(r)
    form = r.k_int(0, 3)
    if form == 0:
        e = f"({x} - {x}) + {x} * 0.0"
    elif form == 1:
        e = f"{x} * 2.0 + wp.inf * (wp.abs({r.fx()}) + 0.5)"
    elif form == 2:
        e = f"wp.min(wp.abs({x}), -wp.inf) + wp.max({x} * 1.0e38, wp.inf * 0.0)"
    else:
        return [
            f"{h} = wp.float16({r.fx()} * 20000.0)",
            f"{res} = wp.float32({h}) + wp.float32(wp.float16({x}))",
        ], res
    return [f"{res} = {e}"], res


SNIPPETS: dict[str, tuple[Snippet, ...]] = {
    "side_effects": (se_index, se_aug, se_boolop, se_ternary, se_callarg, se_loopbound, se_atomic),
    "lvalues": (
        lv_array,
        lv_int_array,
        lv_vector,
        lv_matrix,
        lv_quat_transform,
        lv_array_element,
        lv_struct,
        lv_struct_nested,
        lv_struct_return,
    ),
    "names": (nm_after_loop, nm_reuse_counter, nm_branch_bound, nm_shadow, nm_reassign_mixed),
    "loops_reach": (lp_range3, lp_nested_break, lp_func_return, lp_carried),
    "nonfinite": (nf_minmax, nf_tests, nf_arith),
}


def reach_body(gen: Gen, cls: str) -> list[cst.BaseStatement]:
    """The body of a reach kernel of class `cls` (helpers go to `gen.helpers`)."""
    gen.dim = (gen.rng.pick((16, 32, 64, 100)),)
    gen.idx = [gen.scope.add(Var("i", "int32", Interval(0, gen.dim[0] - 1), 0, True, False))]
    gen.dtypes = ["float32", "int32"]
    r = Reach(gen)
    r.iin = gen.add_array("int32", "in", gen.input_interval("int32"))
    if cls == "nonfinite":
        # the special input is the only float input, and `inout`: the gradient check's finite
        # differences need finite inputs, so this kernel offers it none to differentiate
        r.special = gen.add_array("float32", "inout", Interval(-FLOAT_RANGE, FLOAT_RANGE))
        gen.arrays.remove(r.special)  # read only through the NaN-safe snippets
        for p in gen.params:  # its inputs hold NaN, ±Inf, -0.0, subnormals and the max (grammar.inputs)
            if p.spec.name == r.special.name:
                p.spec = replace(p.spec, special=True)
    else:
        r.fin = gen.add_array("float32", "in", gen.input_interval("float32"))
    out = gen.add_array("float32", "out", None)
    gen.arrays.remove(out)
    results: list[str] = []
    lines: list[str] = []
    for _ in range(gen.rng.integer(2, 4)):
        snip = gen.rng.pick(list(SNIPPETS[cls]))
        body, res = snip(r)
        lines += body
        results.append(res)
    if cls == "nonfinite":
        # NaN and ±Inf reach the output as exact codes: the gradient check's finite differences
        # need finite outputs, and the codes still tell NaN, +Inf and -Inf apart
        tot = gen.fresh("tot")
        lines.append(f"{tot} = {' + '.join(results)}")
        lines.append(f"{out.name}[i] = wp.where(wp.isnan({tot}), 7.0e6, wp.clamp({tot}, -1.0e6, 1.0e6))")
    else:
        lines.append(f"{out.name}[i] = {' + '.join(results)}")
    for text in r.helpers.values():
        gen.helpers.extend(cst.parse_module(text).body)  # type: ignore[arg-type]
    return gen.text_body("\n".join(lines) + "\n")
