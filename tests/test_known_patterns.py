"""Known-table patterns match the bug's shape and only it; the struct-field component adjoint that
Warp 1.19.0 drops is real (measured here on CPU, d out/d a against the hand-derived 1)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from kernels import harness as h

from corpus.known import KNOWN
from grammar.case import MODULE_HEADER

STRUCT = """
@wp.struct
class S:
    f: float
    v: wp.vec3


@wp.struct
class T:
    s: S
"""


def _kernel(body: str, params: str = "a: wp.array(dtype=wp.float32), out: wp.array(dtype=wp.float32)") -> str:
    lines = "".join("    " + line + "\n" for line in body.splitlines())
    return STRUCT + f"\n\n@wp.kernel\ndef k({params}):\n    i = wp.tid()\n" + lines


BUGGY = {
    "assign": "s = S()\ns.v[2] = a[i]\nout[i] = s.v[2]",
    "add": "s = S()\ns.v[2] += a[i]\nout[i] = s.v[2]",
    "nested": "t = T()\nt.s.v[0] += a[i]\nout[i] = t.s.v[0]",
}
FINE = {
    "local_vector": "w = wp.vec3()\nw[2] += a[i]\nout[i] = w[2]",
    "scalar_field": "s = S()\ns.f += a[i]\nout[i] = s.f",
    "array_store": "out[i] = a[i]",
}


def _matches(src: str, verdict: str = "gradient_mismatch") -> bool:
    entry = KNOWN.get("struct-field-component-adjoint")
    return entry.matches_reduced("gradient", verdict, set(), src, "k", "1.19.0", set())


def test_pattern_matches_the_struct_field_component_write_only() -> None:
    for name, body in BUGGY.items():
        assert _matches(_kernel(body)), name
        assert not _matches(_kernel(body), verdict="mismatch"), name  # a gradient entry only
    for name, body in FINE.items():
        assert not _matches(_kernel(body)), name
    # an array field of a struct argument is an array store, not a local struct's component
    param = _kernel(
        "p.arr[i] = a[i]\nout[i] = a[i]",
        "p: P, a: wp.array(dtype=wp.float32), out: wp.array(dtype=wp.float32)",
    )
    assert not _matches(param)


def test_warp_drops_the_struct_field_component_adjoint(tmp_path: Path) -> None:
    import warp as wp

    wp.config.quiet = True
    # one struct definition for the module, one kernel per body
    src = (
        MODULE_HEADER
        + STRUCT
        + "".join(
            _kernel(body)[len(STRUCT) :].replace("def k(", f"def k_{name}(")
            for name, body in {**BUGGY, **FINE}.items()
            if name != "array_store"
        )
    )
    try:
        mod = h.import_file(tmp_path / "wf_struct_field_adjoint.py", "wf_struct_field_adjoint", src)
        grads = {}
        for name in [n for n in {**BUGGY, **FINE} if n != "array_store"]:
            a = wp.array(np.array([1.5, -0.5], np.float32), requires_grad=True, device="cpu")
            out = wp.zeros(2, dtype=wp.float32, requires_grad=True, device="cpu")
            tape = wp.Tape()
            with tape:
                wp.launch(getattr(mod, f"k_{name}"), dim=2, inputs=[a], outputs=[out], device="cpu")
            np.testing.assert_allclose(out.numpy(), a.numpy())  # the forward result is right
            tape.backward(grads={out: wp.ones(2, dtype=wp.float32, device="cpu")})
            grads[name] = a.grad.numpy().copy()
    finally:
        sys.modules.pop("wf_struct_field_adjoint", None)
    if not wp.__version__.startswith("1.19."):
        pytest.skip(f"the adjoint was measured on 1.19.0; installed {wp.__version__}")
    for name in BUGGY:
        assert np.all(grads[name] == 0.0), (name, grads[name])  # true gradient: 1
    for name in FINE:
        if name in grads:
            np.testing.assert_allclose(grads[name], 1.0, err_msg=name)


LOOPS = """
@wp.kernel
def k_break_first(a: wp.array(dtype=wp.float32), acc: wp.array(dtype=wp.float32)):
    i = wp.tid()
    for k in range(2, 5):
        wp.atomic_add(acc, i, a[i] * wp.float32(-1))
        break


@wp.kernel
def k_break_late(a: wp.array(dtype=wp.float32), acc: wp.array(dtype=wp.float32)):
    i = wp.tid()
    for k in range(3):
        if k == 2:
            break
        wp.atomic_add(acc, i, a[i])


@wp.kernel
def k_no_break(a: wp.array(dtype=wp.float32), acc: wp.array(dtype=wp.float32)):
    i = wp.tid()
    for k in range(3):
        if k == 1:
            continue
        wp.atomic_add(acc, i, a[i])


