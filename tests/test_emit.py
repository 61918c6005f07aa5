"""`python -m fuzz emit`: the forward C++ equals the dataset record of the same kernel (harvest, then
export), CUDA source without a GPU (NVRTC, compile only), and a kernel that does not compile."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from fuzz.cli import main
from fuzz.export.exporter import ExportOptions, export_dataset
from fuzz.export.writer import read_rows
from fuzz.harvest import warp_package_dir
from fuzz.nativenames import canonical_function_ids


def _example(name: str) -> str:
    return os.path.join(warp_package_dir(), "examples", "core", name)


def _emit(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[dict]]:  # type: ignore[type-arg]
    capsys.readouterr()
    status = main(["emit", *argv, "--format", "json"])
    return status, json.loads(capsys.readouterr().out)


def test_emit_prints_the_dataset_records_code(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # example_cupy.py imports cupy, which is not installed: both sides go through extraction
    path = _example("example_cupy.py")
    run, out = tmp_path / "run", tmp_path / "export"
    assert main(["harvest", path, "--devices", "cpu", "--out", str(run)]) == 0
    export_dataset([str(run)], str(out), ExportOptions(fmt="jsonl"))
    (record,) = [r for p in sorted((out / "data").glob("*.jsonl")) for r in read_rows(str(p))]
    assert (
        record["kernel_name"] == "saxpy" and record["origin"]["file"] == "warp/examples/core/example_cupy.py"
    )
    status, (emitted,) = _emit(capsys, path, "--kernel", "saxpy")
    assert status == 0 and emitted["options"] == {"enable_backward": True}
    assert "saxpy" in emitted["forward"] and "cpu_kernel_forward" in emitted["forward"]
    assert emitted["forward"] == record["cpp_forward"]
    assert emitted["backward"] == record["cpp_backward"]
    assert emitted["python"] == record["python"]
    status, (plain,) = _emit(capsys, path, "--kernel", "saxpy", "--no-backward")
    assert status == 0 and plain["backward"] is None and plain["options"] == {"enable_backward": False}


def test_emit_cuda_without_a_gpu(capsys: pytest.CaptureFixture[str]) -> None:
    status, kernels = _emit(
        capsys, _example("example_fluid.py"), "--kernel", "divergence", "--device", "cuda"
    )
    assert status == 0
    (k,) = kernels
    assert k["device"] == "cuda" and "cuda_arch" in k["options"]
    assert "__global__ void divergence_" in k["forward"] and "cuda_kernel_forward" in k["forward"]
    assert "cuda_kernel_backward" in (k["backward"] or "")


def test_emit_says_no_for_a_kernel_that_does_not_compile(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    f = tmp_path / "bad.py"
    f.write_text(
        "import warp as wp\n\n\n@wp.kernel\ndef bad(x: wp.array(dtype=float)):\n"
        "    i = wp.tid()\n    x[i] = wp.vec3(1.0, 2.0, 3.0)\n"
    )
    status, (k,) = _emit(capsys, str(f))
    assert status == 2 and k["forward"] is None and "does not compile for cpu" in k["refused"]
    assert main(["emit", str(f), "--kernel", "nope"]) == 2


def test_helper_names_are_renumbered_per_helper() -> None:
    python = "import warp as wp\n@wp.func\ndef h(x: float):\n    return x\n@wp.kernel\ndef k():\n    pass\n"
    code = "float h_17(float x);\nvoid adj_h_17();\nfloat h_23(int x);\nint k_3; int hh_4;"
    assert (
        canonical_function_ids(code, python)
        == "float h_0(float x);\nvoid adj_h_0();\nfloat h_1(int x);\nint k_3; int hh_4;"
    )
