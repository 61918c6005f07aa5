"""A failure recorded on several devices, limited to the devices a machine has.

A `cpu~fd+cuda~fd` gradient mismatch found on a GPU machine still reproduces its CPU half on a
CPU-only one; replay and reduce compare (and reduce) that half and say what they could not check.
"""

from __future__ import annotations

from dataclasses import replace

from fuzz.engine.signature import Signature


def _device_kinds(pair: str) -> set[str]:
    """The devices a signature's device part needs: "cpu~cuda" -> {cpu, cuda}; "cpu~fd" -> {cpu}."""
    return {d for d in pair.split("~") if d not in ("oracle", "fd", "")}


def restrict_signature(
    sig: Signature, devices: tuple[str, ...], cuda_arch: int | None = None
) -> Signature | None:
    """`sig` limited to the parts (device pairs joined by "+") that `devices` can reproduce;
    None when no part can (e.g. a CUDA-only failure on a CPU-only machine). With `cuda_arch`
    (NVRTC builds CUDA code for it ahead of time, no GPU needed) a CUDA build failure
    (`compile:cuda`) reproduces on any machine."""
    have = {"cuda" if d.startswith("cuda") else d for d in devices}
    if cuda_arch and sig.stage == "compile:cuda":
        have.add("cuda")
    parts = [p for p in sig.devices.split("+") if _device_kinds(p) <= have]
    if not parts:
        return None
    return replace(sig, devices="+".join(parts))
