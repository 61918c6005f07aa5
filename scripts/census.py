"""Census of generated kernels: the share containing each construct class the reach families add.

python scripts/census.py [--kernels 1500] [--start 0] [--weights loop=3]

Besides the classes below it counts the distinct Warp builtins the kernels reach (as
scripts/builtins_report.py does: `wp.*` calls read back from the source, operators as the builtin
they lower to, tuple expressions as `tuple`, typed constructors as the generic one) among the installed Warp's builtins, and
how many of those are `tile_*`; --min-builtins / --min-tile-builtins make a shortfall exit 1.

Every class is detected from the kernel source's AST (never from what the generator meant to
write), so a production that silently stopped emitting its form shows up here as a low share.
Classes (a kernel counts once per class, and once per form within it):
  side_effects  a call with side effects (a @wp.func storing to or atomically updating an array
                parameter, or a used wp.atomic_*) inside an index, an augmented-assignment target
                or value, an and/or operand, a ternary, a call argument or a loop bound
  lvalues       augmented assignment to a subscript/attribute, attribute and component stores,
                nested stores (v[i][k] = e, t.s.f = e), local @wp.struct values
  names         a loop variable read after its loop or reused as a later loop's counter, the
                same loop variable in nested loops, a name first bound on every branch of an if,
                one name reassigned in a loop Warp unrolls and in one it does not
  loops         range(start, stop, step) from expressions or with a negative step, break or
                continue in a nested for or a while, return inside a loop of a @wp.func
  nonfinite     wp.inf, wp.isnan, wp.isinf, wp.isfinite
Modern constructs (a kernel counts once per construct; reported apart from the classes, and
only `--check-modern` holds them to --min-share, as their families are opt-in by default):
  wp_static       a wp.static(...) call
  generic_any     a @wp.func or @wp.kernel parameter annotated with (typing.)Any, alone or inside
                  a type (wp.array(dtype=typing.Any))
  overloads       two or more module-level @wp.func definitions of one name
  wp_overload     a generic kernel's declared instance: a @wp.overload stub or a wp.overload(k, types) call
  kernel_factory  an undecorated function returning a @wp.kernel it defines
  custom_adjoint  a @wp.func_grad(f) or @wp.func_replay(f) definition
  tuple_return    a @wp.func returning a tuple (`return a, b` or a tuple[...] annotation)
  wp_constant     a wp.constant(...) call
  tiled_launch    a wp.tile* call (the kernel is launched tiled, with a block size)
"""

from __future__ import annotations

import argparse
import ast
import collections
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from grammar import GenConfig, generate, parse_weights  # noqa: E402
from scripts.builtins_report import reached  # noqa: E402

CLASSES = ("side_effects", "lvalues", "names", "loops", "nonfinite")
MODERN = ("wp_static", "generic_any", "overloads", "wp_overload", "kernel_factory", "custom_adjoint", "tuple_return",
          "wp_constant", "tiled_launch")  # fmt: skip
ATOMICS = frozenset({"atomic_add", "atomic_sub", "atomic_min", "atomic_max", "atomic_and", "atomic_or"})


@dataclass
class Found:
    """Forms seen in one kernel, keyed by class."""

    forms: dict[str, set[str]] = field(default_factory=lambda: collections.defaultdict(set))

    def add(self, cls: str, form: str) -> None:
        self.forms[cls].add(form)


def _wp(node: ast.AST) -> str | None:
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "wp":
        return node.attr
    return None


def _decorated(fn: ast.FunctionDef, what: str) -> bool:
    return any(_wp(d) == what for d in fn.decorator_list)


def _effectful_funcs(tree: ast.Module) -> set[str]:
    """@wp.func names that store into or atomically update one of their array parameters."""
    out = set()
    for fn in tree.body:
        if not (isinstance(fn, ast.FunctionDef) and _decorated(fn, "func")):
            continue
        arrays = {
            a.arg for a in fn.args.args if a.annotation is not None and "array" in ast.unparse(a.annotation)
        }
        for n in ast.walk(fn):
            tgt = (
                n.targets[0]
                if isinstance(n, ast.Assign)
                else n.target
                if isinstance(n, ast.AugAssign)
                else None
            )
            if isinstance(tgt, ast.Subscript) and isinstance(tgt.value, ast.Name) and tgt.value.id in arrays:
                out.add(fn.name)
            if isinstance(n, ast.Call) and _wp(n.func) in ATOMICS:
                out.add(fn.name)
    return out


