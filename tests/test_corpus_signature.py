"""Signatures: seed-specific text never enters them, the differing path is sliced, duplicates group."""

from __future__ import annotations

from fuzz.engine.result import CaseResult
from fuzz.engine.signature import (
    Signature,
    error_kind,
    normalize_text,
    same_failure,
    signature_of,
    slice_constructs,
)

SRC = """@wp.kernel
def k_{seed}(a1: wp.array(dtype=wp.float32), a2: wp.array(dtype=wp.int32), out3: wp.array(dtype=wp.float32), out4: wp.array(dtype=wp.int32)):
    i = wp.tid()
    v5 = wp.sin(a1[i]) * 2.0
    v6 = wp.abs(a2[i]) % 7
    if v6 > 3:
        v5 = wp.exp(v5)
    out3[i] = v5 + {const}
    out4[i] = wp.min(v6, 5)
"""


def _mismatch(seed: int, const: str, array: str = "out3", dtype: str = "float32") -> CaseResult:
    arrays = [
        {"name": array, "dtype": dtype, "passed": False, "observed": 1.5, "expected": 2.5},
        {"name": "a1", "dtype": "float32", "passed": True, "observed": 0.0, "expected": 0.0},
    ]
    case = {"kernel_name": f"k_{seed}", "source": SRC.format(seed=seed, const=const)}
    return CaseResult(
        seed, f"k_{seed}", "branch", "1", case, "mismatch", stage="judge", device="cpu",
        message=f"cpu≠oracle: {array}[{seed % 16}] observed 1.5 expected 2.5",
        checks=[{"device": "cpu", "passed": False, "arrays": arrays}],
    )  # fmt: skip


def test_duplicates_group_across_seeds_and_numbers() -> None:
    a, b = signature_of(_mismatch(17, "1.0")), signature_of(_mismatch(90210, "0.25"))
    assert a.key() == b.key()
    assert "17" not in a.key() and "90210" not in a.key()
    assert a.devices == "cpu~oracle" and a.kind == "float32:value"


def test_slice_follows_data_and_control_dependences() -> None:
    src = SRC.format(seed=1, const="1.0")
    # out3 depends on sin, Mult, and (through the if on v6) abs, Mod, Gt and exp; not on min
    assert slice_constructs(src, "k_1", {"out3"}) == ("Add", "Gt", "If", "Mod", "Mult", "abs", "exp", "sin")
    assert slice_constructs(src, "k_1", {"out4"}) == ("Mod", "abs", "min")


def test_different_failing_array_gives_a_different_signature() -> None:
    a = signature_of(_mismatch(1, "1.0", "out3", "float32"))
    b = signature_of(_mismatch(1, "1.0", "out4", "int32"))
    assert a.key() != b.key()
    assert "min" in b.constructs and "min" not in a.constructs


def test_compile_errors_normalise_names_paths_and_numbers() -> None:
    def compile_error(seed: int, var: int) -> CaseResult:
        src = f"@wp.kernel\ndef k_{seed}(a1: wp.array(dtype=wp.float32)):\n    i = wp.tid()\n    v{var} = a1[i] + 1\n"
        msg = (
            f'CompileFailure: RuntimeError: Error while parsing function "k_{seed}" at /tmp/x/wf_w0_{seed}.py:{seed + 3}:\n'
            f"    v{var} = a1[i] + 1\n;Input types must be the same, got ['float32', 'int32']"
        )
        case = {"kernel_name": f"k_{seed}", "source": src}
        return CaseResult(seed, f"k_{seed}", "f", "1", case, "compile_error", "compile:cpu", "cpu", msg)

    a, b = signature_of(compile_error(5, 3)), signature_of(compile_error(777, 12))
    assert a.key() == b.key()
    assert a.kind == "CompileFailure: Input types must be the same, got ['float32', 'int32']"
    assert a.constructs == ("Add",)  # the statement the error names, not the whole kernel


def test_normalisation_keeps_type_names() -> None:
    assert (
        normalize_text("k_12_f0 v12 out4 float32 int8 mat22 3.5e-3 /a/b/c.py")
        == "K v# out# float32 int8 mat22 N FILE"
    )
    assert error_kind("ValueError: bad 12") == "ValueError: bad N"


def test_same_failure_allows_only_removing_constructs() -> None:
    orig = Signature("judge", "cpu~oracle", "mismatch", "float32:value", ("Add", "sin"))
    assert same_failure(orig, Signature("judge", "cpu~oracle", "mismatch", "float32:value", ("sin",)))
    assert not same_failure(
        orig, Signature("judge", "cpu~oracle", "mismatch", "float32:value", ("cos", "sin"))
    )
    assert not same_failure(orig, Signature("judge", "cpu~oracle", "mismatch", "int32:value", ("sin",)))
    assert not same_failure(orig, Signature("judge", "cpu~cuda", "mismatch", "float32:value", ("sin",)))


def test_crash_keeps_the_exit_status() -> None:
    def crash(seed: int, status: int) -> CaseResult:
        case = {"kernel_name": f"k_{seed}", "source": SRC.format(seed=seed, const="1.0")}
        return CaseResult(
            seed, f"k_{seed}", "f", "1", case, "crash", "worker", "", f"worker exited with status {status}"
        )

    assert signature_of(crash(1, -6)).key() == signature_of(crash(2, -6)).key()
    assert signature_of(crash(1, -6)).key() != signature_of(crash(1, -11)).key()


def test_gradient_mismatch_names_the_input_dtype_and_a_missing_adjoint() -> None:
    def grad(seed: int, warp_value: str) -> CaseResult:
        src = f"@wp.kernel\ndef k_{seed}(a1: wp.array(dtype=wp.float32), acc2: wp.array(dtype=wp.float32)):\n    i = wp.tid()\n    wp.atomic_add(acc2, 0, wp.frac(a1[i]))\n"
        params = [
            {"name": "a1", "dtype": "float32", "role": "in"},
            {"name": "acc2", "dtype": "float32", "role": "out"},
        ]
        msg = f"d(sum w*out)/da1[{seed % 7}]: Warp {warp_value} vs finite differences 0.{seed} (|err| 1, tolerance 0.001)"
        r = CaseResult(seed, f"k_{seed}", "reduction", "1", {"kernel_name": f"k_{seed}", "source": src, "params": params},
                       "gradient_mismatch", "gradient", "cpu", "cpu backward: " + msg)  # fmt: skip
        r.gradient_check = [{"device": "cpu", "status": "mismatch", "message": msg}]  # type: ignore[attr-defined]
        return r

    a, b = signature_of(grad(40, "0")), signature_of(grad(41, "0"))
    assert a.key() == b.key() == "gradient|cpu~fd|gradient_mismatch|d/dfloat32:zero|atomic_add,frac"
    assert signature_of(grad(40, "0.5")).kind == "d/dfloat32:value"
