"""Kernel shapes a known-differences entry names beyond its constructs (`KnownEntry.pattern`):
small AST predicates over a reduced kernel, so an entry matches the bug's form, not just a word."""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Mapping
from types import MappingProxyType

from fuzz.engine.gradients import contains_break
from fuzz.engine.signature import parse_kernel


def _call_name(n: ast.Call) -> str:
    """`wp.f(...)` and `f(...)` -> "f"; "" for any other callee."""
    f = n.func
    return f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""


def _arrays(fn: ast.FunctionDef) -> set[str]:
    return {a.arg for a in fn.args.args if a.annotation is not None and "array" in ast.unparse(a.annotation)}


def _element_stores(node: ast.AST, arrays: set[str]) -> list[ast.Subscript]:
    return [
        t
        for s in ast.walk(node)
        if isinstance(s, ast.Assign)
        for t in s.targets
        if isinstance(t, ast.Subscript) and isinstance(t.value, ast.Name) and t.value.id in arrays
    ]


def _const_trip_count(loop: ast.For) -> int | None:
    """Iterations of `for _ in range(<int literals>)`, else None (not known from the text)."""
    it = loop.iter
    if not (isinstance(it, ast.Call) and isinstance(it.func, ast.Name) and it.func.id == "range"):
        return None
    vals: list[int] = []
    for a in it.args:
        try:
            v = ast.literal_eval(a)
        except ValueError:
            return None
        if not isinstance(v, int):
            return None
        vals.append(v)
    try:
        return len(range(*vals))
    except (TypeError, ValueError):
        return None


def overwritten_store(fn: ast.FunctionDef) -> bool:
    """One array element stored twice by plain assignments: two stores of one element
    (`out[i] = a[i]; out[i] = 1.5`), or one store in a loop body that runs more than once whose
    index does not change with the loop (`for k in range(3): out[i] = a[i]`)."""
    arrays = _arrays(fn)
    seen: set[str] = set()
    for t in _element_stores(fn, arrays):
        key = ast.dump(t)
        if key in seen:
            return True
        seen.add(key)
    for loop in ast.walk(fn):
        if not isinstance(loop, ast.For | ast.While):
            continue
        if isinstance(loop, ast.For) and (n := _const_trip_count(loop)) is not None and n < 2:
            continue
        changing = {x.id for x in ast.walk(loop) if isinstance(x, ast.Name) and isinstance(x.ctx, ast.Store)}
        for t in _element_stores(loop, arrays):
            if not {x.id for x in ast.walk(t.slice) if isinstance(x, ast.Name)} & changing:
                return True
    return False


_BOOLISH = (ast.Compare, ast.BoolOp)


def int_condition_ifexp(fn: ast.FunctionDef) -> bool:
    """`x if c else y` whose condition is a value (a name, element or call), not a comparison."""
    for n in ast.walk(fn):
        if isinstance(n, ast.IfExp):
            t = n.test
            if isinstance(t, ast.UnaryOp) and isinstance(t.op, ast.Not):
                continue
            if isinstance(t, _BOOLISH) or (isinstance(t, ast.Constant) and isinstance(t.value, bool)):
                continue
            return True
    return False


def ifexp_shared_element(fn: ast.FunctionDef) -> bool:
    """`x if c else y` with a branch that reads an array element (`a[i]`) the kernel also reads
    outside that branch (the other branch or the surrounding expression):
    `a[i] + (a[i] if c else 0.0)`, `a[i] / t[i] if c else a[i]`. Warp before 1.17 drops the
    adjoint into that array (NVIDIA/warp#1736)."""

    def reads(node: ast.AST) -> list[str]:
        return [
            ast.dump(n)
            for n in ast.walk(node)
            if isinstance(n, ast.Subscript) and isinstance(n.ctx, ast.Load)
        ]

    everywhere = reads(fn)
    for n in ast.walk(fn):
        if not isinstance(n, ast.IfExp):
            continue
        in_test = reads(n.test)  # a read in the condition alone is not the shape (not seen failing)
        for branch in (n.body, n.orelse):
            inside = reads(branch)
            for r in set(inside):
                if everywhere.count(r) - in_test.count(r) > inside.count(r):
                    return True
    return False