def _effectful(node: ast.AST, funcs: set[str]) -> bool:
    for n in ast.walk(node):
        if isinstance(n, ast.Call):
            if isinstance(n.func, ast.Name) and n.func.id in funcs:
                return True
            if _wp(n.func) in ATOMICS:
                return True
    return False


def _side_effects(tree: ast.Module, found: Found) -> None:
    funcs = _effectful_funcs(tree)
    for n in ast.walk(tree):
        if isinstance(n, ast.Subscript) and _effectful(n.slice, funcs):
            found.add("side_effects", "index")
        elif isinstance(n, ast.AugAssign) and (_effectful(n.target, funcs) or _effectful(n.value, funcs)):
            found.add("side_effects", "augassign")
        elif isinstance(n, ast.BoolOp) and any(_effectful(v, funcs) for v in n.values):
            found.add("side_effects", "and_or")
        elif isinstance(n, ast.IfExp) and (_effectful(n.body, funcs) or _effectful(n.orelse, funcs)):
            found.add("side_effects", "ternary")
        elif isinstance(n, ast.Call) and any(_effectful(a, funcs) for a in n.args):
            is_range = isinstance(n.func, ast.Name) and n.func.id == "range"
            found.add("side_effects", "loop_bound" if is_range else "call_arg")
        elif isinstance(n, ast.While) and _effectful(n.test, funcs):
            found.add("side_effects", "loop_bound")


def _lvalues(tree: ast.Module, found: Found) -> None:
    structs = {c.name for c in tree.body if isinstance(c, ast.ClassDef)}
    for n in ast.walk(tree):
        targets = (
            n.targets if isinstance(n, ast.Assign) else [n.target] if isinstance(n, ast.AugAssign) else []
        )
        for t in targets:
            aug = isinstance(n, ast.AugAssign)
            if isinstance(t, ast.Attribute):
                found.add("lvalues", "attribute_augassign" if aug else "attribute_store")
            elif isinstance(t, ast.Subscript):
                if isinstance(t.value, ast.Subscript | ast.Attribute):
                    found.add("lvalues", "nested_store")
                elif aug:
                    found.add("lvalues", "subscript_augassign")
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in structs:
            found.add("lvalues", "local_struct")


def _blocks(node: ast.AST) -> Iterator[list[ast.stmt]]:
    for n in ast.walk(node):
        for attr in ("body", "orelse"):
            b = getattr(n, attr, None)
            if isinstance(b, list) and b and isinstance(b[0], ast.stmt):
                yield b


def _bound(stmts: list[ast.stmt]) -> set[str]:
    out = set()
    for s in stmts:
        for n in ast.walk(s):
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store):
                out.add(n.id)
    return out


def _unrolled(loop: ast.For | ast.While) -> bool:
    """`for _ in range(<int literals>)`: Warp unrolls it (below max_unroll); others stay loops."""
    if not isinstance(loop, ast.For) or not isinstance(loop.iter, ast.Call):
        return False
    return all(_literal_int(a) is not None for a in loop.iter.args)


def _names(tree: ast.Module, found: Found) -> None:
    for fn in tree.body:
        if not isinstance(fn, ast.FunctionDef):
            continue
        static: set[str] = set()
        dynamic: set[str] = set()
        for loop in (n for n in ast.walk(fn) if isinstance(n, ast.For | ast.While)):
            names = {
                t.id
                for st in loop.body
                for n in ast.walk(st)
                if isinstance(n, ast.Assign | ast.AugAssign)
                for t in (n.targets if isinstance(n, ast.Assign) else [n.target])
                if isinstance(t, ast.Name)
            }
            (static if _unrolled(loop) else dynamic).update(names)
        if static & dynamic:
            found.add("names", "reassigned_in_unrolled_and_dynamic_loops")
        for block in _blocks(fn):
            for k, st in enumerate(block):
                later = block[k + 1 :]
                if isinstance(st, ast.For) and isinstance(st.target, ast.Name):
                    v = st.target.id
                    for n in (m for s in later for m in ast.walk(s)):
                        if isinstance(n, ast.Name) and n.id == v:
                            found.add(
                                "names",
                                "loop_var_read_after" if isinstance(n.ctx, ast.Load) else "loop_var_reused",
                            )
                    for n in ast.walk(ast.Module(body=st.body, type_ignores=[])):
                        if isinstance(n, ast.For) and isinstance(n.target, ast.Name) and n.target.id == v:
                            found.add("names", "shadowed_loop_var")
                if isinstance(st, ast.If) and st.orelse:
                    before = _bound(block[:k])
                    both = (_bound(st.body) & _bound(st.orelse)) - before
                    read = {n.id for s in later for n in ast.walk(s) if isinstance(n, ast.Name)}
                    if both & read:
                        found.add("names", "bound_on_every_branch")


