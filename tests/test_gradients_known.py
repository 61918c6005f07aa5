"""Known differences: a frac and a float-% gradient finding are labelled from the table (by the
known-gap re-check, not by their constructs), a finding with another cause is not, and a
reduction candidate that moves the mismatch to another input or flips its sign is rejected."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from kernels.harness import WarpModuleFactory

import oracle
from corpus.known import KNOWN, KnownKind
from fuzz.engine import gradients as G
from fuzz.engine.result import CaseResult
from fuzz.engine.signature import Signature, same_failure, signature_of, with_cause
from grammar.case import MODULE_HEADER, KernelCase, ParamSpec

KERNELS = {
    "frac_k": "@wp.kernel\ndef frac_k(a: wp.array(dtype=wp.float32), b: wp.array(dtype=wp.float32), out: wp.array(dtype=wp.float32)):\n    i = wp.tid()\n    out[i] = wp.frac(a[i]) * b[i] + wp.sin(b[i])\n",
    "mod_k": "@wp.kernel\ndef mod_k(a: wp.array(dtype=wp.float32), b: wp.array(dtype=wp.float32), out: wp.array(dtype=wp.float32)):\n    i = wp.tid()\n    out[i] = a[i] % (wp.abs(b[i]) + 0.25) + float(i % 3)\n",
    # a % a is 0 everywhere; Warp's d/da is 1 (the dropped -trunc(a/a) = -1): the re-check's
    # reference freezes the quotient, so its integer value is not a jump the probes leave out
    "mod_self": "@wp.kernel\ndef mod_self(a: wp.array(dtype=wp.float32), b: wp.array(dtype=wp.float32), out: wp.array(dtype=wp.float32)):\n    i = wp.tid()\n    out[i] = a[i] % a[i] + b[i]\n",
    "frac_wrong": "@wp.func\ndef cube(x: float) -> float:\n    return x * x * x\n\n\n@wp.func_grad(cube)\ndef adj_cube(x: float, adj_ret: float):\n    wp.adjoint[x] += 2.0 * x * x * adj_ret\n\n\n@wp.kernel\ndef frac_wrong(a: wp.array(dtype=wp.float32), b: wp.array(dtype=wp.float32), out: wp.array(dtype=wp.float32)):\n    i = wp.tid()\n    out[i] = wp.frac(a[i]) + cube(b[i])\n",
}
N = 16
PARAMS = (
    ParamSpec("a", "array", "float32", (N,), "in"),
    ParamSpec("b", "array", "float32", (N,), "in"),
    ParamSpec("out", "array", "float32", (N,), "out"),
)


@pytest.fixture(scope="module")
def mod(warp_module: WarpModuleFactory) -> Any:
    return warp_module(
        "wf_gradients_known",
        MODULE_HEADER + "\n\n".join(KERNELS.values()),
        enable_backward=True,
        folder="gradknown",
    )


def _result(mod: Any, name: str, seed: int = 5, many: bool = True) -> tuple[G.GradientCheck, CaseResult]:
    case = KernelCase(name, KERNELS[name], "test", seed, "test", PARAMS, (N,))
    rng = np.random.default_rng(seed)
    inputs = {
        "a": rng.uniform(-3, 3, N).astype(np.float32),
        "b": rng.uniform(-2, 2, N).astype(np.float32),
        "out": np.zeros(N, np.float32),
    }
    gc = G.check_gradients(
        getattr(mod, name), case, inputs, "cpu", oracle.evaluate, np.random.default_rng(seed),
        oracle_many=oracle.evaluate_many if many else None,
    )  # fmt: skip
    r = CaseResult(seed, name, "test", "test", case.to_json(), "gradient_mismatch", "gradient", "cpu",
                   message=f"cpu backward: {gc.message}", gradient_check=[gc.to_json()])  # fmt: skip
    return gc, r


@pytest.mark.parametrize(("name", "gap", "label"), [("frac_k", "frac-derivative", "frac-missing-adjoint"),
                                                    ("mod_k", "mod-divisor", "mod-divisor-adjoint"),
                                                    ("mod_self", "mod-divisor", "mod-divisor-adjoint")])  # fmt: skip
def test_known_gap_findings_get_their_label(mod: Any, name: str, gap: str, label: str) -> None:
    # the re-check's frozen values hold with one oracle call per point and with points batched
    assert _result(mod, name, many=False)[0].known_gaps == [gap]
    gc, r = _result(mod, name)
    assert gc.status == G.MISMATCH and gc.known_gaps == [gap] and gc.gap_checks[gap] == G.VERIFIED, gc
    assert [e.label for e in KNOWN.label_result(r, "1.19.0")] == [label]
    meta = KNOWN.meta_for(r, "1.19.0")
    assert meta is not None and meta["status"] == "warp-bug" and meta["label"] == label
    # an entry that lists a fix before the release in use does not label it
    assert KNOWN.label_result(r, "99.0.0") == [] or KNOWN.get(label).fixed_in is None


def test_other_cause_next_to_a_known_construct_is_not_labelled(mod: Any) -> None:
    """frac is there, but the wrong custom adjoint of cube is what differs: the re-check says no."""
    gc, r = _result(mod, "frac_wrong")
    assert (
        gc.status == G.MISMATCH and gc.known_gaps == [] and gc.gap_checks["frac-derivative"] == G.MISMATCH
    ), gc
    assert KNOWN.label_result(r) == [] and KNOWN.meta_for(r) is None
    # the constructs alone only make it a candidate
    assert "frac-missing-adjoint" in [e.label for e in KNOWN.candidates(signature_of(r).constructs)]


def test_gap_recheck_can_be_turned_off(mod: Any) -> None:
    case = KernelCase("frac_k", KERNELS["frac_k"], "test", 5, "test", PARAMS, (N,))
    rng = np.random.default_rng(5)
    inputs = {"a": rng.uniform(-3, 3, N).astype(np.float32), "b": rng.uniform(-2, 2, N).astype(np.float32),
              "out": np.zeros(N, np.float32)}  # fmt: skip
    gc = G.check_gradients(
        mod.frac_k, case, inputs, "cpu", oracle.evaluate, np.random.default_rng(5), gaps=()
    )
    assert gc.status == G.MISMATCH and gc.known_gaps == [] and gc.gap_checks == {}


def test_table_entries_cover_the_gaps_and_limitations() -> None:
    gaps = {e.gap for e in KNOWN.entries if e.kind == KnownKind.GAP and e.gap}  # others match by kernel shape
    assert gaps == {g.name for g in G.DEFAULT_GAPS}
    lims = {e.limitation for e in KNOWN.entries if e.kind == KnownKind.LIMITATION}
    assert lims == {str(x) for x in G.Limitation} - {"unparsed"}
    unsupported = {"status": "unsupported", "limitation": "component-overwrite"}
    assert [e.label for e in KNOWN.for_check(unsupported)] == ["component-overwrite"]
    with pytest.raises(KeyError, match="no known difference labelled"):
        KNOWN.get("nope")


# ------------------------------------------------------------------ reduction keeps the cause


def _grad_result(message: str, source: str = KERNELS["frac_k"], **check: Any) -> CaseResult:
    case = KernelCase("frac_k", source, "test", 5, "test", PARAMS, (N,))
    gc = {"device": "cpu", "status": "mismatch", "message": message, **check}
    return CaseResult(5, "frac_k", "test", "test", case.to_json(), "gradient_mismatch", "gradient", "cpu",
                      message=f"cpu backward: {message}", gradient_check=[gc])  # fmt: skip


ORIGINAL = "d(sum w*out)/da[3]: Warp 0 vs finite differences -0.69 (|err| 0.69, tolerance 1e-06)"


def test_reduction_rejects_a_moved_or_flipped_mismatch() -> None:
    orig = signature_of(_grad_result(ORIGINAL, input="a", error_sign=1))
    assert orig.cause == ("input=a", "sign=+")
    same = signature_of(_grad_result("d(sum w*out)/da[0]: Warp 0 vs finite differences -2.5 (...)"))
    moved = signature_of(_grad_result("d(sum w*out)/db[3]: Warp 0 vs finite differences -0.69 (...)"))
    flipped = signature_of(_grad_result("d(sum w*out)/da[3]: Warp 0 vs finite differences 0.69 (...)"))
    assert same_failure(orig, same), same
    assert not same_failure(orig, moved) and not same_failure(orig, flipped)
    # the cause is not part of the grouping key
    assert orig.key() == moved.key() == flipped.key()
    # a candidate whose constructs are not a subset is rejected too
    extra = signature_of(_grad_result(ORIGINAL, source=KERNELS["frac_k"].replace("wp.sin", "wp.cos")))
    assert not same_failure(orig, extra)


def test_old_target_without_cause_takes_it_from_its_reproduction() -> None:
    got = signature_of(_grad_result(ORIGINAL))
    old = Signature(got.stage, got.devices, got.verdict, got.kind, got.constructs)
    assert Signature.from_json({k: v for k, v in old.to_json().items() if k != "cause"}).cause == ()
    upgraded = with_cause(old, got)
    assert upgraded.cause == got.cause and upgraded.key() == old.key()
    assert Signature.from_json(upgraded.to_json()) == upgraded


def test_component_write_is_a_signature_construct() -> None:
    src = (
        "@wp.kernel\ndef frac_k(a: wp.array(dtype=wp.float32), b: wp.array(dtype=wp.float32), "
        "out: wp.array(dtype=wp.float32)):\n    i = wp.tid()\n    v = wp.vec3(a[i], b[i], a[i])\n"
        "    v[1] = 1.5\n    m = wp.mat22()\n    m[1][1] = a[i]\n    out[i] = v[0] + v[1] + m[1, 1]\n"
    )
    sig = signature_of(_grad_result(ORIGINAL, source=src))
    assert "assign_inplace" in sig.constructs, sig
    plain = signature_of(_grad_result(ORIGINAL))
    assert "assign_inplace" not in plain.constructs  # out[i] = ... is an array store