@wp.func
def slerp_q1(x: wp.float64, t: wp.float64) -> wp.quatd:
    return wp.quat_slerp(wp.quatd(0.0, 0.0, 0.0, 1.0), wp.quatd(0.0, 0.0, x, 0.5), t)


@wp.kernel
def k_slerp(a: wp.array(dtype=wp.float64), out: wp.array(dtype=wp.quatd)):
    i = wp.tid()
    out[i] = slerp_q1(a[i], wp.float64(2.0))
"""


def _load(tmp_path: Path, name: str, source: str) -> object:
    import warp as wp

    wp.config.quiet = True
    return h.import_file(tmp_path / f"{name}.py", name, MODULE_HEADER + source)


def test_break_pattern_and_warp_drops_the_adjoint_of_a_breaking_loop(tmp_path: Path) -> None:
    import warp as wp

    entry = KNOWN.get("loop-break-adjoint")
    for name, breaks in (("k_break_first", True), ("k_break_late", True), ("k_no_break", False)):
        assert (
            entry.matches_reduced("gradient", "gradient_mismatch", set(), LOOPS, name, "1.19.0", set())
            is breaks
        )
    mod = _load(tmp_path, "wf_loop_break", LOOPS.split("@wp.func")[0])
    try:
        grads = {}
        for name, true_forward in (("k_break_first", -1.0), ("k_break_late", 2.0), ("k_no_break", 2.0)):
            a = wp.array(np.ones(2, np.float32), requires_grad=True, device="cpu")
            acc = wp.zeros(2, dtype=wp.float32, requires_grad=True, device="cpu")
            tape = wp.Tape()
            with tape:
                wp.launch(getattr(mod, name), dim=2, inputs=[a, acc], device="cpu")
            np.testing.assert_allclose(acc.numpy(), true_forward)  # forward right: d acc/d a = true_forward
            tape.backward(grads={acc: wp.ones(2, dtype=wp.float32, device="cpu")})
            grads[name] = a.grad.numpy().copy()
    finally:
        sys.modules.pop("wf_loop_break", None)
    if not wp.__version__.startswith("1.19."):
        pytest.skip(f"measured on 1.19.0; installed {wp.__version__}")
    assert np.all(grads["k_break_first"] == 0.0) and np.all(grads["k_break_late"] == 0.0), grads
    np.testing.assert_allclose(grads["k_no_break"], 2.0)  # `continue` alone is handled


def test_slerp_adjoint_at_zero_relative_rotation_is_dropped(tmp_path: Path) -> None:
    import warp as wp

    mod = _load(tmp_path, "wf_slerp_zero", "\n\n@wp.func" + LOOPS.split("@wp.func", 1)[1])
    w = np.array([0.3, -0.7, 0.2, 0.9])

    def f(x: float) -> float:
        a = wp.array(np.array([x]), dtype=wp.float64, device="cpu")
        out = wp.zeros(1, dtype=wp.quatd, device="cpu")
        wp.launch(mod.k_slerp, dim=1, inputs=[a, out], device="cpu")  # type: ignore[attr-defined]
        return float(out.numpy()[0] @ w)

    try:
        got = {}
        for x in (0.0, 0.8):
            a = wp.array(np.array([x]), dtype=wp.float64, requires_grad=True, device="cpu")
            out = wp.zeros(1, dtype=wp.quatd, requires_grad=True, device="cpu")
            tape = wp.Tape()
            with tape:
                wp.launch(mod.k_slerp, dim=1, inputs=[a, out], device="cpu")  # type: ignore[attr-defined]
            tape.backward(grads={out: wp.array(np.array([w]), dtype=wp.quatd, device="cpu")})
            h = 1e-6
            got[x] = (float(a.grad.numpy()[0]), (f(x + h) - f(x - h)) / (2 * h))
    finally:
        sys.modules.pop("wf_slerp_zero", None)
    warp_08, fd_08 = got[0.8]
    assert abs(warp_08 - fd_08) < 1e-6 * max(1.0, abs(fd_08))  # away from the point they agree
    warp_0, fd_0 = got[0.0]
    assert abs(fd_0) > 0.1  # the function is smooth through x = 0 with a non-zero slope
    if not wp.__version__.startswith("1.19."):
        pytest.skip(f"measured on 1.19.0; installed {wp.__version__}")
    assert warp_0 == 0.0, got


def test_same_name_replay_function_across_modules_fails_to_compile(tmp_path: Path) -> None:
    """Found by the test suite's order: a @wp.func with a @wp.func_replay fails to build once
    another loaded module defines a same-name @wp.func with a @wp.func_grad (Warp 1.19.0 emits
    `replay_sq_1(...)` next to a declared `replay_sq_0`); under a name of its own it builds and runs."""
    import warp as wp

    head = "@wp.func\ndef sq(x: float) -> float:\n    return x * x\n\n\n"
    grad = (
        head
        + "@wp.func_grad(sq)\ndef adj_sq(x: float, adj_ret: float):\n    wp.adjoint[x] += 2.0 * x * adj_ret\n"
    )
    replay = head + "@wp.func_replay(sq)\ndef sq_replay(x: float):\n    return x * x\n"
    kernel = "\n\n@wp.kernel\ndef k(a: wp.array(dtype=wp.float32), out: wp.array(dtype=wp.float32)):\n    i = wp.tid()\n    out[i] = sq(a[i])\n"

    def launch(mod: object) -> np.ndarray:
        a = wp.array(np.array([1.5, 2.0], np.float32), device="cpu")
        out = wp.zeros(2, dtype=wp.float32, device="cpu")
        wp.launch(mod.k, dim=2, inputs=[a, out], device="cpu")  # type: ignore[attr-defined]
        return out.numpy()

    names = ["wf_replay_alone", "wf_grad_sq", "wf_replay_after"]
    try:
        # with a name no other loaded module uses, the same replay form builds and runs
        alone = _load(tmp_path, names[0], (replay + kernel).replace("sq", "sq_wf_solo"))
        np.testing.assert_allclose(launch(alone), [2.25, 4.0])
        _load(tmp_path, names[1], grad + kernel)
        after = _load(tmp_path, names[2], replay + kernel)
        if not wp.__version__.startswith("1.19."):
            pytest.skip(f"measured on 1.19.0; installed {wp.__version__}")
        with pytest.raises(Exception, match="build failed"):
            launch(after)
    finally:
        for n in names:
            sys.modules.pop(n, None)


def test_a_reduced_kernel_is_matched_on_all_its_constructs_not_only_the_differing_path(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`if i or bump(acc, i, 3)` writes acc through the `or`; the slice of acc lists no `Or`."""
    from corpus import known
    from fuzz.engine.result import CaseResult
    from fuzz.engine.signature import Signature
    from fuzz.engine.verdict import Stage
    from grammar.case import KernelCase, ParamSpec

    src = (
        "@wp.func\ndef k_8_bump(acc: wp.array(dtype=wp.int32), i: int, d: int) -> int:\n"
        "    acc[i] = d\n    return 0\n"
        "@wp.kernel\ndef k_8(acc5: wp.array(dtype=wp.int32)):\n    i = wp.tid()\n"
        "    if i or k_8_bump(acc5, i, 3):\n        acc5[i] = acc5[i] + 1\n"
    )
    case = KernelCase(
        "k_8", src, "side_effects", 8, "t", (ParamSpec("acc5", "array", "int32", (4,), "inout"),), (4,)
    )
    res = CaseResult.from_case(case, "mismatch", Stage.JUDGE)
    sliced = Signature("judge", "cpu~oracle", "mismatch", "int32:value", ("atomic_add",))
    monkeypatch.setattr(known, "signature_of", lambda r: sliced)
    labels = {e.label for e in known.KNOWN.match_reduced(res, "1.12.0")}
    assert "eager-and-or" in labels
    assert "eager-and-or" not in {e.label for e in known.KNOWN.match_reduced(res, "1.19.0")}  # fixed in 1.13


