"""A worker runs batches for hours: nothing of a judged batch may stay reachable.

Warp links a module to every module whose functions its kernels call (`wp.norm_l1` lives in
`warp.math`, which lives for the whole process); a batch whose module stays in such a link keeps
all its kernels, adjoints and codegen state alive. This test builds batches that call into
`warp.math` and checks that, once judged, none of their modules, kernels or sources survive.
"""

from __future__ import annotations

import gc
import linecache

import grammar
from fuzz.engine.runner import BatchRunner
from fuzz.engine.settings import WorkerSettings
from grammar.case import KernelCase, ParamSpec


def _case(seed: int) -> KernelCase:
    name = f"k_{seed}"
    src = (
        "@wp.kernel\n"
        f"def {name}(a1: wp.array(dtype=wp.vec3f), out2: wp.array(dtype=wp.float32)):\n"
        "    i = wp.tid()\n"
        "    out2[i] = wp.norm_l1(a1[i]) + wp.norm_l2(a1[i])\n"
    )
    params = (
        ParamSpec("a1", "array", "vec3f", (8,), "in", -2.0, 2.0),
        ParamSpec("out2", "array", "float32", (8,), "out"),
    )
    return KernelCase(name, src, "vector", seed, grammar.GENERATOR_VERSION, params, (8,))


def _alive() -> tuple[list[str], list[str]]:
    """This test's batch modules (`wf_mem_*`) and their kernels still reachable; other tests' may
    be, in one pytest session, so they are not counted."""
    gc.collect()
    objs = gc.get_objects()

    def ours(name: object) -> bool:
        return str(name).startswith("wf_mem_")

    mods = [str(o.name) for o in objs if type(o).__name__ == "Module" and ours(getattr(o, "name", ""))]
    kernels = [
        str(o.key)
        for o in objs
        if type(o).__name__ == "Kernel" and ours(getattr(getattr(o, "module", None), "name", ""))
    ]
    return mods, kernels


def test_judged_batches_leave_nothing_behind(tmp_path):
    runner = BatchRunner(
        WorkerSettings(run_dir=str(tmp_path), enable_backward=False), str(tmp_path / "w"), tag="mem"
    )
    for b in range(3):
        results, _ = runner.run([_case(1000 + 10 * b + k) for k in range(2)])
        assert [r.verdict for r in results] == ["verified", "verified"], [r.message for r in results]
    mods, kernels = _alive()
    assert mods == [] and kernels == [], (mods, kernels)
    assert not [p for p in linecache.cache if "wf_mem_" in str(p)]
