"""Evaluate one Warp kernel over all threads at once.

Every local is a lane value; control flow runs both sides of a branch under per-lane masks,
loops iterate to the largest per-lane trip count with an active mask, and `return`/`break`/
`continue` retire lanes. A lane that takes a decision within rounding error gets a sticky
control taint: everything it assigns or writes afterwards is marked unstable.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Any

import numpy as np

import oracle.tiles as tiles
from oracle.access import LaunchLog, SharedAtomic
from oracle.astwalk import walk_nodes
from oracle.builtins import Registry, shared_default_registry
from oracle.errors import OrderDependent, UndefinedBehavior, Unsupported
from oracle.geometry import bind_geometry
from oracle.numeric import OpCtx, Stats, cast, compare, float_binop, int_binop, negate, truth
from oracle.races import atomic_results_used, element_name, record_load, record_store, same_values, written
from oracle.result import OracleResult
from oracle.source import (
    Generic,
    ModuleConst,
    ModuleInfo,
    ReturnType,
    param_types,
    parse_module,
    return_type,
    returns_value,
)
from oracle.static import FuncRef, StaticContext, TypedConst, evaluate_static, is_static_call, static_names
from oracle.types import (
    BOOL,
    FLOAT32,
    INT32,
    ArrayT,
    Composite,
    Scalar,
    StructT,
    ValueType,
    composite_from_name,
    scalar_from_name,
    wp_attr,
)
from oracle.values import (
    ArrayRef,
    Keyword,
    RefWrites,
    StateAdvance,
    StructVal,
    TypeArg,
    Value,
    const_value,
    lane_broadcast,
    select,
)

MAX_WHILE_ITERATIONS = 100_000
# wp.pi, math.pi, ...: Python floats, which Warp reads as float literals where a kernel names them
WP_CONSTANTS = {"pi": np.pi, "tau": 2 * np.pi, "e": np.e, "inf": np.inf, "half_pi": np.pi / 2}
MAX_CALL_DEPTH = 32

BINOPS = {
    ast.Add: "Add",
    ast.Sub: "Sub",
    ast.Mult: "Mult",
    ast.Div: "Div",
    ast.FloorDiv: "FloorDiv",
    ast.Mod: "Mod",
    ast.Pow: "Pow",
    ast.BitAnd: "BitAnd",
    ast.BitOr: "BitOr",
    ast.BitXor: "BitXor",
    ast.LShift: "LShift",
    ast.RShift: "RShift",
    ast.MatMult: "MatMult",
}
CMPOPS = {ast.Lt: "Lt", ast.LtE: "LtE", ast.Gt: "Gt", ast.GtE: "GtE", ast.Eq: "Eq", ast.NotEq: "NotEq"}
SUPPORTED_OPERATORS = frozenset(
    {
        "Add",
        "Sub",
        "Mult",
        "Div",
        "FloorDiv",
        "Mod",
        "Pow",
        "BitAnd",
        "BitOr",
        "BitXor",
        "LShift",
        "RShift",
        "USub",
        "UAdd",
        "Invert",
        "Not",
        "And",
        "Or",
        "Lt",
        "LtE",
        "Gt",
        "GtE",
        "Eq",
        "NotEq",
        "IfExp",
    }
)
BARE_CALLS = frozenset({"int", "float", "range", "len"})


@dataclass
class Loop:
    broken: np.ndarray
    cont: np.ndarray


@dataclass
class Frame:
    env: dict[str, Any]
    returned: np.ndarray
    ctl_taint: np.ndarray
    ret_t: ReturnType | None = None
    ret: Value | tuple[Value, ...] | StructVal | None = None
    loops: list[Loop] = field(default_factory=list)
    name: str = ""
    infer_ret: bool = False  # a @wp.func without return annotation: the first return fixes the type
    # wp.static context: the function's `def` line, the names it binds, and the current values of
    # the variables of the enclosing unrolled (constant-range) loops
    decl_line: int = 0
    local_names: frozenset[str] = frozenset()
    statics: dict[str, int] = field(default_factory=dict)


class Interpreter:
    """Interprets kernels and functions of one parsed module for a fixed launch."""

    def __init__(
        self,
        info: ModuleInfo,
        dim: tuple[int, ...],
        registry: Registry,
        max_while_iterations: int = MAX_WHILE_ITERATIONS,
        copies: int = 1,
    ) -> None:
        if not 1 <= len(dim) <= 4 or any(int(d) < 0 for d in dim):
            raise Unsupported(f"launch dim {dim}")
        if copies < 1:
            raise ValueError(f"copies must be at least 1, got {copies}")
        self.info = info
        self.dim = tuple(int(d) for d in dim)
        self.copies = copies  # independent launches interpreted side by side (evaluate_many)
        self.launch_lanes = int(np.prod(self.dim))
        self.lanes = self.launch_lanes * copies
        self.registry = registry
        self.max_while_iterations = max_while_iterations
        self.stats = Stats()
        self.frames: list[Frame] = []
        self.lineno = 0
        self.log = LaunchLog(self.dim, False)  # replaced by run_kernel
        self._local_names: dict[int, tuple[ast.FunctionDef, frozenset[str]]] = {}

    # ------------------------------------------------------------------ plumbing

    @property
    def frame(self) -> Frame:
        return self.frames[-1]

    def ctx(self, mask: np.ndarray) -> OpCtx:
        ct = self.frame.ctl_taint if self.frames else np.zeros(self.lanes, bool)
        return OpCtx(mask, self.lineno, self.stats, ct)

    def local_names(self, fn: ast.FunctionDef) -> frozenset[str]:
        """`static_names(fn)`, walked once per function per interpretation (a helper called in a
        loop would otherwise be walked at every call)."""
        hit = self._local_names.get(id(fn))
        if hit is not None and hit[0] is fn:
            return hit[1]
        names = static_names(fn)
        self._local_names[id(fn)] = (fn, names)
        return names

    def unsupported(self, construct: str, detail: str = "") -> Unsupported:
        return Unsupported(construct, self.lineno, detail)

    def const(self, t: ValueType, v: object, literal: int | float | bool | None = None) -> Value:
        return const_value(t, v, self.lanes, literal)

    # ------------------------------------------------------------------ entry

    def run_kernel(
        self, name: str, args: dict[str, Any] | list[dict[str, Any]], reverse_atomics: bool = False
    ) -> dict[str, ArrayRef]:
        """Run kernel `name`; with `copies` > 1, `args` is one dict per launch. Every array records
        its accesses in one launch log (race detection); `reverse_atomics` makes shared-address
        atomics return old values in reverse lane order. `self.log` keeps the log afterwards."""
        args_list = args if isinstance(args, list) else [args]
        if len(args_list) != self.copies:
            raise ValueError(f"{len(args_list)} argument sets for {self.copies} launches")
        fn = self.info.kernels.get(name)
        if fn is None and name in self.info.refused_kernels:
            raise self.info.refused_kernels[name]  # a kernel factory call not resolvable from source
        if fn is None:
            raise Unsupported(
                f"kernel {name!r} not found in source", 0, f"kernels: {sorted(self.info.kernels)}"
            )
        env: dict[str, Any] = {}
        arrays: dict[str, ArrayRef] = {}
        for pname, ptype in self.kernel_params(name, fn, args_list[0]):
            if any(pname not in a for a in args_list):
                raise KeyError(f"kernel {name!r}: no value given for parameter {pname!r}")
            env[pname] = self.bind_arg(pname, ptype, [a[pname] for a in args_list], arrays)
        fns = [*self.info.kernels.values(), *(f for fs in self.info.overloads.values() for f in fs)]
        used = self.info.mentions_atomics and atomic_results_used(fns)
        self.log = LaunchLog(self.dim, used, reverse_atomics)
        for ref in arrays.values():
            ref.log = self.log
        frame = Frame(env, np.zeros(self.lanes, bool), np.zeros(self.lanes, bool), name=name)
        frame.decl_line, frame.local_names = fn.lineno, self.local_names(fn)
        self.frames.append(frame)
        self.exec_block(fn.body, np.ones(self.lanes, dtype=bool))
        self.frames.pop()
        return arrays

    def kernel_params(self, name: str, fn: ast.FunctionDef, args: dict[str, Any]) -> list[tuple[str, object]]:
        """The kernel's parameter types. A generic kernel (`typing.Any` parameters) is launched as
        the `@wp.overload` stub whose concrete types fit the arguments (Warp builds the declared
        instance); when none fits, the types come from the arguments, as Warp's launch infers them."""
        params = param_types(fn, self.info.structs, generic_ok=True)
        if not any(isinstance(p, Generic) for _, p in params):
            return params
        stubs = self.info.kernel_overloads.get(name, [])
        fits = []
        for stub in stubs:
            concrete = param_types(stub, self.info.structs)
            if len(concrete) == len(params) and all(
                _fits(t, args.get(pname)) for (pname, _), (_, t) in zip(params, concrete, strict=True)
            ):
                fits.append([(pname, t) for (pname, _), (_, t) in zip(params, concrete, strict=True)])
        if len(fits) == 1:
            return fits[0]
        if len(fits) > 1:
            raise Unsupported(
                "generic kernel whose arguments fit several @wp.overload stubs", fn.lineno, name
            )
        # no stub fits: Warp instantiates the kernel for the argument types (launch's inference:
        # a Python int is int32, a float float32)
        out: list[tuple[str, object]] = []
        for pname, p in params:
            arg = args.get(pname)
            if not isinstance(p, Generic):
                out.append((pname, p))
                continue
            if isinstance(arg, bool | int | float) and "array" not in p.annotation:
                out.append(
                    (pname, BOOL if isinstance(arg, bool) else INT32 if isinstance(arg, int) else FLOAT32)
                )
                continue
            if not isinstance(arg, np.ndarray | np.generic):
                raise Unsupported(
                    "typing.Any kernel parameter", fn.lineno, f"{name}.{pname}: declare a @wp.overload"
                )
            s = scalar_from_name(str(arg.dtype))
            if s is None or ("array" in p.annotation) != (np.ndim(arg) > 0):
                raise Unsupported(
                    "typing.Any kernel parameter", fn.lineno, f"{name}.{pname}: declare a @wp.overload"
                )
            out.append((pname, ArrayT(s, np.ndim(arg)) if "array" in p.annotation else s))
        return out

    def bind_arg(self, pname: str, ptype: object, values: list[Any], arrays: dict[str, ArrayRef]) -> Any:
        """Bind one parameter from its value in each launch (one value unless `copies` > 1)."""
        if isinstance(ptype, ArrayT):
            datas = [np.array(v, dtype=ptype.dtype.np, copy=True) for v in values]
            data = datas[0]
            want = data.ndim - len(ptype.dtype.shape)
            if want != ptype.ndim or tuple(data.shape[ptype.ndim :]) != ptype.dtype.shape:
                raise ValueError(f"argument {pname!r}: shape {data.shape} does not fit {ptype}")
            if any(d.shape != data.shape for d in datas):
                raise ValueError(f"argument {pname!r}: the launches pass arrays of different shapes")
            base = None
            if self.copies > 1:
                n = int(np.prod(data.shape[: ptype.ndim]))
                base = np.repeat(np.arange(self.copies, dtype=np.int64) * n, self.launch_lanes)
                data = np.concatenate(datas, axis=0)
            uns = np.zeros(data.shape[: ptype.ndim], bool)
            ref = ArrayRef(pname, ptype, data, np.zeros(data.shape), uns, self.copies, base)
            arrays[pname] = ref
            return ref
        if isinstance(ptype, StructT):
            if not all(isinstance(v, dict) for v in values):
                raise ValueError(f"argument {pname!r}: struct {ptype.name} needs a dict of fields")
            fields = {}
            for fname, ftype in ptype.fields:
                fields[fname] = self.bind_arg(f"{pname}.{fname}", ftype, [v[fname] for v in values], arrays)
            return StructVal(ptype, fields)
        if isinstance(ptype, Scalar) and ptype.name == "uint64" and values and isinstance(values[0], dict):
            return bind_geometry(pname, values)  # a wp.Mesh / wp.HashGrid / wp.Bvh id
        assert isinstance(ptype, Scalar | Composite)
        parts = []
        for value in values:
            arr = np.asarray(value, dtype=ptype.np)
            if arr.shape != ptype.shape:
                raise ValueError(f"argument {pname!r}: shape {arr.shape} does not fit {ptype}")
            parts.append(np.broadcast_to(arr, (self.launch_lanes, *ptype.shape)))
        data = np.concatenate(parts, axis=0) if len(parts) > 1 else parts[0].copy()
        return Value(ptype, data, np.zeros(data.shape), np.zeros(self.lanes, bool))

    # ------------------------------------------------------------------ statements

    def live_mask(self, mask: np.ndarray) -> np.ndarray:
        m = mask & ~self.frame.returned
        if self.frame.loops:
            loop = self.frame.loops[-1]
            m = m & ~loop.broken & ~loop.cont
        return m

    def exec_block(self, stmts: list[ast.stmt], mask: np.ndarray) -> None:
        for st in stmts:
            m = self.live_mask(mask)
            if not (m.any() or (self.frame.ctl_taint & mask).any()):
                return
            self.lineno = getattr(st, "lineno", self.lineno)
            self.exec_stmt(st, m)

    def exec_stmt(self, st: ast.stmt, m: np.ndarray) -> None:
        if isinstance(st, ast.Assign):
            if len(st.targets) != 1:
                raise self.unsupported("chained assignment")
            self.assign(st.targets[0], st.value, m)
        elif isinstance(st, ast.AnnAssign):
            if st.value is None:
                raise self.unsupported("declaration without value")
            self.assign(st.target, st.value, m)
        elif isinstance(st, ast.AugAssign):
            self.aug_assign(st, m)
        elif isinstance(st, ast.If):
            known = self.static_test(st.test)
            if known is not None:
                # a compile-time condition: Warp emits only the branch taken
                self.exec_block(st.body if known else st.orelse, m)
                return
            c = self.cond(st.test, m)
            self.exec_block(st.body, m & c)
            if st.orelse:
                self.exec_block(st.orelse, m & ~c)
        elif isinstance(st, ast.For):
            self.exec_for(st, m)
        elif isinstance(st, ast.While):
            self.exec_while(st, m)
        elif isinstance(st, ast.Break | ast.Continue):
            if not self.frame.loops:
                raise self.unsupported(f"statement {type(st).__name__} outside a loop")
            loop = self.frame.loops[-1]
            if isinstance(st, ast.Break):
                loop.broken |= m
            else:
                loop.cont |= m
        elif isinstance(st, ast.Return):
            self.exec_return(st, m)
        elif isinstance(st, ast.Expr):
            if isinstance(st.value, ast.Constant):
                return  # docstring
            if not isinstance(st.value, ast.Call):
                raise self.unsupported("expression statement", ast.unparse(st.value))
            self.eval(st.value, m)
        elif isinstance(st, ast.Pass):
            return
        else:
            raise self.unsupported(f"statement {type(st).__name__}")

    def cond(self, node: ast.expr, m: np.ndarray) -> np.ndarray:
        """Evaluate a branch condition; a near-tie on an active lane taints that lane's control."""
        v = truth(self.value(node, m), self.ctx(m))
        self.frame.ctl_taint |= m & v.taint
        return np.asarray(v.data, dtype=bool)

    def exec_return(self, st: ast.Return, m: np.ndarray) -> None:
        fr = self.frame
        if isinstance(fr.ret_t, StructT) and st.value is not None:
            self.return_struct(st.value, m)
            return
        if st.value is not None:
            if fr.ret_t is None and not fr.infer_ret:
                raise self.unsupported("return with a value from a kernel")
            elts = st.value.elts if isinstance(st.value, ast.Tuple) else None
            vals = tuple(self.value(e, m) for e in elts) if elts is not None else (self.value(st.value, m),)
            t: ReturnType = tuple(v.t for v in vals) if elts is not None else vals[0].t
            if fr.ret_t is None:
                fr.ret_t = t  # Warp infers an unannotated function's type from its returns
            if t != fr.ret_t:
                raise self.unsupported("return type mismatch", f"{_type_str(t)} vs {_type_str(fr.ret_t)}")
            vals = tuple(Value(v.t, v.data, v.err, v.taint | fr.ctl_taint) for v in vals)
            if fr.ret is None:
                fr.ret = vals if elts is not None else vals[0]
            elif isinstance(fr.ret, tuple):
                fr.ret = tuple(select(m, v, old) for v, old in zip(vals, fr.ret, strict=True))
            else:
                assert isinstance(fr.ret, Value)
                fr.ret = select(m, vals[0], fr.ret)
        fr.returned = fr.returned | m

    def exec_for(self, st: ast.For, m: np.ndarray) -> None:
        if st.orelse:
            raise self.unsupported("for-else")
        it = st.iter
        if not (isinstance(it, ast.Call) and isinstance(it.func, ast.Name) and it.func.id == "range"):
            raise self.unsupported("for over something other than range()")
        if not isinstance(st.target, ast.Name):
            raise self.unsupported("for target that is not a name")
        if it.keywords or not 1 <= len(it.args) <= 3:
            raise self.unsupported("range() with keywords or more than 3 arguments")
        fixed = [self.static_int(a) for a in it.args]
        # a constant range whose body holds wp.static is unrolled: the variable is a constant there
        static_var = all(v is not None for v in fixed) and any(
            isinstance(n, ast.Call) and wp_attr(n.func) == "static" for n in walk_nodes(st)
        )
        vals = [self.value(a, m) for a in it.args]
        for v in vals:
            if v.t != INT32:
                raise self.unsupported("range() argument that is not int32", str(v.t))
        ints = [v.data.astype(np.int64) for v in vals]
        if len(ints) == 1:
            start, stop, step = np.zeros(self.lanes, np.int64), ints[0], np.ones(self.lanes, np.int64)
        elif len(ints) == 2:
            start, stop, step = ints[0], ints[1], np.ones(self.lanes, np.int64)
        else:
            start, stop, step = ints
        if (m & (step == 0)).any():
            raise UndefinedBehavior("range() step of zero (the loop never ends)", self.lineno)
        safe = np.where(step == 0, 1, step)
        trips = np.where(safe > 0, -((start - stop) // safe), -((stop - start) // -safe))
        trips = np.where(m, np.maximum(trips, 0), 0)
        for v in vals:
            self.frame.ctl_taint |= m & v.taint
        loop = Loop(np.zeros(self.lanes, bool), np.zeros(self.lanes, bool))
        self.frame.loops.append(loop)
        try:
            n = int(trips.max()) if trips.size else 0
            for t in range(n):
                loop.cont = np.zeros(self.lanes, bool)
                act = m & (t < trips) & ~loop.broken & ~self.frame.returned
                if not act.any():
                    break
                k = (start + t * step).astype(np.int32)
                self.bind(
                    st.target.id, Value(INT32, k, np.zeros(self.lanes), np.zeros(self.lanes, bool)), act
                )
                if static_var:
                    self.frame.statics[st.target.id] = int(range(*fixed)[t])  # type: ignore[arg-type]
                self.exec_block(st.body, act)
        finally:
            self.frame.loops.pop()

    def exec_while(self, st: ast.While, m: np.ndarray) -> None:
        if st.orelse:
            raise self.unsupported("while-else")
        loop = Loop(np.zeros(self.lanes, bool), np.zeros(self.lanes, bool))
        self.frame.loops.append(loop)
        try:
            act = m.copy()
            for _ in range(self.max_while_iterations):
                loop.cont = np.zeros(self.lanes, bool)
                act = act & ~loop.broken & ~self.frame.returned
                if not act.any():
                    return
                self.lineno = st.lineno
                act = act & self.cond(st.test, act)
                if not act.any():
                    return
                self.exec_block(st.body, act)
            raise self.unsupported(
                "while loop", f"no termination within {self.max_while_iterations} iterations"
            )
        finally:
            self.frame.loops.pop()

    # ------------------------------------------------------------------ assignment

    def bind(self, name: str, v: Value, m: np.ndarray) -> None:
        """Assign a local under mask `m`; control-tainted lanes become tainted."""
        self.frame.statics.pop(name, None)  # a loop constant assigned at run time is a variable
        old = self.frame.env.get(name)
        ct = self.frame.ctl_taint
        if isinstance(old, Value):
            if old.t != v.t:
                raise self.unsupported("assignment changing a variable's type", f"{name}: {old.t} -> {v.t}")
            new = select(m, v, old)
        elif old is None:
            new = Value(v.t, v.data.copy(), v.err.copy(), v.taint.copy())
        else:
            raise self.unsupported("assignment to an array/struct name", name)
        new.taint = new.taint | ct
        self.frame.env[name] = new

    def assign(self, target: ast.expr, value: ast.expr, m: np.ndarray) -> None:
        if isinstance(target, ast.Tuple):
            if isinstance(value, ast.Call) and wp_attr(value.func) == "tid":
                self.assign_tid(target, m)
                return
            if isinstance(value, ast.Call) and self.user_callee(value.func) is not None:
                self.assign_tuple(target, self.call(value, m), m)
                return
            if isinstance(value, ast.Call) and wp_attr(value.func) in tiles.TUPLE_CALLS:
                self.assign_tuple(target, self.call(value, m), m)  # `v, slot = wp.tile_stack_pop(s)`
                return
            if isinstance(value, ast.Call) and wp_attr(value.func) is not None:
                # a builtin returning several values (`U, s, V = wp.svd3(A)`, Warp >= 1.8)
                self.assign_tuple(target, self.call(value, m), m)
                return
            raise self.unsupported("tuple assignment other than `i, j = wp.tid()` or `a, b = f(x)`")
        if isinstance(target, ast.Name):
            if isinstance(value, ast.Call) and wp_attr(value.func) == "tid":
                if len(self.dim) != 1:
                    raise self.unsupported("`i = wp.tid()` in a multi-dimensional launch")
                self.bind(target.id, self.tid_values()[0], m)
                return
            v = self.eval(value, m)
            if isinstance(v, StructVal):
                self.bind_struct(target.id, v, m)
                return
            if isinstance(v, FuncRef) and is_static_call(value):
                if target.id in self.frame.env and self.frame.env[target.id] != v:
                    raise self.unsupported("a function local rebound to another function", target.id)
                self.frame.env[target.id] = v  # `f = wp.static(FUNCS[k])`: a compile-time callee
                return
            if not isinstance(v, Value):
                raise self.unsupported("assigning an array/struct to a local", target.id)
            self.bind(target.id, v, m)
            return
        if isinstance(target, ast.Subscript | ast.Attribute) and self.nested_target(target):
            self.store_path(target, self.eval(value, m), m)
            return
        if isinstance(target, ast.Subscript):
            v = self.value(value, m)
            self.store_subscript(target, v, m)
            return
        if isinstance(target, ast.Attribute):
            v = self.value(value, m)
            self.store_attribute(target, v, m)
            return
        raise self.unsupported(f"assignment target {type(target).__name__}")

    def assign_tuple(self, target: ast.Tuple, result: Any, m: np.ndarray) -> None:
        """`a, b = f(x)` for a @wp.func returning a tuple: one name per element."""
        if not isinstance(result, tuple):
            raise self.unsupported("tuple assignment from a function that does not return a tuple")
        if len(result) != len(target.elts) or not all(isinstance(e, ast.Name) for e in target.elts):
            raise self.unsupported("tuple assignment with a different number of names than values")
        for e, v in zip(target.elts, result, strict=True):
            assert isinstance(e, ast.Name)
            self.bind(e.id, v, m)

    def tid_values(self) -> list[Value]:
        idx = (
            np.unravel_index(np.arange(self.lanes) % self.launch_lanes, self.dim)
            if self.lanes
            else [np.zeros(0)] * len(self.dim)
        )
        z = np.zeros(self.lanes, bool)
        return [Value(INT32, np.asarray(i, dtype=np.int32), np.zeros(self.lanes), z.copy()) for i in idx]

    def assign_tid(self, target: ast.Tuple, m: np.ndarray) -> None:
        if len(target.elts) != len(self.dim) or not all(isinstance(e, ast.Name) for e in target.elts):
            raise self.unsupported("wp.tid() unpacked into a different number of names than launch dims")
        for e, v in zip(target.elts, self.tid_values(), strict=True):
            assert isinstance(e, ast.Name)
            self.bind(e.id, v, m)

    def aug_assign(self, st: ast.AugAssign, m: np.ndarray) -> None:
        op = BINOPS.get(type(st.op))
        if op is None:
            raise self.unsupported(f"augmented operator {type(st.op).__name__}")
        if isinstance(st.target, ast.Subscript) and not isinstance(st.target.value, ast.Subscript):
            # (`v[i][k] += e` is no array update: v[i] is not evaluated here, its index only once)
            base = self.eval(st.target.value, m)
            if isinstance(base, ArrayRef) and op in ("Add", "Sub"):
                # Warp lowers `a[i] += v` / `a[i] -= v` on arrays to atomic_add / atomic_sub
                from oracle.atomics import atomic_update  # noqa: PLC0415

                idx = self.indices(st.target, m)
                v = self.value(st.value, m)
                atomic_update("add" if op == "Add" else "sub", base, idx, v, self.ctx(m))
                return
        if isinstance(st.target, ast.Subscript | ast.Attribute):
            self.aug_path(st, op, m)
            return
        if isinstance(st.target, ast.Name | ast.Subscript | ast.Attribute):
            cur = self.value(st.target, m)
            rhs = self.value(st.value, m)
            res = self.binop(op, cur, rhs, m)
            if isinstance(st.target, ast.Name):
                self.bind(st.target.id, res, m)
            elif isinstance(st.target, ast.Subscript):
                self.store_subscript(st.target, res, m)
            else:
                self.store_attribute(st.target, res, m)
            return
        raise self.unsupported(f"augmented assignment target {type(st.target).__name__}")

    def store_attribute(self, target: ast.Attribute, v: Value, m: np.ndarray) -> None:
        if isinstance(target.value, ast.Name):
            base = self.frame.env.get(target.value.id)
            if isinstance(base, Value) and isinstance(base.t, Composite):
                from oracle.composite import component_index

                comp = component_index(base.t, target.attr, self.ctx(m))
                self.store_component(target.value.id, base, (comp,), v, m)
                return
        raise self.unsupported("attribute assignment", ast.unparse(target))

    def indices(self, target: ast.Subscript, m: np.ndarray) -> list[Value]:
        sl = target.slice
        elts = sl.elts if isinstance(sl, ast.Tuple) else [sl]
        out = []
        for e in elts:
            if isinstance(e, ast.Slice):
                raise self.unsupported("slice indexing")
            v = self.value(e, m)
            if v.t.shape or not v.t.is_int:
                raise self.unsupported("index that is not an integer", str(v.t))
            out.append(v)
        return out

    def store_subscript(self, target: ast.Subscript, v: Value, m: np.ndarray) -> None:
        base = self.eval(target.value, m)
        idx = self.indices(target, m)
        if isinstance(base, ArrayRef):
            self.array_store(base, idx, v, m)
            return
        if isinstance(base, Value) and isinstance(base.t, Composite) and isinstance(target.value, ast.Name):
            self.store_component(target.value.id, base, tuple(idx), v, m)
            return
        raise self.unsupported("subscript assignment", ast.unparse(target))

    def store_component(self, name: str, base: Value, idx: tuple[Any, ...], v: Value, m: np.ndarray) -> None:
        from oracle.composite import set_component

        new = set_component(base, idx, v, self.ctx(m))
        self.bind(name, new, m)

    # ------------------------------------------------------------------ nested lvalues

    def nested_target(self, target: ast.Subscript | ast.Attribute) -> bool:
        """True for stores the plain paths do not model: a struct field (`s.f = e`), a component
        of an array element (`v[i].x = e`, `v[i][k] = e`), chained subscripts (`m[r][c] = e`)."""
        base = target.value
        if isinstance(base, ast.Subscript | ast.Attribute):
            return True
        if isinstance(target, ast.Attribute) and isinstance(base, ast.Name):
            return isinstance(self.frame.env.get(base.id), StructVal)
        return False

    def lvalue_steps(self, target: ast.expr, m: np.ndarray) -> tuple[str, list[tuple[str, Any]]]:
        """The root name and the access steps of a store target, each index evaluated once, root
        first and then outward (Python's order: `a[i][k]` evaluates `a`, `i`, then `k`)."""
        chain: list[ast.expr] = []
        node = target
        while isinstance(node, ast.Subscript | ast.Attribute):
            chain.append(node)
            node = node.value
        if not isinstance(node, ast.Name):
            raise self.unsupported("assignment target", ast.unparse(target))
        steps: list[tuple[str, Any]] = []
        for n in reversed(chain):
            if isinstance(n, ast.Attribute):
                steps.append(("attr", n.attr))
            else:
                assert isinstance(n, ast.Subscript)
                steps.append(("index", self.indices(n, m)))
        return node.id, steps

    def path_load(self, val: Any, steps: list[tuple[str, Any]], m: np.ndarray) -> Any:
        for kind, key in steps:
            if kind == "attr" and isinstance(val, StructVal):
                if key not in val.fields:
                    raise self.unsupported("struct field", f"{val.t.name}.{key}")
                val = val.fields[key]
            elif isinstance(val, Value) and isinstance(val.t, Composite):
                from oracle.composite import component_index, get_component

                idx = (component_index(val.t, key, self.ctx(m)),) if kind == "attr" else tuple(key)
                val = get_component(val, idx, self.ctx(m))
            elif kind == "index" and isinstance(val, ArrayRef):
                val = self.array_load(val, key, m)
            else:
                raise self.unsupported("access in an assignment target", f"{kind} {key!r}")
        return val

    def path_set(self, val: Any, steps: list[tuple[str, Any]], new: Any, m: np.ndarray) -> Any:
        """A copy of `val` with the element at `steps` replaced by `new` (value semantics)."""
        if not steps:
            if isinstance(val, Value) and isinstance(new, Value) and new.t != val.t:
                if new.literal is not None and isinstance(val.t, Scalar):
                    return cast(new, val.t, self.ctx(m))
                raise self.unsupported("assignment of a different type", f"{new.t} into {val.t}")
            if isinstance(val, StructVal) and (not isinstance(new, StructVal) or new.t != val.t):
                raise self.unsupported("assignment of a different type into a struct", val.t.name)
            return new
        (kind, key), rest = steps[0], steps[1:]
        if kind == "attr" and isinstance(val, StructVal):
            if key not in val.fields:
                raise self.unsupported("struct field", f"{val.t.name}.{key}")
            fields = dict(val.fields)
            fields[key] = self.path_set(fields[key], rest, new, m)
            return StructVal(val.t, fields)
        if isinstance(val, Value) and isinstance(val.t, Composite):
            from oracle.composite import component_index, get_component, set_component

            idx = (component_index(val.t, key, self.ctx(m)),) if kind == "attr" else tuple(key)
            inner = get_component(val, idx, self.ctx(m)) if rest else None
            part = self.path_set(inner, rest, new, m) if rest else new
            if not isinstance(part, Value):
                raise self.unsupported("component assignment of a non-value")
            return set_component(val, idx, part, self.ctx(m))
        raise self.unsupported("access in an assignment target", f"{kind} {key!r}")

    def store_steps(self, root: str, steps: list[tuple[str, Any]], v: Any, m: np.ndarray) -> None:
        base = self.frame.env.get(root)
        if isinstance(base, StructVal) and steps and steps[0][0] == "attr":
            held = base.fields.get(steps[0][1])
            if isinstance(held, ArrayRef):  # `s.arr[i] = e`: a store into the array the struct holds
                base, steps = held, steps[1:]
        if isinstance(base, ArrayRef):
            if not steps or steps[0][0] != "index":
                raise self.unsupported("assignment to an array name", root)
            idx = steps[0][1]
            elem = self.array_load(base, idx, m) if steps[1:] else None
            new = self.path_set(elem, steps[1:], v, m) if steps[1:] else v
            if not isinstance(new, Value):
                raise self.unsupported("array store of a non-value", root)
            self.array_store(base, idx, new, m)
            return
        if isinstance(base, StructVal):
            if any(isinstance(f, ArrayRef) for f in base.fields.values()):
                raise self.unsupported("assignment into a struct holding arrays", root)
            new_s = self.path_set(base, steps, v, m)
            assert isinstance(new_s, StructVal)
            self.bind_struct(root, new_s, m)
            return
        if isinstance(base, Value):
            new_v = self.path_set(base, steps, v, m)
            assert isinstance(new_v, Value)
            self.bind(root, new_v, m)
            return
        raise self.unsupported("assignment target", root)

    def store_path(self, target: ast.expr, v: Any, m: np.ndarray) -> None:
        """`s.f = e`, `s.v[k] = e`, `t.s.f = e`, `v[i].x = e`, `v[i][k] = e`, `m[r][c] = e`:
        the value is evaluated first, then the target's indices (Python's order)."""
        root, steps = self.lvalue_steps(target, m)
        self.store_steps(root, steps, v, m)

    def aug_path(self, st: ast.AugAssign, op: str, m: np.ndarray) -> None:
        """`x[...] op= e` / `s.f op= e`: target indices once, then the current value, then `e`."""
        root, steps = self.lvalue_steps(st.target, m)
        base = self.frame.env.get(root)
        if base is None:
            raise self.unsupported("name", root)
        cur = self.path_load(base, steps, m)
        if not isinstance(cur, Value):
            raise self.unsupported("augmented assignment of a non-value", ast.unparse(st.target))
        rhs = self.value(st.value, m)
        self.store_steps(root, steps, self.binop(op, cur, rhs, m), m)

    def return_struct(self, node: ast.expr, m: np.ndarray) -> None:
        """`return s` from a @wp.func returning a struct: a copy, merged per lane."""
        fr = self.frame
        v = self.eval(node, m)
        if not isinstance(v, StructVal) or v.t != fr.ret_t:
            raise self.unsupported(
                "return type mismatch", f"{ast.unparse(node)} is not {_type_str(fr.ret_t)}"
            )
        fr.ret = self.struct_select(m, v, fr.ret) if isinstance(fr.ret, StructVal) else self.struct_copy(v)
        fr.returned = fr.returned | m

    def struct_ctor(self, node: ast.Call, m: np.ndarray) -> StructVal:
        """`S()`: every field zero (Warp's default constructor); arguments are not modelled."""
        assert isinstance(node.func, ast.Name)
        if node.args or node.keywords:
            raise self.unsupported("struct constructor with arguments", node.func.id)
        return self.struct_zero(self.info.structs[node.func.id])

    def struct_zero(self, t: StructT) -> StructVal:
        fields: dict[str, Any] = {}
        for fname, ftype in t.fields:
            if isinstance(ftype, StructT):
                fields[fname] = self.struct_zero(ftype)
            elif isinstance(ftype, Scalar | Composite):
                fields[fname] = self.const(ftype, 0)
            else:
                raise self.unsupported("local struct with an array field", f"{t.name}.{fname}")
        return StructVal(t, fields)

    def bind_struct(self, name: str, v: StructVal, m: np.ndarray) -> None:
        """Structs are values in Warp: `r = s` copies, so a later `r.f = e` leaves `s` alone."""
        old = self.frame.env.get(name)
        if old is not None and not (isinstance(old, StructVal) and old.t == v.t):
            raise self.unsupported("assignment changing a variable's type", name)
        self.frame.env[name] = self.struct_select(m, v, old) if old is not None else self.struct_copy(v)

    def struct_copy(self, v: StructVal) -> StructVal:
        fields: dict[str, Any] = {}
        for k, f in v.fields.items():
            if isinstance(f, Value):
                fields[k] = Value(f.t, f.data.copy(), f.err.copy(), f.taint | self.frame.ctl_taint)
            elif isinstance(f, StructVal):
                fields[k] = self.struct_copy(f)
            else:
                fields[k] = f
        return StructVal(v.t, fields)

    def struct_select(self, m: np.ndarray, new: StructVal, old: StructVal) -> StructVal:
        fields: dict[str, Any] = {}
        for k, f in new.fields.items():
            o = old.fields[k]
            if isinstance(f, Value) and isinstance(o, Value):
                s = select(m, f, o)
                s.taint = s.taint | self.frame.ctl_taint
                fields[k] = s
            elif isinstance(f, StructVal) and isinstance(o, StructVal):
                fields[k] = self.struct_select(m, f, o)
            else:
                fields[k] = f
        return StructVal(new.t, fields)

    # ------------------------------------------------------------------ arrays

    def flat_index(
        self, arr: ArrayRef, idx: list[Value], m: np.ndarray, ub: bool = True
    ) -> tuple[np.ndarray, np.ndarray]:
        """Flat element index per lane and in-bounds flag; OOB on an active lane is UB."""
        if len(idx) != arr.t.ndim:
            raise self.unsupported("array indexed with a different number of indices than its ndim", arr.name)
        shape = arr.shape
        ok = np.ones(self.lanes, bool)
        cols = []
        for ax, (iv, n) in enumerate(zip(idx, shape, strict=True)):
            i = iv.data.astype(np.int64) if iv.t.name != "uint64" else iv.data.astype(object)
            inb = (i >= 0) & (i < n)
            inb = np.asarray(inb, dtype=bool)
            if ub and (m & ~inb).any():
                bad = int(np.asarray(i)[m & ~inb][0])
                raise UndefinedBehavior(
                    f"index {bad} out of bounds for axis {ax} of size {n} (array {arr.name!r})", self.lineno
                )
            ok &= inb
            cols.append(np.where(inb, i, 0).astype(np.int64))
        flat = np.ravel_multi_index(tuple(cols), shape) if all(shape) else np.zeros(self.lanes, np.int64)
        return arr.offset(np.asarray(flat, dtype=np.int64)), ok

    def array_load(self, arr: ArrayRef, idx: list[Value], m: np.ndarray) -> Value:
        flat, ok = self.flat_index(arr, idx, m)
        comp = arr.t.dtype.shape
        n = arr.elements
        if n == 0:
            data = np.zeros((self.lanes, *comp), arr.t.dtype.np)
            return Value(arr.t.dtype, data, np.zeros(data.shape), np.zeros(self.lanes, bool))
        lanes = np.nonzero(m)[0]
        record_load(arr, flat[lanes], lanes, self.lineno)
        d = arr.data.reshape(n, *comp)[flat]
        e = arr.err.reshape(n, *comp)[flat]
        taint = arr.unstable.reshape(n)[flat] & ok
        for iv in idx:
            taint = taint | iv.taint
        return Value(arr.t.dtype, d.copy(), e.copy(), taint)

    def array_store(self, arr: ArrayRef, idx: list[Value], v: Value, m: np.ndarray) -> None:
        if v.t != arr.t.dtype:
            raise self.unsupported("array store of a different type", f"{v.t} into {arr.t}")
        flat, ok = self.flat_index(arr, idx, m)
        comp = arr.t.dtype.shape
        n = arr.elements
        data = arr.data.reshape(n, *comp)
        err = arr.err.reshape(n, *comp)
        uns = arr.unstable.reshape(n)
        ct = self.frame.ctl_taint
        itaint = np.zeros(self.lanes, bool)
        for iv in idx:
            itaint |= iv.taint
        lanes = np.nonzero(m)[0]
        f = flat[lanes]
        # another lane reading or writing these elements, or two lanes storing different values
        # to one element: the result hangs on thread order (OrderDependent)
        record_store(arr, f, lanes, v.data[lanes], data[f], self.lineno)
        data[f] = v.data[lanes]
        err[f] = v.err[lanes]
        uns[f] = (v.taint | ct | itaint)[lanes]
        # lanes whose control (or index) is uncertain may have written elsewhere too
        maybe = (ct | itaint) & ~m & ok & self.alive_mask()
        uns[flat[maybe]] = True

    def alive_mask(self) -> np.ndarray:
        return ~self.frame.returned

    # ------------------------------------------------------------------ expressions

    def value(self, node: ast.expr, m: np.ndarray) -> Value:
        v = self.eval(node, m)
        if not isinstance(v, Value):
            raise self.unsupported("array/struct used as a value", ast.unparse(node))
        return v

    def eval(self, node: ast.expr, m: np.ndarray) -> Any:
        self.lineno = getattr(node, "lineno", self.lineno)
        if isinstance(node, ast.Attribute) and node.attr in WP_CONSTANTS and _module_name(node.value):
            return self.literal(float(WP_CONSTANTS[node.attr]))
        if isinstance(node, ast.Constant):
            return self.literal(node.value)
        if isinstance(node, ast.Name):
            if node.id in self.frame.env:
                return self.frame.env[node.id]
            if node.id in ("True", "False"):
                return self.literal(node.id == "True")
            c = self.info.constants.get(node.id)
            if c is not None:
                return self.module_const(c)
            raise self.unsupported("name", node.id)
        if isinstance(node, ast.BinOp):
            op = BINOPS.get(type(node.op))
            if op is None:
                raise self.unsupported(f"operator {type(node.op).__name__}")
            a = self.value(node.left, m)
            b = self.value(node.right, m)
            return self.binop(op, a, b, m)
        if isinstance(node, ast.UnaryOp):
            return self.unaryop(node, m)
        if isinstance(node, ast.BoolOp):
            return self.boolop(node, m)
        if isinstance(node, ast.Compare):
            return self.compare_chain(node, m)
        if isinstance(node, ast.IfExp):
            return self.ifexp(node, m)
        if isinstance(node, ast.Call):
            return self.call(node, m)
        if isinstance(node, ast.Subscript):
            return self.subscript(node, m)
        if isinstance(node, ast.Attribute):
            return self.attribute(node, m)
        raise self.unsupported(f"expression {type(node).__name__}")

    def module_const(self, c: ModuleConst) -> Value:
        """A module-level constant: a plain number acts as the literal; wp.constant() is typed."""
        if c.t is None:
            return self.literal(c.value)
        if isinstance(c.value, tuple):
            return self.const(
                c.t, np.broadcast_to(np.asarray(c.value, c.t.np), (self.lanes, *c.t.shape)).copy()
            )
        return self.const(c.t, c.value)

    def literal(self, val: object) -> Value:
        if isinstance(val, bool):
            return self.const(BOOL, val, literal=val)
        if isinstance(val, int):
            lo, hi = INT32.int_range
            if lo <= val <= hi:
                return self.const(INT32, val, literal=val)
            v = self.const(INT32, 0, literal=val)
            return v
        if isinstance(val, float):
            return self.const(FLOAT32, val, literal=val)
        raise self.unsupported(f"literal of type {type(val).__name__}")

    def binop(self, op: str, a: Value, b: Value, m: np.ndarray) -> Value:
        ctx = self.ctx(m)
        if tiles.is_tile(a) or tiles.is_tile(b):
            return tiles.binop(op, a, b, ctx)
        for v in (a, b):
            if isinstance(v.literal, int) and not isinstance(v.literal, bool):
                lo, hi = INT32.int_range
                if not lo <= v.literal <= hi:
                    raise self.unsupported("int literal outside int32 range", str(v.literal))
        if isinstance(a.t, Composite) or isinstance(b.t, Composite) or op == "MatMult":
            from oracle.composite import composite_binop

            return composite_binop(op, a, b, ctx)
        if a.t != b.t:
            raise self.unsupported(f"operator {op} on {a.t} and {b.t}", "Warp requires equal operand types")
        if a.t.is_bool:
            raise self.unsupported(f"operator {op} on bool")
        if a.t.is_float:
            if op in ("BitAnd", "BitOr", "BitXor", "LShift", "RShift"):
                raise self.unsupported(f"operator {op} on {a.t}")
            return float_binop(op, a, b, ctx)
        if op == "Pow":
            raise self.unsupported(f"operator Pow on {a.t}", "Warp has no integer pow")
        return int_binop(op, a, b, ctx)

    def unaryop(self, node: ast.UnaryOp, m: np.ndarray) -> Value:
        v = self.value(node.operand, m)
        ctx = self.ctx(m)
        if isinstance(node.op, ast.Not):
            t = truth(v, ctx)
            return Value(BOOL, ~t.data, t.err, t.taint)
        if isinstance(node.op, ast.UAdd):
            return v
        if isinstance(node.op, ast.USub) and tiles.is_tile(v):
            return tiles.unary_minus(v, ctx)
        if isinstance(node.op, ast.USub):
            if v.literal is not None and not isinstance(v.literal, bool):
                lit = -v.literal
                if isinstance(lit, int):
                    return self.literal(lit)
                return (
                    self.const(v.t, -v.data[0] if v.lanes else 0.0, literal=None)
                    if False
                    else Value(v.t, -v.data, v.err.copy(), v.taint.copy(), lit)
                )
            if isinstance(v.t, Composite):
                from oracle.composite import composite_neg

                return composite_neg(v, ctx)
            return negate(v, ctx)
        if isinstance(node.op, ast.Invert):
            if not v.t.is_int or v.t.shape:
                raise self.unsupported(f"operator Invert on {v.t}")
            return Value(v.t, np.invert(v.data), v.err.copy(), v.taint.copy())
        raise self.unsupported(f"operator {type(node.op).__name__}")

    def boolop(self, node: ast.BoolOp, m: np.ndarray) -> Value:
        """Short-circuit and/or (Warp >= 1.13): later operands run only on undecided lanes."""
        is_and = isinstance(node.op, ast.And)
        ctx = self.ctx(m)
        first = truth(self.value(node.values[0], m), ctx)
        res = first.data.copy()
        taint = first.taint.copy()
        undecided = m & (res if is_and else ~res)
        for sub in node.values[1:]:
            nxt = truth(self.value(sub, undecided), self.ctx(undecided))
            res = np.where(undecided, nxt.data, res)
            taint = taint | (undecided & nxt.taint)
            undecided = undecided & (res if is_and else ~res)
        return Value(BOOL, res, np.zeros(self.lanes), taint)

    def compare_chain(self, node: ast.Compare, m: np.ndarray) -> Value:
        left = self.value(node.left, m)
        out: Value | None = None
        for op, right_node in zip(node.ops, node.comparators, strict=True):
            name = CMPOPS.get(type(op))
            if name is None:
                raise self.unsupported(f"comparison {type(op).__name__}")
            right = self.value(right_node, m)
            if left.t != right.t:
                raise self.unsupported(f"comparison {name} on {left.t} and {right.t}")
            c = compare(name, left, right, self.ctx(m))
            out = c if out is None else Value(BOOL, out.data & c.data, out.err, out.taint | c.taint)
            left = right
        assert out is not None
        return out

    def ifexp(self, node: ast.IfExp, m: np.ndarray) -> Value:
        """`a if c else b`: each side evaluated only on its lanes (Warp emits an if/else)."""
        known = self.static_test(node.test)
        if known is not None:
            return self.value(node.body if known else node.orelse, m)
        c = truth(self.value(node.test, m), self.ctx(m))
        a = self.value(node.body, m & c.data)
        b = self.value(node.orelse, m & ~c.data)
        if a.t != b.t:
            raise self.unsupported("ternary with different branch types", f"{a.t} vs {b.t}")
        r = select(c.data, a, b)
        r.taint = r.taint | c.taint
        return r

    def subscript(self, node: ast.Subscript, m: np.ndarray) -> Any:
        if isinstance(node.value, ast.Attribute) and node.value.attr == "shape":
            base = self.eval(node.value.value, m)
            if isinstance(base, ArrayRef):
                if not isinstance(node.slice, ast.Constant) or not isinstance(node.slice.value, int):
                    raise self.unsupported("array.shape indexed by a non-constant")
                ax = node.slice.value
                if not 0 <= ax < base.t.ndim:
                    raise self.unsupported("array.shape index out of range", str(ax))
                return self.const(INT32, base.shape[ax])
        base = self.eval(node.value, m)
        if tiles.is_tile(base) and any(
            isinstance(e, ast.Slice) or (isinstance(e, ast.Name) and tiles.is_tile(self.frame.env.get(e.id)))
            for e in tiles.subscript_elts(node)
        ):
            return tiles.slice_indexed(self, base, node, m)  # `t[indices, :]`
        idx = self.indices(node, m)
        if isinstance(base, ArrayRef):
            return self.array_load(base, idx, m)
        if tiles.is_tile(base):
            return tiles.extract(base, idx, self.ctx(m))
        if isinstance(base, Value) and isinstance(base.t, Composite):
            from oracle.composite import get_component

            return get_component(base, tuple(idx), self.ctx(m))
        raise self.unsupported("subscript of", ast.unparse(node.value))

    def attribute(self, node: ast.Attribute, m: np.ndarray) -> Any:
        if wp_attr(node) is not None:
            raise self.unsupported(f"attribute wp.{node.attr}")
        base = self.eval(node.value, m)
        if isinstance(base, StructVal):
            if node.attr not in base.fields:
                raise self.unsupported("struct field", f"{base.t.name}.{node.attr}")
            return base.fields[node.attr]
        if isinstance(base, Value) and isinstance(base.t, Composite):
            from oracle.composite import component_index, get_component

            comp = component_index(base.t, node.attr, self.ctx(m))
            return get_component(base, (comp,), self.ctx(m))
        if isinstance(base, ArrayRef) and node.attr == "shape":
            raise self.unsupported("array.shape used other than as a.shape[k]")
        raise self.unsupported(f"attribute .{node.attr}")

    # ------------------------------------------------------------------ calls

    def call(self, node: ast.Call, m: np.ndarray) -> Any:
        if is_static_call(node):
            return self.static_value(node)
        callee = self.user_callee(node.func)
        if callee is not None:
            return self.call_ref(callee, node, m)
        name = wp_attr(node.func)
        if name == "static":
            raise self.unsupported("wp.static with other than one positional argument")
        if node.keywords and name not in tiles.TILE_CALLS:
            b = self.registry.get(name) if name else None
            if b is None or not b.static:
                raise self.unsupported("call with keyword arguments", ast.unparse(node.func))
        if name is None and isinstance(node.func, ast.Name):
            if node.func.id in ("int", "float"):
                name = node.func.id
            elif node.func.id == "len":
                return self.call_len(node, m)
            elif node.func.id in self.info.structs:
                return self.struct_ctor(node, m)
            else:
                raise self.unsupported(f"call {node.func.id}")
        if name is None:
            raise self.unsupported(f"call {ast.unparse(node.func)}")
        if name == "tid":
            raise self.unsupported("call wp.tid", "only as `i = wp.tid()` / `i, j = wp.tid()`")
        if name in tiles.TILE_CALLS or name in tiles.PARTIAL_CALLS:
            return tiles.call(self, name, node, m)
        b = self.registry.get(name)
        if b is None:
            raise self.unsupported(f"call wp.{name}")
        if b.static:
            args = [self.static_arg(a, m) for a in node.args]
            args += [Keyword(str(k.arg), self.static_arg(k.value, m)) for k in node.keywords]
        else:
            args = [self.eval(a, m) for a in node.args]
            # a local passed by name is the variable itself: a random draw among the later
            # arguments (`wp.randf(s, lo, wp.randf(s))`) has advanced it by the time of the call
            args = [self.reread(a, v) for a, v in zip(node.args, args, strict=True)]
        out = b.fn(args, self.ctx(m))
        if isinstance(out, StateAdvance):
            self.advance_state(node, out.state, m)
            return out.result
        if isinstance(out, RefWrites):
            self.write_refs(node, out, m)
            return out.result
        return out

    # ------------------------------------------------------------------ compile time

    def static_eval(self, node: ast.expr) -> object:
        """The Python value of a `wp.static` argument (oracle.static), in this frame's context."""
        fr = self.frame

        def local_len(nm: str) -> int | None:
            v = fr.env.get(nm)
            return v.t.shape[0] if isinstance(v, Value) and isinstance(v.t, Composite) else None

        ctx = StaticContext(
            self.info.assignments,
            frozenset(self.info.overloads),
            fr.decl_line,
            dict(fr.statics),
            fr.local_names - set(fr.statics),
            local_len,
        )
        return evaluate_static(node, ctx, self.lineno)

    def static_value(self, node: ast.Call) -> Any:
        """`wp.static(x)` as a kernel value: numbers act as the literal (Warp's add_constant),
        a typed Warp value as a constant of its type, a Warp function as a callee."""
        v = self.static_eval(node.args[0])
        if isinstance(v, FuncRef):
            return v
        if isinstance(v, TypedConst):
            if isinstance(v.value, tuple):
                data = np.broadcast_to(np.asarray(v.value, v.t.np), (self.lanes, *v.t.shape)).copy()
                return self.const(v.t, data)
            return self.const(v.t, v.value)
        if isinstance(v, bool | int | float):
            if isinstance(v, int) and not isinstance(v, bool):
                lo, hi = INT32.int_range
                if not lo <= v <= hi:
                    raise self.unsupported("wp.static int outside int32 range", str(v))
            return self.literal(v)
        raise self.unsupported(f"wp.static value of type {type(v).__name__}", ast.unparse(node))

    def static_test(self, node: ast.expr) -> bool | None:
        """A condition Warp resolves at codegen (a constant: `wp.static(c)`, a literal, a module
        constant), or None for a run-time condition."""
        if is_static_call(node):
            assert isinstance(node, ast.Call)
            v = self.static_eval(node.args[0])
            if isinstance(v, TypedConst):
                return bool(v.value)
            if isinstance(v, bool | int | float):
                return bool(v)
            raise self.unsupported(f"wp.static condition of type {type(v).__name__}", ast.unparse(node))
        if isinstance(node, ast.Constant) and isinstance(node.value, bool | int | float):
            return bool(node.value)
        if isinstance(node, ast.Name) and node.id not in self.frame.env and node.id in self.info.constants:
            c = self.info.constants[node.id].value
            return bool(c) if not isinstance(c, tuple) else None
        return None

    def static_int(self, node: ast.expr) -> int | None:
        """A `range()` argument Warp's codegen knows (warp codegen `eval_num`), else None."""
        if isinstance(node, ast.Constant) and type(node.value) is int:
            return node.value
        if (
            isinstance(node, ast.UnaryOp)
            and isinstance(node.op, ast.USub)
            and isinstance(node.operand, ast.Constant)
            and type(node.operand.value) is int
        ):
            return -node.operand.value
        if is_static_call(node):
            assert isinstance(node, ast.Call)
            v = self.static_eval(node.args[0])
            return v if type(v) is int else None
        if isinstance(node, ast.Name):
            if node.id in self.frame.statics:
                return self.frame.statics[node.id]
            if node.id not in self.frame.env and node.id in self.info.constants:
                c = self.info.constants[node.id].value
                return c if type(c) is int else None
        return None

    def user_callee(self, func: ast.expr) -> FuncRef | None:
        """The function a call names when it is not a `wp.` builtin: a module @wp.func, a local
        bound to `wp.static(...)`, or `wp.static(...)` itself."""
        if is_static_call(func):
            v = self.static_eval(func.args[0])  # type: ignore[attr-defined]
            if not isinstance(v, FuncRef):
                raise self.unsupported("call of a wp.static value that is not a function", ast.unparse(func))
            return v
        if isinstance(func, ast.Name):
            local = self.frame.env.get(func.id)
            if isinstance(local, FuncRef):
                return local
            if local is None and func.id in self.info.overloads:
                return FuncRef(func.id)
        return None

    def call_ref(self, ref: FuncRef, node: ast.Call, m: np.ndarray) -> Any:
        if ref.builtin:
            call = ast.Call(
                func=ast.Attribute(value=ast.Name(id="wp", ctx=ast.Load()), attr=ref.name, ctx=ast.Load()),
                args=node.args,
                keywords=node.keywords,
            )
            return self.call(ast.copy_location(call, node), m)
        if ref.name not in self.info.overloads:
            raise self.unsupported("call of a function not defined in the module", ref.name)
        if node.keywords:
            raise self.unsupported("call with keyword arguments", ref.name)
        return self.call_func(ref.name, node, m)

    def reread(self, node: ast.expr, v: Any) -> Any:
        if isinstance(node, ast.Name) and isinstance(v, Value):
            now = self.frame.env.get(node.id)
            return now if isinstance(now, Value) else v
        return v

    def advance_state(self, node: ast.Call, state: Value, m: np.ndarray) -> None:
        """rand.h's `uint32& state`: a local passed by name advances on the active lanes (Warp's
        codegen passes the variable itself); a temporary (`wp.randf(wp.rand_init(s))`) is dropped."""
        arg = node.args[0]
        if isinstance(arg, ast.Name) and isinstance(self.frame.env.get(arg.id), Value):
            self.bind(arg.id, state, m)
        elif not isinstance(arg, ast.Call):
            raise self.unsupported("random state other than a local or a call", ast.unparse(arg))

    def write_refs(self, node: ast.Call, out: RefWrites, m: np.ndarray) -> None:
        """Arguments taken by reference (a query iterator, its `int& index`): each must be a
        local variable, which takes the new value on the active lanes."""
        for pos, v in out.writes:
            arg = node.args[pos]
            if not isinstance(arg, ast.Name):
                raise self.unsupported("by-reference argument other than a local", ast.unparse(arg))
            if isinstance(v, StructVal):
                self.bind_struct(arg.id, v, m)
            else:
                self.bind(arg.id, v, m)

    def static_arg(self, node: ast.expr, m: np.ndarray) -> Any:
        """A type name (`wp.float64`, `float`) becomes a TypeArg; anything else is evaluated."""
        tname = wp_attr(node) if isinstance(node, ast.Attribute) else None
        if isinstance(node, ast.Name) and node.id in ("float", "int") and node.id not in self.frame.env:
            tname = node.id
        if tname is not None:
            t = scalar_from_name(tname) or composite_from_name(tname)
            if t is None:
                raise self.unsupported(f"type argument wp.{tname}")
            return TypeArg(t)
        return self.eval(node, m)

    def call_len(self, node: ast.Call, m: np.ndarray) -> Value:
        if len(node.args) != 1:
            raise self.unsupported("len() with other than one argument")
        v = self.eval(node.args[0], m)
        if isinstance(v, ArrayRef):
            return self.const(INT32, v.shape[0])
        if isinstance(v, Value) and isinstance(v.t, Composite):
            return self.const(INT32, v.t.shape[0])
        raise self.unsupported("len() of", ast.unparse(node.args[0]))

    def overload(
        self, name: str, defs: list[ast.FunctionDef], args: list[Any]
    ) -> tuple[ast.FunctionDef, list[tuple[str, object]]]:
        """Warp's dispatch (Function.get_overload): one definition per signature (a later one
        with the same signature replaces the earlier in its place), concrete overloads whose
        types equal the arguments' first, then the generic ones in definition order."""
        concrete: dict[tuple[str, ...], tuple[ast.FunctionDef, list[tuple[str, object]]]] = {}
        generic: dict[tuple[str, ...], tuple[ast.FunctionDef, list[tuple[str, object]]]] = {}
        for fn in defs:
            params = param_types(fn, self.info.structs, generic_ok=True)
            table = generic if any(isinstance(p, Generic) for _, p in params) else concrete
            table[_signature(params)] = (fn, params)
        for fn, params in [*concrete.values(), *generic.values()]:
            if len(params) == len(args) and all(
                _accepts(p, v) for (_, p), v in zip(params, args, strict=True)
            ):
                return fn, params
        got = ", ".join(_describe(v) for v in args)
        if len(defs) > 1:
            raise self.unsupported("call matching no overload", f"{name}({got})")
        params = param_types(defs[0], self.info.structs, generic_ok=True)
        if len(params) != len(args):
            raise self.unsupported("call with a different number of arguments", name)
        raise self.unsupported("call argument of a different type", f"{name}({got}) for {_signature(params)}")

    def call_func(
        self, name: str, node: ast.Call, m: np.ndarray
    ) -> Value | tuple[Value, ...] | StructVal | None:
        if len(self.frames) > MAX_CALL_DEPTH:
            raise self.unsupported("recursive call", name)
        defs = self.info.overloads.get(name) or [self.info.funcs[name]]
        args = [self.eval(a, m) for a in node.args]
        fn, params = self.overload(name, defs, args)
        env: dict[str, Any] = {}
        for (pname, _), v in zip(params, args, strict=True):
            if isinstance(v, Value):
                v = Value(v.t, v.data.copy(), v.err.copy(), v.taint.copy())
            env[pname] = v
        declared = return_type(fn, self.info.structs)
        infer = declared is None and returns_value(fn)
        frame = Frame(env, ~m, self.frame.ctl_taint.copy(), declared, name=name, infer_ret=infer)
        frame.decl_line, frame.local_names = fn.lineno, self.local_names(fn)
        self.frames.append(frame)
        saved = self.lineno
        try:
            self.exec_block(fn.body, m)
        finally:
            self.frames.pop()
            self.lineno = saved
        if frame.ret_t is None and not infer:
            return None
        if isinstance(frame.ret_t, StructT):
            return frame.ret if isinstance(frame.ret, StructVal) else self.struct_zero(frame.ret_t)
        if frame.ret is None:
            if not np.any(m) and frame.ret_t is not None:
                # called on no active lane (e.g. inside a branch nobody takes): the value is never
                # observed, but the caller still needs one of the declared type
                ts = frame.ret_t if isinstance(frame.ret_t, tuple) else (frame.ret_t,)
                zs = tuple(const_value(t, 0, m.shape[0]) for t in ts)
                return zs if isinstance(frame.ret_t, tuple) else zs[0]
            if not np.any(m):
                raise self.unsupported(
                    "call of a @wp.func without return annotation on no active lane", f"{name}: type unknown"
                )
            raise self.unsupported("function that never returns a value", name)
        extra = frame.ctl_taint & m
        if isinstance(frame.ret, tuple):
            return tuple(Value(r.t, r.data, r.err, r.taint | extra) for r in frame.ret)
        r = frame.ret
        assert isinstance(r, Value)
        return Value(r.t, r.data, r.err, r.taint | extra)


def _accepts(ptype: object, v: Any) -> bool:
    """Whether an argument binds to a parameter: its exact type, or any type for `Any` (only an
    array for `wp.array(dtype=Any)`): Warp specializes a generic function per argument types."""
    vt = v.t if isinstance(v, Value | ArrayRef | StructVal) else None
    if vt is None:
        return False
    if isinstance(ptype, Generic):
        return isinstance(v, ArrayRef) if "array" in ptype.annotation else True
    return bool(vt == ptype)


def _fits(t: object, arg: Any) -> bool:
    """Whether an argument value can be a kernel parameter of type `t` (dtype and shape)."""
    if arg is None:
        return False
    if isinstance(t, ArrayT):
        a = np.asarray(arg)
        return (
            a.dtype == t.dtype.np
            and a.ndim == t.ndim + len(t.dtype.shape)
            and a.shape[t.ndim :] == t.dtype.shape
        )
    if isinstance(t, Scalar | Composite):
        a = np.asarray(arg)
        return a.shape == t.shape and (not isinstance(arg, np.ndarray | np.generic) or a.dtype == t.np)
    return isinstance(arg, dict) and isinstance(t, StructT)


def _signature(params: list[tuple[str, object]]) -> tuple[str, ...]:
    return tuple(p.annotation if isinstance(p, Generic) else str(p) for _, p in params)


def _describe(v: Any) -> str:
    return str(v.t) if isinstance(v, Value | ArrayRef | StructVal) else type(v).__name__


def evaluate(
    source: str,
    kernel_name: str,
    args: dict[str, Any],
    dim: tuple[int, ...],
    *,
    registry: Registry | None = None,
    max_while_iterations: int = MAX_WHILE_ITERATIONS,
) -> OracleResult:
    """Interpret `kernel_name` from `source` over the launch `dim` with `args` (oracle
    representation, as for `fuzz.engine.launch.launch`). Inputs are copied, never mutated. A `while`
    loop still running after `max_while_iterations` raises Unsupported (it may never end)."""
    return evaluate_many(
        source, kernel_name, [args], dim, registry=registry, max_while_iterations=max_while_iterations
    )[0]


def evaluate_many(
    source: str,
    kernel_name: str,
    args_list: list[dict[str, Any]],
    dim: tuple[int, ...],
    *,
    registry: Registry | None = None,
    max_while_iterations: int = MAX_WHILE_ITERATIONS,
) -> list[OracleResult]:
    """`evaluate` for several independent launches of one kernel (one argument set each), in one
    pass of the interpreter: the launches run side by side as extra lanes, each lane addressing
    its own launch's copy of every array. Interpretation cost is mostly per statement, not per
    lane, so K launches cost far less than K calls (the gradient check's finite differences).
    Each result equals what `evaluate` gives for that argument set; UB or an unsupported
    construct in any launch raises for all. `ops` is the total split evenly."""
    if not args_list:
        return []
    info = parse_module(source)
    k = len(args_list)
    reg = registry or shared_default_registry()
    interp = Interpreter(info, tuple(dim), reg, max_while_iterations, copies=k)
    with np.errstate(all="ignore"):
        arrays = interp.run_kernel(kernel_name, list(args_list))
    shared = interp.log.shared_atomic
    if shared is not None:
        # a shared-address atomic whose result is used: its old values follow the lane order, so
        # run again with the opposite order; any output that changes depends on thread order
        again = Interpreter(info, tuple(dim), reg, max_while_iterations, copies=k)
        try:
            with np.errstate(all="ignore"):
                rev = again.run_kernel(kernel_name, list(args_list), reverse_atomics=True)
        except UndefinedBehavior as e:
            raise OrderDependent(
                f"with the atomics on {shared.element} completing in another order the kernel "
                f"executes {e} (threads {shared.threads[0]} and {shared.threads[1]} share that address)",
                shared.array, shared.element, shared.threads, shared.lineno,
            ) from e  # fmt: skip
        order_difference(arrays, rev, shared)
    results = []
    for c in range(k):
        out_arrays: dict[str, np.ndarray] = {}
        bounds: dict[str, np.ndarray] = {}
        unstable: dict[str, np.ndarray] = {}
        writes: dict[str, np.ndarray] = {}
        for name, ref in arrays.items():
            rows = ref.data.shape[0] // k
            part = slice(c * rows, (c + 1) * rows)
            data = ref.data[part] if k > 1 else ref.data
            out_arrays[name] = data
            bounds[name] = ref.err[part] if ref.t.dtype.is_float else np.zeros(data.shape)
            uns = ref.unstable[part]
            u = uns.reshape(uns.shape + (1,) * len(ref.t.dtype.shape))
            unstable[name] = np.broadcast_to(u, data.shape).copy()
            w = written(ref).reshape(ref.unstable.shape)[part]
            writes[name] = np.broadcast_to(w.reshape(u.shape), data.shape).copy()
        results.append(OracleResult(out_arrays, bounds, unstable, interp.stats.ops // k, writes))
    return results


def order_difference(first: dict[str, ArrayRef], second: dict[str, ArrayRef], shared: SharedAtomic) -> None:
    """Raise OrderDependent at the first element whose value differs between the two runs."""
    for name, ref in first.items():
        other = second[name]
        n = ref.elements
        a = ref.data.reshape(n, -1)
        b = other.data.reshape(n, -1)
        same = same_values(a, b)
        if not same.all():
            el = element_name(ref, int(np.argmin(same)))
            raise OrderDependent(
                f"{el} takes a different value when the atomics on {shared.element} complete in "
                f"another order (threads {shared.threads[0]} and {shared.threads[1]} share that "
                "address and its returned value is used)",
                name, el, shared.threads, shared.lineno,
            )  # fmt: skip


def supported_operators() -> frozenset[str]:
    return SUPPORTED_OPERATORS


def supported_calls(registry: Registry | None = None) -> frozenset[str]:
    return (
        (registry or shared_default_registry()).names() | BARE_CALLS | tiles.TILE_CALLS | tiles.PARTIAL_CALLS
    )


_ = lane_broadcast, cast


def _type_str(t: ReturnType | None) -> str:
    if isinstance(t, tuple):
        return "tuple[" + ", ".join(str(x) for x in t) + "]"
    return str(t)


def _module_name(node: ast.expr) -> bool:
    """`wp`, `warp`, `math`, `np`: modules whose float constants (pi, e, ...) a kernel may read."""
    return isinstance(node, ast.Name) and node.id in ("wp", "warp", "math", "np", "numpy")