def test_overwritten_store_covers_a_store_a_loop_repeats() -> None:
    from corpus.patterns import matches

    head = "@wp.kernel\ndef k(a1: wp.array(dtype=float), out2: wp.array(dtype=float)):\n    i = wp.tid()\n"
    repeated = head + "    for k7 in range(4, 1, -1):\n        out2[i] = a1[i]\n"
    assert matches("overwritten-store", repeated, "k")  # three iterations store out2[i]
    by_loop = head + "    for k7 in range(3):\n        out2[k7] = a1[i]\n"
    assert not matches("overwritten-store", by_loop, "k")  # a different element each time
    once = head + "    for k7 in range(1):\n        out2[i] = a1[i]\n"
    assert not matches("overwritten-store", once, "k")
    twice = head + "    out2[i] = a1[i]\n    out2[i] = 1.5\n"
    assert matches("overwritten-store", twice, "k")


def test_component_augassign_and_call_index_patterns_say_yes_and_no() -> None:
    from corpus.patterns import matches

    head = "@wp.kernel\ndef k(out5: wp.array(dtype=wp.vec3f), acc: wp.array(dtype=int)):\n    i = wp.tid()\n"
    assert matches("component-augassign", head + "    out5[i][1] += 0.5\n", "k")
    assert matches("component-augassign", head + "    s = mk(0.0)\n    s.v[0] += 0.5\n", "k")
    assert not matches("component-augassign", head + "    out5[i] += wp.vec3f(0.5)\n", "k")
    assert not matches("component-augassign", head + "    v = out5[i]\n    v[1] = 0.5\n", "k")
    side = head + "    out5[bump(acc, i, 1) % 4] += float(bump(acc, i, 0))\n"
    assert matches("augassign-call-index", side, "k")
    assert matches(
        "augassign-call-index", head + "    out5[f(acc, i)] += float(wp.atomic_add(acc, i, 0))\n", "k"
    )
    assert not matches("augassign-call-index", head + "    out5[int(i)] += float(bump(acc, i, 0))\n", "k")
    assert not matches("augassign-call-index", head + "    out5[bump(acc, i, 1)] += 1.0\n", "k")


