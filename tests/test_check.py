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