def _literal_int(n: ast.expr) -> int | None:
    if isinstance(n, ast.Constant) and type(n.value) is int:
        return n.value
    if isinstance(n, ast.UnaryOp) and isinstance(n.op, ast.USub):
        v = _literal_int(n.operand)
        return None if v is None else -v
    return None


def _loops(tree: ast.Module, found: Found) -> None:
    for n in ast.walk(tree):
        if (
            isinstance(n, ast.Call)
            and isinstance(n.func, ast.Name)
            and n.func.id == "range"
            and len(n.args) == 3
        ):
            step = _literal_int(n.args[2])
            if any(_literal_int(a) is None for a in n.args):
                found.add("loops", "range3_expressions")
            if step is not None and step < 0 or isinstance(n.args[2], ast.UnaryOp):
                found.add("loops", "negative_step")
    for fn in tree.body:
        if not isinstance(fn, ast.FunctionDef):
            continue
        _loop_walk(fn.body, 0, False, _decorated(fn, "func"), found)


def _loop_walk(stmts: list[ast.stmt], depth: int, in_while: bool, is_func: bool, found: Found) -> None:
    for st in stmts:
        if isinstance(st, ast.Break | ast.Continue) and (depth >= 2 or in_while):
            found.add("loops", "break_continue_nested")
        if isinstance(st, ast.Return) and depth >= 1 and is_func:
            found.add("loops", "return_in_loop")
        if isinstance(st, ast.For | ast.While):
            _loop_walk(st.body, depth + 1, isinstance(st, ast.While) or in_while, is_func, found)
        elif isinstance(st, ast.If):
            _loop_walk(st.body, depth, in_while, is_func, found)
            _loop_walk(st.orelse, depth, in_while, is_func, found)


def _nonfinite(tree: ast.Module, found: Found) -> None:
    for n in ast.walk(tree):
        name = _wp(n)
        if name == "inf":
            found.add("nonfinite", "wp.inf")
        elif isinstance(n, ast.Call) and _wp(n.func) in ("isnan", "isinf", "isfinite"):
            found.add("nonfinite", str(_wp(n.func)))


def _decorator_names(fn: ast.FunctionDef) -> set[str]:
    """`wp.<name>` of each decorator, called (`@wp.func_grad(f)`) or not."""
    return {n for d in fn.decorator_list if (n := _wp(d.func if isinstance(d, ast.Call) else d)) is not None}


def _is_any(node: ast.expr | None) -> bool:
    return node is not None and any(
        (isinstance(n, ast.Name) and n.id == "Any") or (isinstance(n, ast.Attribute) and n.attr == "Any")
        for n in ast.walk(node)
    )


def _factory(fn: ast.stmt) -> bool:
    if not isinstance(fn, ast.FunctionDef) or fn.decorator_list:
        return False
    kernels = {
        st.name for st in fn.body if isinstance(st, ast.FunctionDef) and "kernel" in _decorator_names(st)
    }
    return any(
        isinstance(st, ast.Return) and isinstance(st.value, ast.Name) and st.value.id in kernels
        for st in fn.body
    )


def modern(source: str) -> set[str]:
    """The modern constructs (MODERN) `source` contains, read from its AST."""
    tree = ast.parse(source)
    out: set[str] = set()
    func_names: collections.Counter[str] = collections.Counter()
    for st in tree.body:
        if isinstance(st, ast.FunctionDef) and "func" in _decorator_names(st):
            func_names[st.name] += 1
        if _factory(st):
            out.add("kernel_factory")
    if any(k >= 2 for k in func_names.values()):
        out.add("overloads")
    for n in ast.walk(tree):
        if isinstance(n, ast.Call):
            name = _wp(n.func) or ""
            if name == "static":
                out.add("wp_static")
            elif name == "overload":
                out.add("wp_overload")
            elif name == "constant":
                out.add("wp_constant")
            elif name.startswith("tile"):
                out.add("tiled_launch")
        elif isinstance(n, ast.FunctionDef):
            decos = _decorator_names(n)
            if "overload" in decos:
                out.add("wp_overload")
            if decos & {"func_grad", "func_replay"}:
                out.add("custom_adjoint")
            if decos & {"func", "kernel"}:
                a = n.args
                if any(_is_any(x.annotation) for x in [*a.posonlyargs, *a.args, *a.kwonlyargs]):
                    out.add("generic_any")
            if "func" in decos:
                ret_tuple = isinstance(n.returns, ast.Subscript) and ast.unparse(n.returns.value) in (
                    "tuple", "typing.Tuple", "Tuple"
                )  # fmt: skip
                returns = (r for r in ast.walk(n) if isinstance(r, ast.Return))
                if ret_tuple or any(isinstance(r.value, ast.Tuple) for r in returns):
                    out.add("tuple_return")
    return out