def test_a_known_compile_error_entry_needs_its_message() -> None:
    from corpus import known

    e = known.KNOWN.get("component-augassign-reference")
    src = "@wp.kernel\ndef k(out5: wp.array(dtype=wp.vec3f)):\n    i = wp.tid()\n    out5[i][1] += 0.5\n"
    msg = "CompileFailure: AttributeError: ...;'Reference' object has no attribute '_wp_scalar_type_'"
    args = ("compile:cpu", "compile_error", set(), src, "k", "1.12.0", set())
    assert e.matches_reduced(*args, msg)
    assert not e.matches_reduced(*args, "CompileFailure: WarpCodegenTypeError: something else")
    assert not e.matches_reduced(
        "compile:cpu", "compile_error", set(), src, "k", "1.19.0", set(), msg
    )  # fixed


_FOR_WHILE_HEAD = (
    "@wp.kernel\ndef k(a1: wp.array(dtype=wp.int32), out3: wp.array(dtype=wp.float32)):\n    i = wp.tid()\n"
    "    for k7 in range(4):\n        pass\n"
)


def test_for_var_while_counter_pattern_says_yes_and_no() -> None:
    from corpus.patterns import matches

    head = _FOR_WHILE_HEAD
    assert matches("for-var-while-counter", head + "    k7 = 0\n    while k7 < i:\n        k7 += 1\n", "k")
    assert matches("for-var-while-counter", head + "    while k7 < a1[i]:\n        k7 = k7 + 1\n", "k")
    # another counter, or the loop variable only read: not the shape
    assert not matches("for-var-while-counter", head + "    j = 0\n    while j < k7:\n        j += 1\n", "k")
    assert not matches("for-var-while-counter", head + "    out3[i] = float(k7)\n", "k")
    # a `while` before the loop does not reuse its variable
    before = (
        "@wp.kernel\ndef k(out3: wp.array(dtype=wp.float32)):\n    i = wp.tid()\n    k7 = 0\n"
        "    while k7 < i:\n        k7 += 1\n    for k7 in range(4):\n        pass\n"
    )
    assert not matches("for-var-while-counter", before, "k")


def test_one_root_cause_labels_its_mismatch_crash_and_timeout_and_outranks_a_bare_construct() -> None:
    """NVIDIA/warp#1534 shows as a wrong count, a crash (1.12) or no end (1.13-1.15): one label.
    A `clamp` the reduction left in such a kernel is not also the NaN min/max entry, which still
    labels a kernel whose only mark is its clamp."""
    from corpus import known
    from fuzz.engine.result import CaseResult
    from fuzz.engine.verdict import Stage
    from grammar.case import KernelCase, ParamSpec

    params = (
        ParamSpec("a1", "array", "int32", (4,), "in"),
        ParamSpec("out3", "array", "float32", (4,), "out"),
    )
    reuse = (
        _FOR_WHILE_HEAD + "    while k7 < a1[i]:\n        k7 += 1\n    out3[i] = wp.clamp(1.0, -4.0, 4.0)\n"
    )
    case = KernelCase("k", reuse, "names", 1, "t", params, (4,))

    def labels(verdict: str, stage: Stage, version: str, c: KernelCase = case) -> set[str]:
        res = CaseResult.from_case(c, verdict, stage)
        return {e.label for e in known.KNOWN.match_reduced(res, version)}

    assert labels("mismatch", Stage.JUDGE, "1.12.0") == {"for-var-while-counter"}
    assert labels("crash", Stage.WORKER, "1.12.0") == {"for-var-while-counter"}
    assert labels("timeout", Stage.WORKER, "1.13.0") == {"for-var-while-counter"}
    assert "for-var-while-counter" not in labels("mismatch", Stage.JUDGE, "1.16.0")  # fixed there
    assert labels("compile_error", Stage.COMPILE, "1.12.0") == set()  # not one of its outcomes
    only_clamp = KernelCase(
        "k", "@wp.kernel\ndef k(out3: wp.array(dtype=wp.float32)):\n    i = wp.tid()\n"
        "    out3[i] = wp.clamp(out3[i], -4.0, 4.0)\n", "nonfinite", 1, "t", params[1:], (4,),
    )  # fmt: skip
    assert labels("mismatch", Stage.JUDGE, "1.12.0", only_clamp) == {"nan-blind-min-max"}


