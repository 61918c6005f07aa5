"""`python -m fuzz check` on hand-written kernels: verified, a planted oracle fault, usage errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from fuzz.cli import main

KERNELS = """
import warp as wp


@wp.kernel
def saxpy_clamp(x: wp.array(dtype=float), y: wp.array(dtype=float), a: float, out: wp.array(dtype=float)):
    i = wp.tid()
    out[i] = wp.clamp(a * x[i] + y[i], -1.0, 1.0)


@wp.kernel
def stencil(src: wp.array2d(dtype=float), dst: wp.array2d(dtype=float)):
    i, j = wp.tid()
    n = src.shape[0]
    m = src.shape[1]
    acc = src[i, j]
    if i > 0:
        acc += src[i - 1, j]
    if j + 1 < m:
        acc += src[i, j + 1]
    if i + 1 < n:
        acc -= 0.5 * src[i + 1, j]
    dst[i, j] = acc
"""


@pytest.fixture(scope="module")
def kernel_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    p = tmp_path_factory.mktemp("check") / "hand.py"
    p.write_text(KERNELS)
    return p


def test_check_verifies_handwritten_kernels(kernel_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(kernel_file), "--devices", "cpu", "--kernel", "saxpy_clamp"]) == 0
    assert (
        main(["check", str(kernel_file), "--devices", "cpu", "--kernel", "stencil", "--dim", "8", "6"]) == 0
    )
    out = capsys.readouterr().out
    assert "saxpy_clamp: verified" in out and "stencil: verified" in out


def test_check_says_no_with_a_wrong_oracle(kernel_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # clamp modelled as max(x, lo): the device's clamped values disagree wherever a*x+y > 1
    status = main(
        ["check", str(kernel_file), "--devices", "cpu", "--kernel", "saxpy_clamp",
         "--float-range", "0:3", "--oracle-registry", "tests.support.wrong_oracles:wrong_clamp"]
    )  # fmt: skip
    assert status == 1
    out = capsys.readouterr().out
    assert "saxpy_clamp: mismatch" in out and "cpu≠oracle" in out


def test_check_usage_errors(kernel_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(tmp_path / "missing.py")]) == 2
    assert main(["check", str(kernel_file), "--kernel", "nope", "--devices", "cpu"]) == 2
    assert "it defines saxpy_clamp, stencil" in capsys.readouterr().err
    empty = tmp_path / "empty.py"
    empty.write_text("x = 1\n")
    assert main(["check", str(empty), "--devices", "cpu"]) == 2
    assert main(["check", str(kernel_file), "--int-range", "5", "--devices", "cpu"]) == 2


FACTORY_KERNELS = """
import warp as wp


@wp.func
def helper(x: float) -> float:
    return wp.sin(x) * 2.0


def make_k(scale: float, f: wp.Function):
    @wp.kernel
    def kernel(x: wp.array(dtype=float), out: wp.array(dtype=float)):
        i = wp.tid()
        out[i] = f(x[i]) * scale + 1.0

    return kernel


def make_unused(scale: float):
    @wp.kernel
    def lonely(out: wp.array(dtype=float)):
        out[wp.tid()] = scale

    return lonely


k_1 = make_k(2.5, helper)
k_2 = make_k(-1.0, wp.cos)
"""


def test_check_verifies_factory_made_kernels_and_can_say_no(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from fuzz.extract import kernel_defs

    p = tmp_path / "factories.py"
    p.write_text(FACTORY_KERNELS)
    defs = [(d.name, d.top_level) for d in kernel_defs(FACTORY_KERNELS, str(p))]
    # the instances stand for the nested kernel they are made from; a factory never called stays nested
    assert defs == [("lonely", False), ("k_1", True), ("k_2", True)], defs
    assert main(["check", str(p), "--devices", "cpu", "--kernel", "k_1"]) == 0
    assert main(["check", str(p), "--devices", "cpu", "--kernel", "k_2"]) == 0
    out = capsys.readouterr().out
    assert "k_1: verified" in out and "k_2: verified" in out, out
    # k_1 captures helper, which calls wp.sin: modelled as wp.cos, the oracle disagrees with the device
    wrong = ["--oracle-registry", "tests.support.wrong_oracles:wrong_sin"]
    assert main(["check", str(p), "--devices", "cpu", "--kernel", "k_1", *wrong]) == 1
    assert "k_1: mismatch" in capsys.readouterr().out
    assert main(["check", str(p), "--devices", "cpu", "--kernel", "lonely"]) == 2
    assert "lonely: not_extracted" in capsys.readouterr().out


GENERIC_KERNELS = """
import typing

import warp as wp


@wp.kernel
def gen_stub(x: wp.array(dtype=typing.Any), s: typing.Any, out: wp.array(dtype=typing.Any)):
    i = wp.tid()
    out[i] = wp.sin(x[i]) * s + x[i]


@wp.overload
def gen_stub(x: wp.array(dtype=wp.float64), s: wp.float64, out: wp.array(dtype=wp.float64)): ...


@wp.kernel
def gen_call(x: wp.array(dtype=typing.Any), out: wp.array(dtype=float)):
    i = wp.tid()
    out[i] = wp.sin(float(x[i])) + 1.0


gen_call_i = wp.overload(gen_call, {"x": wp.array(dtype=wp.int32)})


@wp.kernel
def gen_bare(x: wp.array(dtype=typing.Any), out: wp.array(dtype=typing.Any)):
    i = wp.tid()
    out[i] = x[i]
"""


def test_check_verifies_generic_kernels_as_their_declared_instance_and_can_say_no(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    p = tmp_path / "generic.py"
    p.write_text(GENERIC_KERNELS)
    for k in ("gen_stub", "gen_call"):
        assert main(["check", str(p), "--devices", "cpu", "--kernel", k]) == 0, k
    out = capsys.readouterr().out
    assert "gen_stub: verified" in out and "gen_call: verified" in out, out
    # both read wp.sin: modelled as wp.cos, the oracle disagrees with what the instance computed
    wrong = ["--oracle-registry", "tests.support.wrong_oracles:wrong_sin"]
    for k in ("gen_stub", "gen_call"):
        assert main(["check", str(p), "--devices", "cpu", "--kernel", k, *wrong]) == 1, k
        assert f"{k}: mismatch" in capsys.readouterr().out
    # without a declared instance there is no type to synthesize inputs for: said so, not guessed
    assert main(["check", str(p), "--devices", "cpu", "--kernel", "gen_bare"]) == 2
    assert "no declared instance" in capsys.readouterr().out