def negated_value(fn: ast.FunctionDef) -> bool:
    """`-x` of a value computed at run time (a name, element or call), not of a literal: Warp
    lowers it to `0 - x`, which loses the sign of a zero."""
    return any(
        isinstance(n, ast.UnaryOp) and isinstance(n.op, ast.USub) and not isinstance(n.operand, ast.Constant)
        for n in ast.walk(fn)
    )


def struct_field_component_store(fn: ast.FunctionDef) -> bool:
    """`=`/`+=`/`-=` to a component of a vector field of a local struct (`s.v[2] = e`,
    `s.v[2] += e`, `t.s.v[0] += e`, `s.v.x = e`): Warp 1.19 drops that component's adjoint.
    Parameters are not local structs (`p.arr[i] = e` stores into an array field of a struct argument)."""
    params = {a.arg for a in fn.args.args}
    for n in ast.walk(fn):
        targets = (
            n.targets if isinstance(n, ast.Assign) else [n.target] if isinstance(n, ast.AugAssign) else []
        )
        for t in targets:
            inner = t.value if isinstance(t, ast.Subscript | ast.Attribute) else None
            if isinstance(inner, ast.Attribute):
                root: ast.expr = inner
                while isinstance(root, ast.Attribute | ast.Subscript):
                    root = root.value
                if isinstance(root, ast.Name) and root.id not in params:
                    return True
    return False


def break_in_loop(fn: ast.FunctionDef) -> bool:
    """A `for`/`while` loop whose body breaks (`break`, at its level or in its `if`s): Warp 1.19's
    backward pass runs such a loop's adjoint over the whole range in reverse and stops at the
    first `break` it meets, so the iterations before it lose their adjoint."""

    return any(
        isinstance(n, ast.For | ast.While) and contains_break(n.body, (ast.Break,)) for n in ast.walk(fn)
    )


def component_augassign(fn: ast.FunctionDef) -> bool:
    """`op=` on a component of an array element or a struct field (`a[i][1] += e`,
    `s.v[0] += e`, `S().v[1] += e`): Warp 1.10-1.14 refuse it in code generation."""
    return any(
        isinstance(n, ast.AugAssign)
        and isinstance(n.target, ast.Subscript)
        and isinstance(n.target.value, ast.Subscript | ast.Attribute)
        for n in ast.walk(fn)
    )


def _effect_calls(node: ast.AST) -> bool:
    """A call that may change memory: a user function (not a cast) or a wp.atomic_* builtin."""
    for n in ast.walk(node):
        if not isinstance(n, ast.Call):
            continue
        f = n.func
        if isinstance(f, ast.Name) and f.id not in ("int", "float", "bool", "len", "range"):
            return True
        if isinstance(f, ast.Attribute) and f.attr.startswith("atomic_"):
            return True
    return False


def augassign_call_index(fn: ast.FunctionDef) -> bool:
    """`a[f(...)] op= g(...)`: calls that may change memory in both the target's index and the
    value, whose order Warp 1.10-1.14 evaluate differently from Python's."""
    return any(
        isinstance(n, ast.AugAssign)
        and isinstance(n.target, ast.Subscript)
        and _effect_calls(n.target.slice)
        and _effect_calls(n.value)
        for n in ast.walk(fn)
    )


def augassign_call_index_twice(fn: ast.FunctionDef) -> bool:
    """`a[f(...)] op= e` with a call that may change memory in the target's index and none in the
    value: Warp 1.10-1.12 evaluate the index once for the load and again for the store."""
    return any(
        isinstance(n, ast.AugAssign)
        and isinstance(n.target, ast.Subscript)
        and _effect_calls(n.target.slice)
        and not _effect_calls(n.value)
        for n in ast.walk(fn)
    )


_RANDOM_CALLS = re.compile(r"^(rand[a-z]*|sample_[a-z_]+|poisson|noise|pnoise|curlnoise)$")


def augassign_random_call(fn: ast.FunctionDef) -> bool:
    """`v op= wp.randi(state, ...)`: a call that advances a random state in an augmented
    assignment's value (Warp 1.10-1.11 draw another number than `v = v op wp.randi(...)`)."""
    return any(
        isinstance(n, ast.AugAssign)
        and any(
            isinstance(c, ast.Call) and bool(_RANDOM_CALLS.match(_call_name(c))) for c in ast.walk(n.value)
        )
        for n in ast.walk(fn)
    )