def test_a_negative_tile_index_is_known_before_1_16_as_a_crash_or_a_mismatch() -> None:
    from corpus import known
    from fuzz.engine.result import CaseResult
    from fuzz.engine.verdict import Stage
    from grammar.case import KernelCase, ParamSpec

    src = (
        "@wp.kernel\ndef k(a1: wp.array2d[wp.float32], out6: wp.array2d[wp.float32]):\n    i = wp.tid()\n"
        "    t = wp.tile_load(a1, shape=(2, 8), offset=(i * 2, 0))\n"
        "    wp.tile_store_indexed(out6, wp.tile_arange(-1, 7, 1, dtype=wp.int32), t, offset=(i * 2, 0), axis=1)\n"
    )
    params = (
        ParamSpec("a1", "array", "float32", (4, 8), "in"),
        ParamSpec("out6", "array", "float32", (4, 8), "out"),
    )
    case = KernelCase("k", src, "tiles", 1, "t", params, (2,), block_dim=16)

    def labels(verdict: str, stage: Stage, version: str) -> set[str]:
        return {
            e.label for e in known.KNOWN.match_reduced(CaseResult.from_case(case, verdict, stage), version)
        }

    assert labels("crash", Stage.WORKER, "1.12.0") == {"tile-indexed-negative-index"}
    assert labels("mismatch", Stage.JUDGE, "1.15.0") == {"tile-indexed-negative-index"}
    assert labels("mismatch", Stage.JUDGE, "1.16.0") == set()  # a padding sentinel from 1.16.0


def test_an_unreduced_compile_error_is_labelled_by_its_own_words_and_pattern() -> None:
    """Triage labels a failure not reduced yet only by a message entry: the error's words, the
    entry's pattern somewhere in the kernel, and an affected release; anything else says no."""
    from fuzz.engine.result import CaseResult

    src = (
        "@wp.kernel\ndef k(out5: wp.array(dtype=wp.vec3f), a: wp.array(dtype=float)):\n    i = wp.tid()\n"
        "    x = a[i] * 2.0\n    out5[i][1] += x\n"
    )
    msg = "CompileFailure: AttributeError: ...;'Reference' object has no attribute '_wp_scalar_type_'"

    def result(source: str = src, message: str = msg, verdict: str = "compile_error") -> CaseResult:
        case = {"source": source, "kernel_name": "k"}
        return CaseResult(1, "k", "lvalues", "1.6.0", case, verdict, stage="compile:cpu", device="cpu",
                          message=message)  # fmt: skip

    assert [e.label for e in KNOWN.label_by_message(result(), "1.12.0")] == ["component-augassign-reference"]
    assert KNOWN.label_by_message(result(), "1.19.0") == []  # fixed in 1.15.0
    assert KNOWN.label_by_message(result(message="CompileFailure: WarpCodegenError: other"), "1.12.0") == []
    no_pattern = src.replace("out5[i][1] += x", "out5[i] = wp.vec3f(x)")
    assert KNOWN.label_by_message(result(source=no_pattern), "1.12.0") == []
    assert KNOWN.label_by_message(result(verdict="mismatch"), "1.12.0") == []


def test_ifexp_shared_element_pattern_says_yes_and_no_and_labels_old_releases_only() -> None:
    """NVIDIA/warp#1736, found by the 1.12.0 campaign (seed 500186) and bisected: fails
    1.12.0-1.16.0, passes from 1.17.0."""
    from corpus.patterns import matches

    head = (
        "@wp.kernel\ndef k(a1: wp.array(dtype=wp.float64), a2: wp.array(dtype=wp.float64), "
        "out4: wp.array(dtype=wp.float64)):\n    i = wp.tid()\n"
    )
    found = head + "    out4[i] = a2[i] - (a2[i] if (0 or 0) else a1[0])\n"
    assert matches("ifexp-shared-element", found, "k")
    assert matches(
        "ifexp-shared-element", head + "    out4[i] = a1[i] / a2[i] if a1[i] > 0.0 else a1[i]\n", "k"
    )
    assert not matches("ifexp-shared-element", head + "    out4[i] = a1[i] if a1[i] > 0.0 else a2[i]\n", "k")
    assert not matches(
        "ifexp-shared-element", head + "    out4[i] = a1[i] + (a2[i] if i > 2 else 0.0)\n", "k"
    )
    e = KNOWN.get("ifexp-shared-element-adjoint")
    args = ("gradient", "gradient_mismatch", {"IfExp"}, found, "k")
    assert e.matches_reduced(*args, "1.12.0", set()) and e.matches_reduced(*args, "1.16.0", set())
    assert not e.matches_reduced(*args, "1.17.0", set())
    assert not e.matches_reduced("judge", "mismatch", {"IfExp"}, found, "k", "1.12.0", set())


