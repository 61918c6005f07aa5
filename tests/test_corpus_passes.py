"""Reduction passes on the libcst tree: valid Python out, consistent parameters, always smaller."""

from __future__ import annotations

import ast

from corpus import passes as P
from corpus.candidates import rename
from grammar.case import KernelCase, ParamSpec

SRC = """@wp.func
def k_9_f0(x: wp.float32):
    return wp.sin(x) + 1.0


@wp.kernel
def k_9(a1: wp.array(dtype=wp.float32), a2: wp.array(dtype=wp.float32), out3: wp.array(dtype=wp.float32)):
    i = wp.tid()
    v4 = k_9_f0(a1[i]) * 2.5
    if v4 > 0.125:
        v4 = wp.abs(v4 - a2[i])
    else:
        v4 = -v4
    for j in range(3):
        v4 += 1.0
    out3[i] = v4
"""

PARAMS = (
    ParamSpec("a1", "array", "float32", (16,), "in", -1.0, 1.0),
    ParamSpec("a2", "array", "float32", (32,), "in", -1.0, 1.0),
    ParamSpec("out3", "array", "float32", (16,), "out"),
)
CASE = KernelCase("k_9", SRC, "helper_func", 9, "test", PARAMS, (16,))


def _all(case: KernelCase) -> list[tuple[str, P.Candidate]]:
    return [(name, c) for name, fn in P.PASSES for c in fn(case)]


def test_every_pass_proposes_something_valid_and_smaller() -> None:
    base = P.size(CASE)
    seen = set()
    for name, cand in _all(CASE):
        seen.add(name)
        ast.parse(cand.case.source)  # always syntactically valid
        assert cand.case.source != CASE.source or cand.case.dim != CASE.dim or cand.case.params != CASE.params
        assert P.size(cand.case) < base, (name, cand.what)
    assert seen >= {"delete", "unwrap", "child", "literal", "simplify", "launch", "inputs"}, seen


def test_statement_count() -> None:
    # helper: return; kernel: tid, v4=, if (+2 branches), for (+1), out3=
    assert P.statement_count(CASE) == 1 + 1 + 1 + 1 + 2 + 1 + 1 + 1


def test_drop_parameters_keeps_specs_consistent() -> None:
    no_a2 = CASE.source.replace("wp.abs(v4 - a2[i])", "wp.abs(v4)")
    case = KernelCase("k_9", no_a2, "f", 9, "test", PARAMS, (16,))
    cands = list(P.drop_parameters(case))
    assert [c.what for c in cands] == ["drop parameter a2"]
    c = cands[0].case
    assert [p.name for p in c.params] == ["a1", "out3"]
    tree = ast.parse(c.source)
    kernel = next(f for f in tree.body if isinstance(f, ast.FunctionDef) and f.name == "k_9")
    assert [a.arg for a in kernel.args.args] == ["a1", "out3"]
    # a used parameter is never dropped
    assert not any("a1" in c.what for c in cands)


def test_shrink_launch_shrinks_matching_arrays_only() -> None:
    cands = list(P.shrink_launch(CASE))
    one = next(c.case for c in cands if c.case.dim == (1,))
    shapes = {p.name: p.shape for p in one.params}
    assert shapes == {"a1": (1,), "a2": (32,), "out3": (1,)}


def test_delete_never_leaves_an_empty_block() -> None:
    for c in P.delete_statements(CASE):
        ast.parse(c.case.source)
    whole = [c for c in P.delete_statements(CASE) if "pass" in c.case.source]
    assert whole, "deleting a whole block must leave `pass`"


def test_rename_renames_kernel_and_helpers_only() -> None:
    r = rename(CASE, "k_9_c3")
    assert "def k_9_c3(" in r.source and "def k_9_c3_f0(" in r.source and "k_9_c3_f0(a1[i])" in r.source
    assert "k_9(" not in r.source.replace("k_9_c3", "")
    assert r.params == CASE.params and r.kernel_name == "k_9_c3"


def test_canonical_forms_write_plus_at_the_same_size_and_keep_literals() -> None:
    src = "@wp.kernel\ndef k_3(out: wp.array(dtype=wp.float32)):\n    i = wp.tid()\n    out[i] -= 0.5 * 2.0\n"
    case = KernelCase(
        "k_3", src, "test", 3, "test", (ParamSpec("out", "array", "float32", (4,), "out"),), (4,)
    )
    props = list(P.canonical_forms(case))
    texts = {p.case.source.splitlines()[-1].strip() for p in props}
    assert texts == {"out[i] += 0.5 * 2.0", "out[i] -= 0.5 + 2.0"}  # float literals stay floats
    base = P.size(case)
    for p in props:  # never more statements or expressions; strictly smaller by the last measure
        assert P.size(p.case)[:6] == base[:6] and P.size(p.case) < base
    done = KernelCase(
        "k_3", src.replace("-= 0.5 * 2.0", "+= 0.5 + 2.0"), "test", 3, "test", case.params, (4,)
    )
    assert not list(P.smaller_only(P.canonical_forms)(done))  # nothing left to make canonical


def test_shrink_launch_closes_in_on_the_needed_thread_count_in_few_steps() -> None:
    """A failure that needs at least 33 of 47 threads: each kept step takes the smallest launch
    that still fails; the ladder reaches 33 in a few steps (one thread per step took 14)."""
    from dataclasses import replace as dc_replace

    case = dc_replace(CASE, dim=(47,))
    steps = 0
    while True:
        failing = [c.case for c in P.shrink_launch(case) if c.case.dim[0] >= 33]
        if not failing:
            break
        case = min(failing, key=lambda c: c.dim[0])
        steps += 1
    assert case.dim == (33,) and steps <= 4, (case.dim, steps)