def census(source: str) -> Found:
    """The construct classes and forms `source` contains."""
    tree = ast.parse(source)
    found = Found()
    for f in (_side_effects, _lvalues, _names, _loops, _nonfinite):
        f(tree, found)
    return found


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kernels", type=int, default=1500)
    ap.add_argument("--start", type=int, default=0)
    ap.add_argument("--weights", default="")
    ap.add_argument("--min-share", type=float, default=0.02, help="exit 1 if a class is below this share")
    ap.add_argument(
        "--check-modern", action="store_true", help="exit 1 too if a modern construct is below --min-share"
    )
    ap.add_argument("--min-builtins", type=int, default=0, help="exit 1 if fewer Warp builtins are reached")
    ap.add_argument(
        "--min-tile-builtins", type=int, default=0, help="exit 1 if fewer tile_* builtins are reached"
    )
    ap.add_argument(
        "--unreached", action="store_true", help="also list the installed Warp's builtins no kernel reached"
    )
    args = ap.parse_args(argv)
    if args.kernels < 1:
        ap.error(f"--kernels must be >= 1, got {args.kernels}")
    config = GenConfig(weights=parse_weights(args.weights)) if args.weights else GenConfig()
    classes: collections.Counter[str] = collections.Counter()
    forms: collections.Counter[tuple[str, str]] = collections.Counter()
    modern_counts: collections.Counter[str] = collections.Counter()
    uses: collections.Counter[str] = collections.Counter()
    families: collections.Counter[str] = collections.Counter()
    for seed in range(args.start, args.start + args.kernels):
        case = generate(seed, config)
        source = case.source
        families[case.family] += 1
        uses.update(reached(case.constructs, source))
        found = census(source)
        for cls, fs in found.forms.items():
            classes[cls] += 1
            forms.update((cls, f) for f in fs)
        modern_counts.update(modern(source))
    n = args.kernels
    print(f"census of {n} kernels (seeds {args.start}..{args.start + n - 1})")
    low = []
    for cls in CLASSES:
        share = classes[cls] / n
        print(f"{cls:46s} {classes[cls]:6d}  {100 * share:6.2f} %")
        for (c, f), k in sorted(forms.items()):
            if c == cls:
                print(f"    {f:42s} {k:6d}  {100 * k / n:6.2f} %")
        if share < args.min_share:
            low.append(cls)
    print("modern constructs")
    for m in MODERN:
        share = modern_counts[m] / n
        below = share < args.min_share
        print(f"    {m:42s} {modern_counts[m]:6d}  {100 * share:6.2f} %{'  (below)' if below else ''}")
        if below and args.check_modern:
            low.append(m)
    from warp._src.context import builtin_functions

    hit = sorted(b for b in uses if b in builtin_functions)
    tiles = [b for b in hit if b.startswith("tile")]
    print(f"Warp builtins reached: {len(hit)} of {len(builtin_functions)}")
    print(
        f"    tile_* builtins reached: {len(tiles)} of {sum(b.startswith('tile') for b in builtin_functions)}"
    )
    print(f"    {' '.join(tiles)}")
    print("families: " + ", ".join(f"{f}={k}" for f, k in sorted(families.items())))
    if args.unreached:
        missed = sorted(b for b in builtin_functions if b not in uses)
        print(f"unreached ({len(missed)}): {' '.join(missed)}")
    if len(hit) < args.min_builtins:
        low.append(f"builtins ({len(hit)} < {args.min_builtins})")
    if len(tiles) < args.min_tile_builtins:
        low.append(f"tile builtins ({len(tiles)} < {args.min_tile_builtins})")
    if low:
        print(f"below target: {', '.join(low)}")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