def ifexp_constant_branch(fn: ast.FunctionDef) -> bool:
    """`(0 if c else a[k])`: a ternary with a literal branch and a branch read from memory."""
    return any(
        isinstance(n, ast.IfExp) and (isinstance(n.body, ast.Constant) != isinstance(n.orelse, ast.Constant))
        for n in ast.walk(fn)
    )


def _binds(node: ast.AST, name: str) -> bool:
    """`name = e` or `name op= e` somewhere in `node`."""
    for n in ast.walk(node):
        targets = (
            n.targets if isinstance(n, ast.Assign) else [n.target] if isinstance(n, ast.AugAssign) else []
        )
        if any(isinstance(t, ast.Name) and t.id == name for t in targets):
            return True
    return False


def for_var_while_counter(fn: ast.FunctionDef) -> bool:
    """A `for` loop's variable reused, after that loop, as the counter of a `while` (its test
    reads the name and its body rebinds it): Warp before 1.16 keeps the loop's own variable in
    the `while` test (NVIDIA/warp#1534), so the loop runs the wrong number of times, forever,
    or (1.12) corrupts memory."""
    loops = [n for n in ast.walk(fn) if isinstance(n, ast.For) and isinstance(n.target, ast.Name)]
    whiles = [n for n in ast.walk(fn) if isinstance(n, ast.While)]
    for f in loops:
        assert isinstance(f.target, ast.Name)
        name = f.target.id
        for w in whiles:
            reads = any(isinstance(x, ast.Name) and x.id == name for x in ast.walk(w.test))
            after = w.lineno > (f.end_lineno or f.lineno)
            if after and reads and any(_binds(b, name) for b in w.body):
                return True
    return False


_MESH_STACK_QUERIES = frozenset({"mesh_query_aabb", "mesh_query_sphere"})
_BVH_STACK_QUERIES = frozenset({"bvh_query_aabb", "bvh_query_ray", "bvh_query_capsule", "bvh_query_sphere"})


def _called(fn: ast.FunctionDef) -> set[str]:
    """Names of the functions `fn` calls (`wp.f(...)` and `f(...)` alike)."""
    return {_call_name(n) for n in ast.walk(fn) if isinstance(n, ast.Call)}


def mesh_and_bvh_query(fn: ast.FunctionDef) -> bool:
    """A mesh query (aabb, sphere) and a BVH query (aabb, ray, capsule, sphere) in one kernel:
    on CUDA each kind reserves its own static shared traversal stack (32 x block_dim ints:
    warp/native/mesh.h mesh_query_shared_stack, bvh.h bvh_query), 64 KiB together at the
    default block of 256 threads, above the 48 KiB a kernel may declare statically."""
    called = _called(fn)
    return bool(called & _MESH_STACK_QUERIES) and bool(called & _BVH_STACK_QUERIES)


def wide_int_literal(fn: ast.FunctionDef) -> bool:
    """An integer literal outside int32's range (`wp.int64(9223372036854775807)`): the value an
    emitter that writes every literal as an int32 constant narrows."""
    for n in ast.walk(fn):
        v = n.operand if isinstance(n, ast.UnaryOp) and isinstance(n.op, ast.USub) else n
        if isinstance(v, ast.Constant) and type(v.value) is int:
            x = -v.value if v is not n else v.value
            if not -(2**31) <= x < 2**31:
                return True
    return False


_FLOAT_TEXT = re.compile(r"\bfloat(?:16|32|64)?\b|\b(?:vec\d*|mat\d*)[fhd]?\b|\bquat|\btransform|\bspatial_")
_INT_TEXT = re.compile(r"\b(?:u?int(?:8|16|32|64)?|vec\d+[iu]\w*)\b")