def test_mesh_and_bvh_query_pattern_needs_both_kinds_and_labels_a_cuda_build_failure_only() -> None:
    """Found on 1.19.0 (H200 seeds 900390, 900690): a mesh query and a BVH query in one kernel
    exceed CUDA's 48 KiB of static shared memory; one kind alone, or a CPU failure, is not it."""
    from corpus.patterns import matches

    head = (
        "@wp.kernel\ndef k(a1: wp.array(dtype=wp.vec3f), mesh2: wp.uint64, bvh7: wp.uint64):\n"
        "    i = wp.tid()\n"
    )
    mesh = "    mq2 = wp.mesh_query_sphere(mesh2, a1[i], 1.0)\n"
    bvh = "    while wp.bvh_query_next(wp.bvh_query_aabb(bvh7, a1[i], a1[i]), int(0)):\n        pass\n"
    both = head + mesh + bvh
    assert matches("mesh-and-bvh-query", both, "k")
    assert matches(
        "mesh-and-bvh-query", head + mesh.replace("sphere", "aabb").replace(", 1.0", ", a1[i]") + bvh, "k"
    )
    assert not matches("mesh-and-bvh-query", head + mesh, "k")
    assert not matches("mesh-and-bvh-query", head + bvh, "k")
    assert not matches(
        "mesh-and-bvh-query", head + mesh + bvh.replace("bvh_query_aabb", "hash_grid_query"), "k"
    )
    e = KNOWN.get("cuda-mesh-bvh-query-shared-stack")
    assert e.matches_reduced("compile:cuda", "compile_error", set(), both, "k", "1.19.0", set())
    assert e.matches_reduced("compile:cuda", "compile_error", set(), both, "k", "1.15.0", set())
    assert not e.matches_reduced("compile:cuda", "compile_error", set(), both, "k", "1.14.0", set())
    assert not e.matches_reduced("compile:cpu", "compile_error", set(), both, "k", "1.19.0", set())
    assert not e.matches_reduced("compile:cuda", "compile_error", set(), head + bvh, "k", "1.19.0", set())
    assert not e.matches_reduced("judge", "mismatch", set(), both, "k", "1.19.0", set())


def test_a_gap_confirmed_on_the_original_does_not_label_a_reduced_kernel_without_its_construct() -> None:
    """A kernel with `wp.frac` and `%` confirms both gaps; its reduced kernel `(a % a) - a` is the
    `%` gap alone (1.19.0 campaign seed 1302065)."""
    frac, mod = KNOWN.get("frac-missing-adjoint"), KNOWN.get("mod-divisor-adjoint")
    both = {"frac-missing-adjoint", "mod-divisor-adjoint"}
    args = ("gradient", "gradient_mismatch")
    src = "@wp.kernel\ndef k(a1: wp.array(dtype=float), out2: wp.array(dtype=float)):\n    i = wp.tid()\n"
    assert not frac.matches_reduced(*args, {"Mod", "Sub"}, src, "k", "1.19.0", both)
    assert mod.matches_reduced(*args, {"Mod", "Sub"}, src, "k", "1.19.0", both)
    assert frac.matches_reduced(*args, {"frac", "Sub"}, src, "k", "1.19.0", both)
    assert not frac.matches_reduced(*args, {"frac", "Sub"}, src, "k", "1.19.0", set())  # needs the re-check


def test_constructs_of_a_kernel_made_by_a_factory() -> None:
    """A factories-family kernel is bound by a call (`k_7 = k_7_make(...)`): its constructs are
    the instantiated kernel's, so known entries and root keys see them."""
    from fuzz.engine.signature import all_constructs

    src = (
        "def k_7_make(scale, bias, f):\n"
        "    @wp.kernel(module='unique')\n"
        "    def kernel(a1: wp.array(dtype=wp.float32), out3: wp.array(dtype=wp.float32)):\n"
        "        i = wp.tid()\n"
        "        out3[i] = a1[i] % a1[0] + scale\n"
        "    return kernel\n"
        "k_7 = k_7_make(0.5, 1, 0)\n"
    )
    assert {"Mod", "Add"} <= set(all_constructs(src, "k_7"))
    assert all_constructs(src, "k_8") == ()


def test_constructs_of_a_generic_kernel_are_not_those_of_its_overload_stub() -> None:
    """`@wp.overload def k(...): ...` after the generic `@wp.kernel def k` shares its name (1.12.0
    campaign seed 500121: its reduced kernel's `wp.frac` went unseen and its gap unlabelled)."""
    from fuzz.engine.signature import all_constructs

    src = (
        "@wp.kernel\ndef k(a1: wp.array(dtype=typing.Any), out2: wp.array(dtype=float)):\n"
        "    i = wp.tid()\n    out2[i] = wp.frac(float(a1[i]))\n"
        "@wp.overload\ndef k(a1: wp.array(dtype=wp.float32), out2: wp.array(dtype=float)): ...\n"
    )
    assert "frac" in all_constructs(src, "k")


