"""Confirm the feature-gate table (`grammar.gates.GATES`) by compiling its probes on the installed Warp.

The table and its probe kernels are grammar (which constructs to generate); compiling and
launching them needs Warp, so that part lives here, above the grammar. Probe modules are
`WarpModule`s compiled into a temporary kernel cache, never the user's (which would keep one
folder per probe module forever), and launched once each on the CPU. Each probe writes
`out[0] = 1` only when its construct compiled and computed the documented value.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import time
from collections.abc import Iterator
from typing import Any

from fuzz.engine.wpmodule import WarpModule
from grammar.gates import (
    GATES,
    GATES_FORMAT,
    Gate,
    GateCheck,
    GateReport,
    check_table,
    default_cache_dir,
    enabled_features,
    parse_version,
    probe_kernel_name,
    probe_source,
    table_hash,
)
from grammar.native_output import stderr_to


def confirm_gates(
    warp_version: str | None = None,
    cache_dir: str | None = None,
    *,
    gates: tuple[Gate, ...] = GATES,
    refresh: bool = False,
) -> GateReport:
    """Compile every probe on the installed Warp's CPU and compare with the table for its version.

    Probes of constructs the table says are present go into ONE module (the common case costs one
    compile); if that module fails or a probe computes the wrong value, each is retried alone to
    name the culprit. Probes of absent constructs compile one per module (they are expected to
    fail, and from 1.17 on one failure fails its whole module). The result is cached per version
    and table hash in `cache_dir/gates-<version>.json`.
    """
    import warp as wp

    installed = str(wp.__version__)
    version = warp_version or installed
    if parse_version(version) != parse_version(installed):
        raise ValueError(
            f"confirm_gates: asked to confirm warp {version}, but warp {installed} is installed; "
            "probes can only run on the installed release (use `fuzz bisect` to reach others)"
        )
    check_table(gates)
    th = table_hash(gates)
    cache_dir = cache_dir or default_cache_dir()
    path = os.path.join(cache_dir, f"gates-{version}.json")
    if not refresh and os.path.isfile(path):
        try:
            with open(path, encoding="utf-8") as f:
                d = json.load(f)
            if d.get("format") == GATES_FORMAT and d.get("table_hash") == th:
                return GateReport.from_json(d)
        except (OSError, ValueError, KeyError, TypeError):
            pass  # unreadable cache: recompute and overwrite
    t0 = time.perf_counter()
    present = enabled_features(version, gates)
    observed = _run_probes(gates, present)
    checks = [
        GateCheck(g.name, g.since, g.name in present, observed[g.name][0], observed[g.name][1]) for g in gates
    ]
    report = GateReport(version, th, checks, time.perf_counter() - t0)
    os.makedirs(cache_dir, exist_ok=True)
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(report.to_json(), f, indent=2)
    os.replace(tmp, path)
    return report


def _run_probes(gates: tuple[Gate, ...], present: frozenset[str]) -> dict[str, tuple[bool, str]]:
    """name -> (worked, detail) for every gate."""
    import warp as wp

    out: dict[str, tuple[bool, str]] = {}
    with tempfile.TemporaryDirectory(prefix="warpfuzz-gates-") as tmp, _kernel_cache(wp, tmp):
        yes = [g for g in gates if g.name in present]
        if yes:
            batch = _probe_module(yes, tmp)
            for g in yes:
                if not batch[g.name][0]:
                    out[g.name] = _probe_module([g], tmp)[g.name]  # alone: name the culprit
                else:
                    out[g.name] = batch[g.name]
        for g in gates:
            if g.name not in present:
                out[g.name] = _probe_module([g], tmp)[g.name]
    return out


@contextlib.contextmanager
def _kernel_cache(wp: Any, tmp: str) -> Iterator[None]:
    """Probe modules compile into `tmp`; Warp reads the setting at each module load."""
    saved = wp.config.kernel_cache_dir
    wp.config.kernel_cache_dir = os.path.join(tmp, "kernel-cache")
    try:
        yield
    finally:
        wp.config.kernel_cache_dir = saved


def _probe_module(gates: list[Gate], tmp: str) -> dict[str, tuple[bool, str]]:
    """Build the probes as one module, load it on the CPU and launch each once."""
    tag = hashlib.sha1(("|".join(g.name for g in gates) + str(time.perf_counter_ns())).encode()).hexdigest()[
        :10
    ]
    modname = f"warpfuzz_gates_{tag}"
    with stderr_to(os.path.join(tmp, f"{modname}.log")) as log:
        result = _load_and_launch(gates, modname, tmp)
    # the compiler's first complaint says more than Warp's generic "build failed"
    first_error = next((ln.strip() for ln in _read(log) if "error:" in ln), "")
    for name, (ok, detail) in result.items():
        if not ok and first_error and "build failed" in detail:
            result[name] = (ok, f"{detail}: {first_error[:300]}")
    return result


def _read(path: str) -> list[str]:
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.readlines()
    except OSError:
        return []


def _load_and_launch(gates: list[Gate], modname: str, tmp: str) -> dict[str, tuple[bool, str]]:
    import warp as wp

    result: dict[str, tuple[bool, str]] = {}
    try:
        # forward code only (backward triples compile time), except where a gate is about the adjoint
        mod = WarpModule.build([probe_source(g) for g in gates], modname, tmp, {"enable_backward": False})
    except Exception as e:  # the Python side rejected it (e.g. no wp.bfloat16 attribute)
        msg = f"defining the probe failed: {type(e).__name__}: {_first_line(e)}"
        return {g.name: (False, msg) for g in gates}
    with mod:
        for g in gates:
            # launched, not compiled first: before 1.17 a kernel that fails to compile is dropped
            # silently and its probe leaves out[0] = 0, which is what says no there
            kernel = mod.kernel(probe_kernel_name(g))
            try:
                o = wp.zeros(1, dtype=wp.int32, device="cpu")
                scratch = [wp.zeros(4, dtype=getattr(wp, t), device="cpu") for t in g.scratch]
                wp.launch(kernel, dim=1, inputs=[o, *scratch], device="cpu")
                wp.synchronize()
                v = int(o.numpy()[0])
                result[g.name] = (
                    v == 1,
                    ""
                    if v == 1
                    else "the probe did not run (dropped at compile time) or computed the wrong value",
                )
            except Exception as e:
                result[g.name] = (False, f"{type(e).__name__}: {_first_line(e)}")
    return result


def _first_line(e: BaseException) -> str:
    lines = [ln.strip(" ;:") for ln in str(e).strip().splitlines() if ln.strip(" ;:")]
    return (lines[-1] if lines else type(e).__name__)[:300]