def _maybe_float(fn: ast.FunctionDef) -> Callable[[ast.expr], bool]:
    """A test of whether an expression of `fn` may be a float: a float literal or conversion, an
    array or parameter of a float type, or a local of unknown type. Integers: parameters and
    arrays of integer types, `wp.tid()` results, loop variables, integer conversions, `len`."""
    ints: set[str] = set()
    for a in fn.args.args:
        text = ast.unparse(a.annotation) if a.annotation is not None else ""
        if text and not _FLOAT_TEXT.search(text) and _INT_TEXT.search(text):
            ints.add(a.arg)
    for n in ast.walk(fn):
        if (
            isinstance(n, ast.Assign)
            and isinstance(n.value, ast.Call)
            and ast.unparse(n.value.func) == "wp.tid"
        ):
            ints.update(t.id for t in n.targets if isinstance(t, ast.Name))
            ints.update(
                e.id for t in n.targets if isinstance(t, ast.Tuple) for e in t.elts if isinstance(e, ast.Name)
            )
        if isinstance(n, ast.For) and isinstance(n.target, ast.Name):
            ints.add(n.target.id)

    def maybe_float(e: ast.expr) -> bool:
        if isinstance(e, ast.Constant):
            return type(e.value) is float
        if isinstance(e, ast.Name):
            return e.id not in ints
        if isinstance(e, ast.Subscript):
            return maybe_float(e.value)
        if isinstance(e, ast.Attribute):
            return maybe_float(e.value)
        if isinstance(e, ast.Call):
            name = ast.unparse(e.func)
            return not (_INT_TEXT.fullmatch(name.removeprefix("wp.")) or name in ("len", "wp.tid"))
        if isinstance(e, ast.BinOp):
            return maybe_float(e.left) or maybe_float(e.right)
        if isinstance(e, ast.UnaryOp):
            return maybe_float(e.operand)
        return True

    return maybe_float


def float_min_max(fn: ast.FunctionDef) -> bool:
    """A `min`/`max`/`clamp` call with an operand that may be a float (`_maybe_float`).
    `wp.max(i, 1)` over `i = wp.tid()` and integer arrays is not it: no operand of it can be NaN."""
    maybe_float = _maybe_float(fn)
    return any(
        isinstance(n, ast.Call) and _call_name(n) in ("min", "max", "clamp") and any(map(maybe_float, n.args))
        for n in ast.walk(fn)
    )


# builtins whose value jumps at some argument: a float approximated by fast math (or a
# subnormal flushed to zero) that lies at the jump moves the result by a whole step
_JUMPS = (
    *("floor", "ceil", "trunc", "round", "rint", "frac", "step", "sign", "nonzero", "bool"),
    *("int", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"),
)


def float_discontinuity(fn: ast.FunctionDef) -> bool:
    """A float value at a point where the result jumps: `//` or `%` with a float operand, a
    comparison of a float, or a float through a step function or an integer conversion
    (`_JUMPS`). CUDA's fast math approximates division, square root and the transcendental
    intrinsics and flushes subnormals to zero, so such a kernel can change by a whole step under
    `fast_math` while every continuous result stays within the fast-math budget."""
    maybe_float = _maybe_float(fn)
    for n in ast.walk(fn):
        if isinstance(n, ast.BinOp) and isinstance(n.op, ast.FloorDiv | ast.Mod):
            if maybe_float(n.left) or maybe_float(n.right):
                return True
        elif isinstance(n, ast.Compare):
            if any(map(maybe_float, [n.left, *n.comparators])):
                return True
        elif isinstance(n, ast.Call) and _call_name(n) in _JUMPS and any(map(maybe_float, n.args)):
            return True
    return False


PATTERNS: Mapping[str, Callable[[ast.FunctionDef], bool]] = MappingProxyType(
    {
        "for-var-while-counter": for_var_while_counter,
        "component-augassign": component_augassign,
        "augassign-call-index": augassign_call_index,
        "break-in-loop": break_in_loop,
        "struct-field-component-store": struct_field_component_store,
        "overwritten-store": overwritten_store,
        "negated-value": negated_value,
        "int-condition-ifexp": int_condition_ifexp,
        "ifexp-shared-element": ifexp_shared_element,
        "mesh-and-bvh-query": mesh_and_bvh_query,
        "wide-int-literal": wide_int_literal,
        "augassign-call-index-twice": augassign_call_index_twice,
        "augassign-random-call": augassign_random_call,
        "ifexp-constant-branch": ifexp_constant_branch,
        "float-min-max": float_min_max,
        "float-discontinuity": float_discontinuity,
    }
)


def matches(pattern: str, source: str, kernel_name: str) -> bool:
    """Whether the kernel has `pattern`'s shape; an unknown pattern name is a table error."""
    if pattern not in PATTERNS:
        raise KeyError(
            f"corpus/known.py names pattern {pattern!r}; corpus/patterns.py has {sorted(PATTERNS)}"
        )
    fn, _ = parse_kernel(source, kernel_name)
    return fn is not None and PATTERNS[pattern](fn)
