"""The reduction passes that inline single-use locals and one-line helpers and simplify dtypes:
what they propose (the reducer judges each proposal on Warp; here only the edit is checked)."""

from __future__ import annotations

import ast

from corpus import passes as P
from grammar.case import KernelCase, ParamSpec

SRC = """@wp.func
def k_1_f(x: float, y: float):
    return x * y + 1.0

@wp.kernel
def k_1(a1: wp.array(dtype=wp.float64), out2: wp.array(dtype=wp.vec3d)):
    i = wp.tid()
    v3 = wp.float32(a1[i]) - 0.5
    v4 = v3 * v3
    out2[i] = wp.vec3d(k_1_f(v4, 2.0 + 1.0), 0.0, 0.0)
"""
PARAMS = (ParamSpec("a1", "array", "float64", (8,), "in"), ParamSpec("out2", "array", "vec3d", (8,), "out"))
CASE = KernelCase("k_1", SRC, "test", 1, "test", PARAMS, (8,))


def _kernel_body(case: KernelCase) -> list[str]:
    tree = ast.parse(case.source)
    k = next(f for f in tree.body if isinstance(f, ast.FunctionDef) and f.name == "k_1")
    return [ast.unparse(s) for s in k.body]


def test_inline_locals_only_single_use() -> None:
    got = [c.case for c in P.inline_locals(CASE)]
    # v3 is read twice: never inlined; v4 once: inlined into the helper call
    assert len(got) == 1
    assert _kernel_body(got[0])[-1] == "out2[i] = wp.vec3d(k_1_f(v3 * v3, 2.0 + 1.0), 0.0, 0.0)"
    assert P.size(got[0]) < P.size(CASE)


def test_inline_helpers_substitutes_arguments_and_drops_the_helper() -> None:
    (cand,) = list(P.inline_helpers(CASE))
    assert "k_1_f" not in cand.case.source
    assert _kernel_body(cand.case)[-1] == "out2[i] = wp.vec3d(v4 * (2.0 + 1.0) + 1.0, 0.0, 0.0)"
    # a helper with more than a return is left alone
    two = SRC.replace("    return x * y + 1.0", "    z = x * y\n    return z + 1.0")
    assert list(P.inline_helpers(KernelCase("k_1", two, "test", 1, "test", PARAMS, (8,)))) == []


def test_simplify_dtypes_changes_source_and_specs_together() -> None:
    cands = {c.what: c.case for c in P.simplify_dtypes(CASE)}
    f = cands["dtype float64 -> float32"]
    assert "float64" not in f.source and [p.dtype for p in f.params] == ["float32", "vec3d"]
    v = cands["dtype vec/mat/quat ...d -> ...f"]
    assert "vec3d" not in v.source and "wp.vec3f(" in v.source and v.params[1].dtype == "vec3f"
    assert all(P.size(c) < P.size(CASE) for c in cands.values())
    plain = KernelCase("k_1", SRC.replace("float64", "float32").replace("vec3d", "vec3f"), "test", 1, "test",
                       (PARAMS[0].__class__("a1", "array", "float32", (8,), "in"),
                        PARAMS[1].__class__("out2", "array", "vec3f", (8,), "out")), (8,))  # fmt: skip
    assert list(P.simplify_dtypes(plain)) == []


UNUSED = """import typing
k_1_C = wp.constant(2)
k_1_T = (k_1_g,)
@wp.func
def k_1_g(x: float):
    return x
@wp.func
def k_1_h(x: float):
    return x * float(k_1_C)
@wp.func
def k_1_h(x: int):
    return x
@wp.kernel
def k_1(a1: wp.array(dtype=typing.Any), out2: wp.array(dtype=typing.Any)):
    i = wp.tid()
    out2[i] = k_1_h(a1[i])
@wp.overload
def k_1(a1: wp.array(dtype=wp.float32), out2: wp.array(dtype=wp.float32)): ...
k_1_inst = wp.overload(k_1, [wp.array(dtype=wp.float32), wp.array(dtype=wp.float32)])
"""


def test_drop_unused_removes_only_what_the_kernel_no_longer_reaches() -> None:
    p = (ParamSpec("a1", "array", "float32", (8,), "in"), ParamSpec("out2", "array", "float32", (8,), "out"))
    case = KernelCase("k_1", UNUSED, "test", 1, "test", p, (8,))
    (cand,) = list(P.drop_unused(case))
    assert cand.what == "drop unused k_1_T, k_1_g"
    src = cand.case.source
    # both k_1_h definitions, the constant one of them reads, the stub and the overload call stay
    assert src.count("def k_1_h") == 2 and "k_1_C = wp.constant(2)" in src and "import typing" in src
    assert "@wp.overload" in src and "k_1_inst = wp.overload(k_1" in src
    assert "k_1_g" not in src and "k_1_T" not in src
    assert P.size(cand.case) < P.size(case)
    assert list(P.drop_unused(cand.case)) == []  # nothing left to drop


def test_inline_locals_keeps_a_query_and_its_index_passed_by_reference() -> None:
    """`bvh_query_next(q, j)` updates q and j: inlining q's value would restart the query on every
    iteration (an endless loop on any hit); a plain single-use local beside them still inlines."""
    src = (
        "@wp.kernel\ndef k_2(a1: wp.array(dtype=wp.vec3f), bvh2: wp.uint64, out3: wp.array(dtype=float)):\n"
        "    i = wp.tid()\n"
        "    q1 = wp.bvh_query_aabb(bvh2, a1[i], a1[i])\n"
        "    j1 = int(0)\n"
        "    while wp.bvh_query_next(q1, j1):\n"
        "        pass\n"
        "    v1 = a1[i][0]\n"
        "    out3[i] = v1\n"
    )
    params = (
        ParamSpec("a1", "array", "vec3f", (4,), "in"),
        ParamSpec("bvh2", "scalar", "uint64", (), "in"),
        ParamSpec("out3", "array", "float32", (4,), "out"),
    )
    got = [c.what for c in P.inline_locals(KernelCase("k_2", src, "test", 2, "test", params, (4,)))]
    assert got == ["inline v1"]
