"""Which part of a recorded failure a machine can reproduce (corpus.device_subset)."""

from __future__ import annotations

from corpus.device_subset import restrict_signature
from fuzz.engine.signature import Signature


def test_a_cuda_build_failure_reproduces_without_a_gpu_only_through_nvrtc() -> None:
    build = Signature("compile:cuda", "cuda", "compile_error", "CompileFailure: Exception")
    assert restrict_signature(build, ("cpu",)) is None
    assert restrict_signature(build, ("cpu",), cuda_arch=90) == build
    # NVRTC builds code, it runs nothing: a CUDA result still needs a GPU
    run = Signature("judge", "cuda~oracle", "mismatch", "float32:value")
    assert restrict_signature(run, ("cpu",), cuda_arch=90) is None


def test_a_multi_device_failure_keeps_the_parts_this_machine_has() -> None:
    sig = Signature("gradient", "cpu~fd+cuda~fd", "gradient_mismatch", "float32:gradient")
    part = restrict_signature(sig, ("cpu",))
    assert part is not None and part.devices == "cpu~fd"
    assert restrict_signature(sig, ("cpu", "cuda:1")) == sig