def test_wide_int_literal_and_float_min_max_need_their_shape_not_just_a_word() -> None:
    """1.12.0 campaign: `a2[i] // wp.int64(2)` is the floor-division difference alone, not the
    wide-literal one; `a3[i] // wp.max(a1[i], wp.int16(1))` has no float a NaN could be."""
    from corpus.patterns import matches

    head = (
        "@wp.kernel\ndef k(a1: wp.array(dtype=wp.int64), out2: wp.array(dtype=wp.int64)):\n    i = wp.tid()\n"
    )
    assert matches("wide-int-literal", head + "    out2[i] = wp.int64(9223372036854775807)\n", "k")
    assert matches("wide-int-literal", head + "    out2[i] = a1[i] + wp.int64(-3000000000)\n", "k")
    assert not matches("wide-int-literal", head + "    out2[i] = a1[i] // wp.int64(2)\n", "k")
    e = KNOWN.get("int64-literal-emitted-as-int32")
    small = head + "    out2[i] = a1[i] // wp.int64(2)\n"
    assert not e.matches_reduced("judge", "mismatch", {"int64", "FloorDiv"}, small, "k", "1.12.0", set())
    ints = head.replace("int64", "int16") + "    out2[i] = a1[i] // wp.max(a1[i], wp.int16(1))\n"
    floats = (
        "@wp.kernel\ndef k(a1: wp.array(dtype=wp.float32), out2: wp.array(dtype=wp.float32)):\n"
        "    i = wp.tid()\n    out2[i] = wp.max(a1[i], 0.5)\n"
    )
    assert not matches("float-min-max", ints, "k") and matches("float-min-max", floats, "k")
    nan = KNOWN.get("nan-blind-min-max")
    assert nan.matches_reduced("judge", "mismatch", {"max"}, floats, "k", "1.12.0", set())
    assert not nan.matches_reduced("judge", "mismatch", {"max", "FloorDiv"}, ints, "k", "1.12.0", set())
    assert not nan.matches_reduced("judge", "mismatch", {"max"}, floats, "k", "1.14.0", set())


def test_quat_twist_angle_entry_labels_releases_before_1_16() -> None:
    """NVIDIA/warp#1631 (found by the 1.12.0 campaign, seed 500340; bisect fails 1.12.0-1.15.0)."""
    e = KNOWN.get("quat-twist-angle-acos")
    src = "@wp.kernel\ndef k(a: wp.array(dtype=wp.quat), o: wp.array(dtype=float)):\n    i = wp.tid()\n"
    src += "    o[i] = wp.quat_twist_angle(wp.vec3(0.0, 1.0, 0.0), a[i])\n"
    args = ("judge", "mismatch", {"quat_twist_angle"}, src, "k")
    assert e.matches_reduced(*args, "1.15.0", set()) and not e.matches_reduced(*args, "1.16.0", set())
    assert not e.matches_reduced("judge", "mismatch", {"quat_twist"}, src, "k", "1.12.0", set())


def test_old_release_entries_of_the_1_10_1_campaign_match_their_shapes_only() -> None:
    """Seeds 1500002 (index evaluated twice), 1500218 (random draw in +=), 1500225 (ternary with a
    literal branch), each with its bisected window; near shapes are not them."""
    from corpus.patterns import matches

    head = (
        "@wp.kernel\ndef k(acc5: wp.array(dtype=wp.int32), a2: wp.array(dtype=wp.float32), "
        "out7: wp.array(dtype=wp.float32)):\n    i = wp.tid()\n"
    )
    twice = head + "    out7[bump(acc5, i, 3) % 4] *= 0.5\n"
    both = head + "    out7[bump(acc5, i, 3) % 4] += float(bump(acc5, i, 0))\n"
    assert matches("augassign-call-index-twice", twice, "k")
    assert not matches("augassign-call-index-twice", both, "k")  # the call-order entry's shape
    e = KNOWN.get("augassign-index-evaluated-twice")
    assert e.matches_reduced("judge", "mismatch", set(), twice, "k", "1.12.0", set())
    assert not e.matches_reduced("judge", "mismatch", set(), twice, "k", "1.13.0", set())
    rnd = (
        head
        + "    rng = wp.rand_init(i, 5)\n    v = i\n    v += wp.randi(rng, 0, 2)\n    out7[i] = float(v)\n"
    )
    plain = rnd.replace("v += wp.randi", "v = v + wp.randi")
    assert matches("augassign-random-call", rnd, "k") and not matches("augassign-random-call", plain, "k")
    r = KNOWN.get("augassign-random-call")
    assert r.matches_reduced("judge", "mismatch", set(), rnd, "k", "1.11.1", set())
    assert not r.matches_reduced("judge", "mismatch", set(), rnd, "k", "1.12.0", set())
    lit = head + "    out7[i] = float((0 if (a2[i] <= 2.0) else acc5[8]))\n"
    names = head + "    out7[i] = float((i if (a2[i] <= 2.0) else acc5[8]))\n"
    assert matches("ifexp-constant-branch", lit, "k") and not matches("ifexp-constant-branch", names, "k")
    c = KNOWN.get("ifexp-constant-branch")
    assert c.matches_reduced("judge", "mismatch", {"IfExp"}, lit, "k", "1.11.0", set())
    assert not c.matches_reduced("judge", "mismatch", {"IfExp"}, lit, "k", "1.11.1", set())


