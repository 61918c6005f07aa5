"""Count distinct Warp builtins reachable from N generated kernels, AST-shape diversity and speed.

python scripts/builtins_report.py --seeds 10000
"""

from __future__ import annotations

import argparse
import ast
import collections
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from grammar import generate  # noqa: E402

# operator node names -> the Warp builtin each lowers to
OPERATOR_BUILTINS = {
    "Add": "add",
    "Sub": "sub",
    "Mult": "mul",
    "Div": "div",
    "FloorDiv": "floordiv",
    "Mod": "mod",
    "Pow": "pow",
    "BitAnd": "bit_and",
    "BitOr": "bit_or",
    "BitXor": "bit_xor",
    "LShift": "lshift",
    "RShift": "rshift",
    "USub": "neg",
    "UAdd": "pos",
    "Invert": "invert",
    "Not": "unot",
    "IfExp": "where",
}
# typed constructors (`vec3f`, `mat22d`, `quath`, `transformf`, and the float32 aliases `vec3`,
# `mat22`, `quat`, `transform`) count as Warp's generic builtin
TYPED_CTOR = re.compile(r"(vec[234]|mat(22|33|44)|quat|transform)[fdhi]?")
# (`int(x)` and `float(x)` resolve to Warp's own `int` and `float` builtins, not int32/float32)
CALL_BUILTINS: dict[str, str] = {}


def builtin_name(construct: str) -> str:
    if construct in OPERATOR_BUILTINS:
        return OPERATOR_BUILTINS[construct]
    if TYPED_CTOR.fullmatch(construct):  # (not transform_wrench, quat_twist_angle_signed, ...)
        return {"v": "vector", "m": "matrix", "q": "quaternion", "t": "transformation"}[construct[0]]
    return CALL_BUILTINS.get(construct, construct)


def lowered_builtins(source: str) -> set[str]:
    """Builtins the source reaches through syntax that `KernelCase.constructs` does not name: a
    tuple expression (`return a, b`, `shape=(4, 4)`) is Warp's `tuple` builtin (codegen's
    emit_Tuple); subscript indices and assignment targets are not tuple values."""
    tree = ast.parse(source)
    skip = {
        id(n.slice) for n in ast.walk(tree) if isinstance(n, ast.Subscript) and isinstance(n.slice, ast.Tuple)
    }
    for n in ast.walk(tree):
        if isinstance(n, ast.FunctionDef) and n.decorator_list:
            for m in ast.walk(n):
                if isinstance(m, ast.Tuple) and isinstance(m.ctx, ast.Load) and id(m) not in skip:
                    return {"tuple"}
    return set()


def reached(case_constructs: tuple[str, ...], source: str) -> set[str]:
    """The builtin names one case uses (not yet filtered to the installed Warp's builtins)."""
    return {builtin_name(k) for k in case_constructs} | lowered_builtins(source)


def shape_of(source: str) -> str:
    """The AST with names and constants erased: two kernels differing only in those share it."""
    tree = ast.parse(source)
    for n in ast.walk(tree):
        for f in ("id", "arg", "name", "attr"):
            if hasattr(n, f) and isinstance(getattr(n, f), str) and f != "attr":
                setattr(n, f, "_")
        if isinstance(n, ast.Constant):
            n.value = 0
    return ast.dump(tree, include_attributes=False)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, default=10000)
    ap.add_argument("--start", type=int, default=0)
    ap.add_argument(
        "--weights",
        default="",
        help="family weights as for `python -m fuzz --weights` (opt-in families: random=1,spatial=1)",
    )
    args = ap.parse_args(argv)
    from grammar import GenConfig, parse_weights

    config = GenConfig(weights=parse_weights(args.weights))
    from warp._src.context import builtin_functions

    t0 = time.time()
    counts: collections.Counter[str] = collections.Counter()
    shapes_per_k: list[int] = []
    shapes: set[str] = set()
    fams: collections.Counter[str] = collections.Counter()
    cases = []
    errors: list[str] = []
    for s in range(args.start, args.start + args.seeds):
        try:
            c = generate(s, config)
        except Exception as e:  # a generator bug: name the seed, keep counting the rest
            errors.append(f"seed {s}: {type(e).__name__}: {e}")
            continue
        cases.append(c)
        fams[c.family] += 1
        counts.update(reached(c.constructs, c.source))
    gen_s = time.time() - t0
    for b in range(0, len(cases), 1000):
        shapes = {shape_of(c.source) for c in cases[b : b + 1000]}
        shapes_per_k.append(len(shapes))
    warp_names = set(builtin_functions)
    hit = sorted(n for n in counts if n in warp_names)
    other = sorted(n for n in counts if n not in warp_names)
    print(f"distinct Warp builtins reached over {args.seeds} seeds: {len(hit)}")
    for n in hit:
        print(f"  {n:24s} {counts[n]}")
    if other:
        print(f"constructs that are not Warp builtins: {', '.join(other)}")
    print("families: " + ", ".join(f"{f}={n}" for f, n in sorted(fams.items())))
    print(f"distinct AST shapes per 1000 kernels: {shapes_per_k}")
    print(f"generation speed: {len(cases) / gen_s:.0f} kernels/s (no compiling)")
    for err in errors:
        print(f"GENERATOR ERROR {err}")
    return 1 if errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
