"""The per-case generation state and the typed expression / statement generators.

`Gen` holds one case's choices (`rng`), its parameters, scopes and loop nesting, and draws
expressions by type: a weighted production from the registry (scaled by the family's tag
weights), or a leaf (variable, array element, parameter, literal).

`Gen` sits below the productions: they build on it, and it sees them only through `Drawable` and
`ProductionSet` (grammar.production's `Production` and `Registry` have that shape), composite
leaves through the registry's `CompositeLeaves` (made by grammar.composite_ops).
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import libcst as cst

from grammar.case import ParamSpec
from grammar.composite import component_scalar, composite
from grammar.dtypes import BOOL, Interval, cap, point_in, scalar, widen
from grammar.expr import Expr, Rejected, binop, call, checked, literal, name, subscript
from grammar.fixers import clamp_to
from grammar.rand import Chooser
from grammar.scope import ArrayParam, Scope, Var


@dataclass(frozen=True)
class Knobs:
    max_stmts: int = 8
    max_depth: int = 4
    max_loop_nesting: int = 2


@dataclass
class Param:
    spec: ParamSpec
    annotation: cst.BaseExpression


class Drawable(Protocol):
    """A production as `Gen.expr` draws it: result types, weight, availability, and `build`."""

    @property
    def tag(self) -> str: ...

    @property
    def weight(self) -> float: ...

    @property
    def makes(self) -> frozenset[str]: ...

    @property
    def available(self) -> Callable[[Gen], bool] | None: ...

    def build(self, gen: Gen, dtype: str, depth: int) -> Expr: ...


@dataclass(frozen=True)
class CompositeLeaves:
    """Composite leaves and bounds: a composite of scalar leaves, an input array element (quaternions
    normalized), and the component bound of composites of a scalar type."""

    compose: Callable[[Gen, str, int], Expr]
    read_input: Callable[[Gen, str, cst.BaseExpression, Interval], Expr]
    component_cap: Callable[[str], float]


class ProductionSet(Protocol):
    """What `Gen` draws from (grammar.production.Registry)."""

    @property
    def productions(self) -> Sequence[Drawable]: ...

    @property
    def leaves(self) -> CompositeLeaves: ...


_FLOAT_LITS = (1.0, 0.5, 2.0, 0.0, -1.0, 3.0, 0.25, -0.5, 10.0, 1.5, -2.0, 0.1)
CALL_STYLE_PERCENT = 25  # share of kernels annotating arrays as `wp.array(dtype=...)`
_INT_LITS = (1, 2, 0, 3, -1, 4, 7, 10, -3, 16, 5)


def dynamic(e: Expr) -> Expr:
    """Warp treats `v = 3` as a constant that a dynamic loop may not mutate: write `int(3)`."""
    node = e.node
    inner = node.expression if isinstance(node, cst.UnaryOperation) else node
    if isinstance(inner, cst.Integer | cst.Float) and e.dtype in ("int32", "float32"):
        from grammar.expr import bare_call

        return Expr(bare_call("int" if e.dtype == "int32" else "float", node), e.dtype, e.iv)
    return e


# the one statement standing for a body kept as text (Gen.text_body); render splices the text in
TEXT_BODY_MARK = "__warpfuzz_text_body__"


class Gen:
    """Generation state of one case; every choice goes through `rng`."""

    def __init__(
        self,
        rng: Chooser,
        registry: ProductionSet,
        tag_weights: Mapping[str, float],
        knobs: Knobs,
        kname: str,
        wave2: bool = True,
        subscript_arrays: bool = True,
        lacking: frozenset[str] = frozenset(),
    ) -> None:
        self.rng = rng
        # gated constructs the target release lacks (`grammar.gates.disabled_features`): a family
        # whose draws would often hit one leaves it out instead of having the whole kernel redrawn
        self.lacking = lacking
        self.min_block_dim = 1  # a tiled family's least threads per block (grammar.tile_families)
        self.registry = registry
        self.tag_weights = tag_weights
        self.knobs = knobs
        self.kname = kname
        self.wave2 = wave2
        # Warp's own code writes `wp.array[T]`; a share of kernels keeps `wp.array(dtype=T)`. Chosen
        # from the kernel name, not the rng, so the style never shifts the rest of the draw.
        self.subscript_arrays = subscript_arrays and zlib.crc32(kname.encode()) % 100 >= CALL_STYLE_PERCENT
        self.params: list[Param] = []
        self.arrays: list[ArrayParam] = []
        self.scope = Scope()
        self.dtypes: list[str] = []
        self.thresholds: list[float] = []
        self.helpers: list[cst.BaseCompoundStatement] = []
        self.idx: list[Var] = []
        self.dim: tuple[int, ...] = ()
        self.loop_trips: list[int] = []
        self.loop_kinds: list[str] = []
        self.stmt_budget = knobs.max_stmts
        self.p_internal = 0.7
        self._counter = 0
        self.funcs: list[object] = []  # grammar.helpers.Helper, in definition order
        self.allow_return = True
        self.ctypes: list[str] = []  # composite types statements may assign
        self.fields: list[Expr] = []  # struct fields readable as leaves (`p.field`)
        self.mutable: set[str] = set()  # composite locals whose components may be assigned
        self.body_text: str | None = None  # a kernel body kept as source text (text_body)

    # ---- names, parameters -------------------------------------------------------------------

    def text_body(self, text: str) -> list[cst.BaseStatement]:
        """The kernel body for module-level source `text` (statements, one per line or block).

        A body built as text (the reach snippets) is kept as text: libcst renders a parsed
        statement inside the kernel as its own text indented by one level, so `render` splices
        the lines in instead of parsing them here and printing them back (the same source, at a
        third of the cost). Text with blank or tab-indented lines is parsed as before."""
        lines = text.split("\n")
        if lines[-1] != "" or any(not ln.strip() or "\t" in ln for ln in lines[:-1]):
            return list(cst.parse_module(text).body)
        self.body_text = text
        return [cst.SimpleStatementLine([cst.Expr(cst.Name(TEXT_BODY_MARK))])]

    def fresh(self, prefix: str) -> str:
        self._counter += 1
        return f"{prefix}{self._counter}"

    def note_threshold(self, v: float) -> None:
        if v not in self.thresholds and len(self.thresholds) < 16:
            self.thresholds.append(v)

    def add_array(
        self, dtype: str, role: str, iv: Interval | None, shape: tuple[int, ...] | None = None
    ) -> ArrayParam:
        shape = shape or self.dim
        nm = self.fresh("out" if role == "out" else ("acc" if role == "inout" else "a"))
        ndim = len(shape)
        kind = {1: "array", 2: "array2d", 3: "array3d"}[ndim]
        dt = cst.Attribute(value=cst.Name("wp"), attr=cst.Name(dtype))
        ann: cst.BaseExpression = (
            subscript(cst.Attribute(value=cst.Name("wp"), attr=cst.Name(kind)), dt)
            if self.subscript_arrays
            else call(kind, dtype=dt)
        )
        integral = scalar(component_scalar(dtype)).is_int
        spec = ParamSpec(
            name=nm,
            kind="array",
            dtype=dtype,
            shape=shape,
            role=role,
            low=None if iv is None else iv.lo,
            high=None if iv is None else iv.hi,
            integral=integral,
        )
        self.params.append(Param(spec, ann))
        a = ArrayParam(nm, dtype, shape, role, iv)
        self.arrays.append(a)
        return a

    def add_scalar(self, dtype: str, iv: Interval) -> Expr:
        nm = self.fresh("s")
        if dtype in ("float32", "int32") and self.rng.chance(0.4):
            ann: cst.BaseExpression = cst.Name("float" if dtype == "float32" else "int")
        else:
            ann = cst.Attribute(value=cst.Name("wp"), attr=cst.Name(dtype))
        spec = ParamSpec(
            nm, "scalar", dtype, (), "in", iv.lo, iv.hi, True, scalar(component_scalar(dtype)).is_int
        )
        self.params.append(Param(spec, ann))
        v = self.scope.add(Var(nm, dtype, iv, 0, readable=True, assignable=False))
        return Expr(name(v.name), dtype, iv)

    def input_interval(self, dtype: str) -> Interval:
        """A value domain for an input of this scalar type (edge values are mixed in later)."""
        s = scalar(dtype)
        if s.is_float:
            menu = [(-1.0, 1.0), (-10.0, 10.0), (0.0, 1.0), (-100.0, 100.0), (0.5, 4.0), (-4.0, 4.0)]
            if dtype == "float16":
                menu = menu[:3] + [(-4.0, 4.0)]
            return Interval(*self.rng.pick(menu))
        if s.kind == "uint":
            hi = self.rng.pick((10, 100, min(255, 2**s.bits - 1), int(cap(dtype).hi)))
            return Interval(0, hi)
        c = cap(dtype)
        lo, hi = self.rng.pick(((-10, 10), (-100, 100), (0, 50), (-1000, 1000), (int(c.lo), int(c.hi))))
        return Interval(max(lo, c.lo), min(hi, c.hi))

    # ---- expressions -------------------------------------------------------------------------

    def tag_weight(self, tag: str) -> float:
        return float(self.tag_weights.get(tag, 0.0))

    def expr(self, dtype: str, depth: int) -> Expr:
        if dtype.startswith("@"):  # a helper call's callee operand (grammar.extras)
            return Expr(name(dtype[1:]), dtype, Interval(0, 0))
        if depth > 0 and self.rng.chance(self.p_internal):
            cands = [
                p
                for p in self.registry.productions
                if dtype in p.makes and (p.available is None or p.available(self))
            ]
            weights = [p.weight * self.tag_weight(p.tag) for p in cands]
            if cands and sum(weights) > 0:
                for _ in range(4):
                    p = self.rng.weighted(cands, weights)
                    try:
                        return p.build(self, dtype, depth - 1)
                    except Rejected:
                        continue
        return self.leaf(dtype, depth)

    def leaf(self, dtype: str, depth: int = 0) -> Expr:
        """A variable, array element, parameter or literal of `dtype`."""
        opts: list[str] = []
        vars_ = self.scope.readable(dtype)
        arrs = [a for a in self.arrays if a.dtype == dtype and a.role == "in"]
        fields = [f for f in self.fields if f.dtype == dtype]
        if vars_:
            opts += ["var", "var"]
        if arrs:
            opts += ["array", "array", "array"]
        if fields:
            opts += ["field", "field"]
        if composite(dtype) is not None:
            opts.append("compose")
        elif dtype == BOOL:
            opts.append("cmp")
        else:
            opts.append("literal")
            if not vars_ and not arrs and self.dtypes and any(t != dtype for t in self.dtypes):
                opts.append("cast")
        choice = self.rng.pick(opts)
        if choice == "field":
            return self.rng.pick(fields)
        if choice == "var":
            v = self.rng.pick(vars_)
            return Expr(name(v.name), dtype, v.iv)
        if choice == "array":
            return self.array_read(self.rng.pick(arrs))
        if choice == "cmp":
            return self.comparison()
        if choice == "compose":
            return self.registry.leaves.compose(self, dtype, max(depth - 1, 0))
        if choice == "cast":
            src = self.rng.pick([t for t in self.dtypes if t != dtype])
            x = self.leaf(src)
            c = cap(dtype)
            lo_t, hi_t = (c.lo * 0.999, c.hi * 0.999) if scalar(dtype).is_float else (c.lo, c.hi)
            x = clamp_to(x, max(lo_t, cap(src).lo), min(hi_t, cap(src).hi))
            iv = x.iv
            if scalar(dtype).is_int and scalar(src).is_float:
                iv = Interval(math.trunc(iv.lo), math.trunc(iv.hi))
            return checked(Expr(call(dtype, x.node), dtype, widen(dtype, iv)))
        return self.literal(dtype)

    def literal(self, dtype: str) -> Expr:
        if scalar(dtype).is_float:
            v: float = self.rng.pick(_FLOAT_LITS)
        else:
            v = self.rng.pick(_INT_LITS)
            if scalar(dtype).kind == "uint":
                v = abs(int(v))
        return literal(dtype, v)

    def comparison(self) -> Expr:
        """A comparison of an available value against a threshold inside its range."""
        t = self.rng.pick(self.dtypes) if self.dtypes else "float32"
        x = self.leaf(t)
        th = point_in(x.iv.lo, x.iv.hi, self.rng.integer(1, 7), 8, scalar(t).is_int)
        th = th if scalar(t).is_int else round(th, 2)
        self.note_threshold(th)
        op = self.rng.pick((cst.LessThan, cst.GreaterThan, cst.LessThanEqual, cst.GreaterThanEqual))
        target = cst.ComparisonTarget(operator=op(), comparator=literal(t, th).node)  # type: ignore[abstract]
        node = cst.Comparison(left=x.node, comparisons=[target])
        return Expr(node, BOOL, Interval(0, 1))

    def index_of(self, a: ArrayParam) -> list[cst.BaseExpression]:
        """In-bounds index expressions for array `a` (shaped like the launch, or larger)."""
        out: list[cst.BaseExpression] = []
        for axis, n in enumerate(a.shape):
            iv_ = self.idx[axis] if axis < len(self.idx) else None
            base: cst.BaseExpression = name(iv_.name) if iv_ is not None else cst.Integer("0")
            r = self.rng.integer(0, 9)
            if r == 0 and iv_ is not None:
                c = self.rng.integer(1, n)
                size: cst.BaseExpression = cst.Integer(str(n))
                if self.wave2 and self.rng.chance(0.5):
                    size = subscript(
                        cst.Attribute(value=name(a.name), attr=cst.Name("shape")), cst.Integer(str(axis))
                    )
                base = binop(binop(base, cst.Add(), cst.Integer(str(c))), cst.Modulo(), size)
            elif r == 1 and self.wave2 and "int32" in self.dtypes:
                e = self.expr("int32", 1)
                base = clamp_to(e, 0, n - 1).node if not e.iv.within(Interval(0, n - 1)) else e.node
            elif iv_ is not None and n != self.dim[axis]:
                base = binop(base, cst.Modulo(), cst.Integer(str(n)))
            out.append(base)
        return out

    def array_read(self, a: ArrayParam) -> Expr:
        assert a.iv is not None
        node = subscript(name(a.name), *self.index_of(a))
        if composite(a.dtype) is not None:
            return self.registry.leaves.read_input(self, a.dtype, node, a.iv)
        return Expr(node, a.dtype, a.iv)

    # ---- statements --------------------------------------------------------------------------

    def in_loop(self) -> bool:
        return bool(self.loop_trips)

    def writable(self) -> list[Var]:
        """Variables a statement here may assign without invalidating an interval already used."""
        level = len(self.loop_trips)
        return [v for v in self.scope.all() if v.assignable and (v.loop_level == level or not v.readable)]

    def multiplier(self, v: Var) -> int:
        m = 1
        for t in self.loop_trips[v.loop_level :]:
            m *= t
        return m

    def assign_new(self, dtype: str) -> tuple[cst.BaseStatement, Var]:
        e = self.expr(dtype, self.knobs.max_depth)
        v = Var(self.fresh("v"), dtype, e.iv, len(self.loop_trips))
        comp = composite(dtype)
        if comp is not None and comp.kind in ("vec", "mat") and isinstance(e.node, cst.Call):
            # a fresh value (not an alias of another variable or an array element): safe to mutate
            self.mutable.add(v.name)
        st = cst.SimpleStatementLine(
            [cst.Assign(targets=[cst.AssignTarget(name(v.name))], value=dynamic(e).node)]
        )
        self.scope.add(v)
        return st, v

    def reassign(self, v: Var) -> cst.BaseStatement:
        e = self.expr(v.dtype, self.knobs.max_depth)
        v.iv = v.iv.union(e.iv)
        if not isinstance(e.node, cst.Call):
            self.mutable.discard(v.name)  # may now alias another value
        value = dynamic(e).node  # `v = 1.5` would make v a constant that loops may not mutate
        return cst.SimpleStatementLine([cst.Assign(targets=[cst.AssignTarget(name(v.name))], value=value)])

    def augassign(self, v: Var) -> cst.BaseStatement:
        """`v += e` / `v -= e` / `v *= e`, guarded for the loop trips it may repeat over."""
        mult = self.multiplier(v)
        d = v.dtype
        s = component_scalar(d)
        c = cap(s)
        comp = composite(d)
        if comp is not None:
            if comp.kind in ("quat", "transform"):
                return self.reassign(v)  # `q += e` would leave the unit quaternions
            bound = self.registry.leaves.component_cap(s)
            c = Interval(-bound, bound)

        ops = ["+", "-"] + (["*"] if composite(d) is None else [])
        op = self.rng.pick(ops)
        e = self.expr(d, self.knobs.max_depth - 1)
        if op == "*":
            if mult == 1:
                from grammar.dtypes import corners

                r = math.sqrt(c.hi) / 2
                r = math.floor(r) if scalar(s).is_int else r
                if not corners(lambda p, q: p * q, v.iv, e.iv).within(c):
                    if not v.iv.within(Interval(max(-r, c.lo), r)):
                        op = "+"
                    else:
                        e = clamp_to(e, max(-r, c.lo), r)
                if op == "*":
                    new = v.iv.union(corners(lambda p, q: p * q, v.iv, e.iv))
            else:
                lim = (0, 1) if scalar(s).kind == "uint" else (-1, 1)
                e = clamp_to(e, *lim)
                new = Interval(-v.iv.mag, v.iv.mag) if scalar(s).kind != "uint" else Interval(0, v.iv.hi)
        if op in "+-":
            room_hi = c.hi - v.iv.hi
            room_lo = v.iv.lo - c.lo
            if scalar(s).kind == "uint" and op == "-":
                op = "+"
            step = min(room_hi, room_lo) / max(mult, 1) / 2
            if scalar(s).is_int:
                step = math.floor(step)
            if step <= 0:
                return self.reassign(v)
            if not e.iv.within(Interval(-step, step)):
                if composite(d) is not None:
                    return self.reassign(v)
                e = clamp_to(e, max(-step, c.lo), step)
            lo_d = min(e.iv.lo, 0) if op == "+" else -max(e.iv.hi, 0)
            hi_d = max(e.iv.hi, 0) if op == "+" else -min(e.iv.lo, 0)
            new = Interval(v.iv.lo + mult * lo_d, v.iv.hi + mult * hi_d)
        if not widen(s, new).within(c):  # rounding at the edge of the cap: assign instead
            return self.reassign(v)
        v.iv = widen(s, new)
        cst_op = {"+": cst.AddAssign, "-": cst.SubtractAssign, "*": cst.MultiplyAssign}[op]()  # type: ignore[abstract]
        return cst.SimpleStatementLine([cst.AugAssign(target=name(v.name), operator=cst_op, value=e.node)])

    def store(self, a: ArrayParam, e: Expr | None = None) -> cst.BaseStatement:
        """`out[idx] = e` at this thread's own element (race free)."""
        e = e or self.expr(a.dtype, self.knobs.max_depth)
        idx = [name(v.name) for v in self.idx[: len(a.shape)]]
        tgt = subscript(name(a.name), *idx)
        return cst.SimpleStatementLine([cst.Assign(targets=[cst.AssignTarget(tgt)], value=e.node)])

    def block(self, stmts: list[cst.BaseStatement]) -> cst.IndentedBlock:
        return cst.IndentedBlock(body=stmts or [cst.SimpleStatementLine([cst.Pass()])])

    def cond(self) -> Expr:
        e = self.expr(BOOL, max(self.knobs.max_depth - 2, 1))
        return e