def test_patterns_read_the_kernel_a_factory_makes_and_not_an_overload_stub() -> None:
    """Patterns find their kernel as signatures do (`fuzz.engine.signature.parse_kernel`)."""
    from corpus.patterns import matches

    body = "    i = wp.tid()\n    out2[i] = wp.int64(9223372036854775807)\n"
    made = (
        "def k_make(s):\n    @wp.kernel(module='unique')\n    def kernel(out2: wp.array(dtype=wp.int64)):\n"
        + "".join("    " + line + "\n" for line in body.splitlines())
        + "    return kernel\nk = k_make(1)\n"
    )
    assert matches("wide-int-literal", made, "k")
    stub_first = "@wp.overload\ndef k(out2: wp.array(dtype=wp.int64)): ...\n"
    kernel = "@wp.kernel\ndef k(out2: wp.array(dtype=typing.Any)):\n" + body
    assert matches("wide-int-literal", stub_first + kernel, "k")
    assert not matches("wide-int-literal", kernel.replace("9223372036854775807", "2"), "k")


def test_fast_math_discontinuity_needs_a_float_at_a_jump_and_the_fast_math_point() -> None:
    """The H200 sweep's four fast_math findings were a subnormal flushed to zero at a comparison
    and approximate division under `//`: labelled only where a float meets a jump."""
    from corpus.patterns import matches
    from fuzz.engine.signature import all_constructs

    e = KNOWN.get("fast-math-discontinuity")
    msg = "fast_math=True on cuda:0: out[3] 38.0 != baseline 30.0\n(|err| 8, ...)"
    ints = "a: wp.array(dtype=wp.int32), out: wp.array(dtype=wp.float32)"
    kernels = {
        "compare": (_kernel("r = 0.0\nif a[i] < 0.0:\n    r = 8.0\nout[i] = r"), True),
        "floordiv": (_kernel("out[i] = wp.sin(a[i] // a[(i + 1) % 8])"), True),
        "floor": (_kernel("out[i] = wp.floor(a[i] / 3.0)"), True),
        "to int": (_kernel("out[i] = float(wp.int32(a[i] * 0.5))"), True),
        "smooth": (_kernel("out[i] = wp.sin(a[i]) / (a[i] * a[i] + 1.0)"), False),
        # an integer comparison and integer % under fast math: no float at a jump
        "int jump": (_kernel("r = 1.0\nif a[i] % 3 < 2:\n    r = 2.0\nout[i] = r", ints), False),
    }
    for what, (src, expected) in kernels.items():
        have = set(all_constructs(src, "k"))
        got = e.matches_reduced("judge", "setting_mismatch", have, src, "k", "1.19.0", set(), msg)
        assert got is expected, what
        assert matches("float-discontinuity", src, "k") is expected, what
    src, _ = kernels["compare"]
    have = set(all_constructs(src, "k"))
    other_point = msg.replace("fast_math=True", "max_unroll=0")
    assert not e.matches_reduced("judge", "setting_mismatch", have, src, "k", "1.19.0", set(), other_point)
    assert not e.matches_reduced("judge", "mismatch", have, src, "k", "1.19.0", set(), msg)


def test_a_generated_fast_math_finding_is_labelled_through_match_reduced() -> None:
    """The H200 sweep's seed 2100035 (a subnormal at a comparison): labelled as a fast_math
    finding, and not when the same difference is blamed on another point."""
    import grammar
    from fuzz.engine.result import CaseResult

    c = grammar.generate(2100035)
    msg = "fast_math=True on cuda:0: out3[41] 38.0 != baseline 30.0\n(|err| 8, ...)\nother swept points: none"
    r = CaseResult(
        c.seed, c.kernel_name, c.family, "1.7.3", c.to_json(), "setting_mismatch", "judge", "cuda:0", msg
    )
    assert [e.label for e in KNOWN.match_reduced(r, "1.19.0")] == ["fast-math-discontinuity"]
    other = CaseResult(
        c.seed, c.kernel_name, c.family, "1.7.3", c.to_json(), "setting_mismatch", "judge", "cuda:0",
        msg.replace("fast_math=True", "mode=debug"),
    )  # fmt: skip
    assert KNOWN.match_reduced(other, "1.19.0") == []
