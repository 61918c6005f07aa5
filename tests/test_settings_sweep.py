"""The settings sweep with real Warp on CPU: a difference planted under one point is blamed on
exactly that point (the others stay clean); generated batches under the whole table stay
verified; a sweep finding saved to a corpus folder replays with its point rebuilt (still failing
with the plant, fixed without it, and repro.py agrees); `max_unroll` reaches Warp's code
generator; unknown names and values are refused with the table; the judge's tolerance says no."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

import grammar
from corpus.folder import CorpusFolder
from corpus.reduce import reduce_folder, reduce_folders, settings_for
from corpus.replay import FIXED, STILL_FAILING, classify, replay
from corpus.save import save_failures
from fuzz.cli import main
from fuzz.engine import judge as J
from fuzz.engine import sweep
from fuzz.engine.result import CaseResult
from fuzz.engine.runner import BatchRunner
from fuzz.engine.settings import WorkerSettings
from fuzz.engine.verdict import Stage, Verdict
from fuzz.engine.wpmodule import WarpModule
from grammar.case import KernelCase, ParamSpec
from oracle.result import OracleResult

N = 8
X = ParamSpec("x", "array", "float32", (N,), "in", -2.0, 2.0)
OUT = ParamSpec("out", "array", "float32", (N,), "out")
# a constant-range loop: unrolled under Warp's default max_unroll (16), a loop under max_unroll=0
LOOP = "acc = float(0.0)\nfor k in range(4):\n    acc = acc + x[i] * float(k)\nout[i] = acc"


def _case(name: str, seed: int, body: str = LOOP) -> KernelCase:
    src = f"@wp.kernel\ndef {name}(x: wp.array(dtype=wp.float32), out: wp.array(dtype=wp.float32)):\n"
    src += "    i = wp.tid()\n" + "".join(f"    {ln}\n" for ln in body.splitlines())
    return KernelCase(name, src, "test", seed, "test", (X, OUT), (N,))


def _plant(point: str) -> str:
    return f"tests.support.sweep_plants:perturb_under:{point}"


def _settings(tmp_path: Path, points: tuple[str, ...], plant: str | None = None) -> WorkerSettings:
    return WorkerSettings(
        run_dir=str(tmp_path),
        enable_backward=False,
        gradients=False,
        cpu_opt_level=0,
        sweep=points,
        worker_plugins=(_plant(plant),) if plant else (),
    )


def test_a_planted_difference_is_blamed_on_exactly_its_point(tmp_path: Path) -> None:
    points = sweep.expand("max_unroll,mode,opt_level=1")
    assert points == ("max_unroll=0", "max_unroll=64", "mode=debug", "opt_level=1")
    runner = BatchRunner(_settings(tmp_path, points, plant="mode=debug"), str(tmp_path / "w"), tag="sw")
    results, stats = runner.run([_case("sw_a", 1), _case("sw_b", 2)])
    for r in results:
        assert r.verdict == Verdict.SETTING_MISMATCH, r.message
        assert sweep.blamed_point(r.message) == "mode=debug"
        first, *rest = r.message.splitlines()
        assert first.startswith("mode=debug on cpu: out[0] ") and "!= baseline" in first, first
        assert rest[-1] == (
            "other swept points: max_unroll=0 agrees, max_unroll=64 agrees, opt_level=1 agrees"
        ), r.message
        assert (r.stage, r.device) == ("judge", "cpu")
        assert any(c["device"] == "cpu@mode=debug" and not c["passed"] for c in r.checks)
    assert stats["sweep:compile:cpu"] > 0
    # the same cases with no plant: every point agrees
    clean = BatchRunner(_settings(tmp_path, points), str(tmp_path / "w2"), tag="sc")
    assert [r.verdict for r in clean.run([_case("sc_a", 1), _case("sc_b", 2)])[0]] == ["verified"] * 2


def test_a_baseline_failure_stays_what_it_is(tmp_path: Path) -> None:
    runner = BatchRunner(_settings(tmp_path, ("max_unroll=0",), plant="max_unroll=0"), str(tmp_path / "w"))
    bad = _case("sw_bad", 3, "out[i] = wp.no_such_builtin(x[i])")
    results, _ = runner.run([bad, _case("sw_ok", 4)])
    assert [r.verdict for r in results] == ["compile_error", "setting_mismatch"]


def test_compile_and_launch_errors_only_a_point_has_are_blamed_on_it(tmp_path: Path) -> None:
    settings = replace(
        _settings(tmp_path, ("max_unroll=0", "max_unroll=64")),
        worker_plugins=("tests.support.sweep_plants:raise_under:max_unroll=64",),
    )
    runner = BatchRunner(settings, str(tmp_path / "w"), tag="se")
    (r,), _ = runner.run([_case("se_a", 1)])
    assert (r.verdict, r.stage, r.device) == ("setting_mismatch", "launch:cpu", "cpu"), r.message
    assert r.message.startswith(
        "max_unroll=64 on cpu: launch error only under this setting: RuntimeError: planted"
    )
    assert r.message.endswith("other swept points: max_unroll=0 agrees")
    # a point whose build fails (clang refuses a flag; no table entry does this, so the test
    # gives the runner such a point): a compile error only that point has, on its own kernel
    bad = sweep.Setting(
        "cpu_flags", "cpu_compiler_flags", sweep.Applied.MODULE_OPTION, ("-fno-such-flag",),
        lambda v: True, ("cpu",), "1.19.0", lambda wp: {"cpu": None}, lambda v: sweep.SAME, "test",
    )  # fmt: skip
    runner = BatchRunner(_settings(tmp_path, ("max_unroll=0",)), str(tmp_path / "w2"), tag="sf")
    runner._sweep[:] = [sweep.ActivePoint(sweep.SweepPoint(bad, "-fno-such-flag"), ("cpu",), False)]
    results, _ = runner.run([_case("sf_a", 1), _case("sf_b", 2)])
    for r in results:
        assert (r.verdict, r.stage) == ("setting_mismatch", "compile:cpu"), r.message
        assert r.message.startswith("cpu_flags=-fno-such-flag on cpu: compile error only under this setting")
        assert "build failed" in r.message, r.message  # Warp: "CPU kernel build failed with error code"


def test_no_sweep_means_no_extra_work(tmp_path: Path) -> None:
    runner = BatchRunner(_settings(tmp_path, ()), str(tmp_path / "w"))
    results, stats = runner.run([_case("sn_a", 1)])
    assert results[0].verdict == "verified" and not any(k.startswith("sweep:") for k in stats)


def test_a_real_width_dependence_is_blamed_on_enable_cpu_blocks(tmp_path: Path) -> None:
    # every thread of a block applies `t[i, j] += v` (tile.h's add_inplace is an atomic add per
    # thread): one add on Warp's default CPU launch (one thread per block), sixteen under
    # wp.config.enable_cpu_blocks with block_dim=16. Real Warp, no plant: the sweep must see it.
    a = ParamSpec("a", "array", "float32", (4, 16), "in", -2.0, 2.0)
    out = ParamSpec("out", "array", "float32", (4, 16), "out")
    src = (
        "@wp.kernel\ndef k_tile(a: wp.array2d(dtype=wp.float32), out: wp.array2d(dtype=wp.float32)):\n"
        "    i, j = wp.tid()\n    t = wp.tile_load(a, shape=(4, 8), offset=(i * 4, j * 8))\n"
        "    wp.tile_add_inplace(t, 1, 4, 0.5)\n    wp.tile_store(out, t, offset=(i * 4, j * 8))\n"
    )
    case = KernelCase("k_tile", src, "test", 1, "test", (a, out), (1, 2), block_dim=16)
    points = ("max_unroll=0", "enable_cpu_blocks=True", "mode=debug")
    (r,), _ = BatchRunner(_settings(tmp_path, points), str(tmp_path / "w"), tag="st").run([case])
    assert r.verdict == Verdict.SETTING_MISMATCH, r.message
    first, _, last = r.message.partition("\n")
    assert first.startswith("enable_cpu_blocks=True on cpu: out[1, ") and "!= baseline" in first, first
    assert r.message.endswith("other swept points: max_unroll=0 agrees, mode=debug agrees"), r.message
    worst = next(a for c in r.checks if not c["passed"] for a in c["arrays"] if not a["passed"])
    assert worst["worst_index"] in ([1, 4], [1, 12]) and worst["max_abs_err"] == pytest.approx(7.5)


@pytest.mark.slow
def test_generated_batches_under_the_whole_table_stay_verified(tmp_path: Path) -> None:
    # enable_cpu_blocks left out: a tiles kernel's `t[i, j] += v` legitimately depends on the
    # block width (the test above)
    points = sweep.expand([s.name for s in sweep.TABLE if s.name != "enable_cpu_blocks"])
    settings = replace(_settings(tmp_path, points), enable_backward=True, gradients=True)
    runner = BatchRunner(settings, str(tmp_path / "w"), tag="sg")
    swept = [a.text for a in runner.sweep]
    assert {"max_unroll=0", "max_unroll=64", "mode=debug", "opt_level=1", "opt_level=3"} <= set(swept)
    assert "opt_level=0" not in swept  # the baseline's own level (cpu_opt_level=0)
    results, stats = runner.run([grammar.generate(seed) for seed in range(300, 308)])
    verdicts = [r.verdict for r in results]
    assert Verdict.SETTING_MISMATCH not in verdicts, [
        r.message for r in results if r.verdict == "setting_mismatch"
    ]
    assert verdicts.count("verified") >= 6, verdicts
    assert stats["sweep:launch:cpu"] > 0


def test_a_sweep_finding_replays_with_its_point_rebuilt(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    settings = replace(_settings(run_dir, sweep.expand("max_unroll,mode"), plant="max_unroll=64"))
    results, _ = BatchRunner(settings, str(tmp_path / "w"), tag="sr").run([_case("k_7", 7)])
    assert results[0].verdict == Verdict.SETTING_MISMATCH
    (path,) = save_failures(str(run_dir), results, settings=settings)
    ent = CorpusFolder.read(path)
    assert ent.meta["sweep"] == ["max_unroll=64"]  # the blamed point alone, not the whole sweep
    assert ent.meta["sweep_applied"]["max_unroll=64"]["options"] == {"max_unroll": 64}
    assert ent.worker_settings().sweep == ("max_unroll=64",)
    # with the plant: still failing, and the point was rebuilt from the folder
    st = replace(settings_for(ent.meta, run_dir=str(tmp_path)), worker_plugins=(_plant("max_unroll=64"),))
    assert ent.case is not None
    again = BatchRunner(st, str(tmp_path / "w2"), tag="sr2").run([ent.case])[0][0]
    assert classify(ent, again).status == STILL_FAILING, again.message
    # a reduction under the folder's settings stays a setting_mismatch blaming the same point
    reduced = CorpusFolder.read(reduce_folder(path, settings=st, budget_s=60, batch=4))
    assert reduced.meta["verdict"] == Verdict.SETTING_MISMATCH and reduced.meta["sweep"] == ["max_unroll=64"]
    assert sweep.blamed_point(reduced.meta["message"]) == "max_unroll=64"
    assert reduced.case is not None and len(reduced.case.source) < len(ent.case.source)
    # a campaign's reductions (its settings sweep every point) reduce it under its own point alone
    campaign = replace(settings, run_dir=str(tmp_path / "c"))
    shutil.rmtree(ent.reduced_path)
    (done,) = reduce_folders([path], settings=campaign, budget_s=60, batch=4)
    assert isinstance(done, str), done
    assert CorpusFolder.read(done).meta["sweep"] == ["max_unroll=64"]
    # without it (the ordinary replay command): fixed
    (outcome,) = replay([path])
    assert outcome.status == FIXED, outcome
    # repro.py builds the baseline and the point and compares: they agree without the plant
    proc = subprocess.run(
        [sys.executable, os.path.join(path, "repro.py")], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "max_unroll=64 agrees with the baseline" in proc.stdout


def test_max_unroll_reaches_the_generated_cpp(tmp_path: Path) -> None:
    runner = BatchRunner(_settings(tmp_path, ("max_unroll=0", "max_unroll=64")), str(tmp_path / "w"))
    code = {}
    for text in ("max_unroll=0", "max_unroll=64"):
        # the options the runner builds a point's module with
        opts = {**runner.module_options, **sweep.parse_point(text).module_options()}
        name = f"wf_unroll_{text.split('=')[1]}"
        with WarpModule.build([_case(name, 1).source], name, str(tmp_path), opts) as mod:
            code[text] = mod.compile_all(["cpu"])["cpu"] or ""
            code[text] = mod.kernel_code("cpu", [name])[name].forward or ""
    assert "for" in code["max_unroll=0"] and "start_for" in code["max_unroll=0"], code["max_unroll=0"][:2000]
    assert "start_for" not in code["max_unroll=64"]
    assert code["max_unroll=64"].count("mul(") >= 4  # the body, four times over


def test_unknown_names_and_values_are_refused_with_the_table(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(
        sweep.SweepError, match=r"unknown setting 'max_unrol'.*max_unroll \(0, 64\).*mode \(debug\)"
    ):
        sweep.expand("max_unrol")
    with pytest.raises(sweep.SweepError, match="opt_level=7: not a value"):
        sweep.expand("opt_level=7")
    assert sweep.expand("opt_level=2,optimization_level") == (
        "opt_level=2",
        "opt_level=0",
        "opt_level=1",
        "opt_level=3",
    )
    assert main(["run", "--budget", "1s", "--out", "unused", "--settings-sweep", "bogus"]) == 2
    assert "--settings-sweep: unknown setting 'bogus'" in capsys.readouterr().err


def _oracle(values: np.ndarray, bound: float) -> OracleResult:
    return OracleResult(
        {"out": values}, {"out": np.full(values.shape, bound)}, {"out": np.zeros(values.shape, bool)}, 1,
        {"out": np.ones(values.shape, bool)},
    )  # fmt: skip


def test_the_judge_allows_the_pair_tolerance_and_no_more() -> None:
    base = np.array([1.0, 2.0, 0.0], np.float32)
    orc = _oracle(base.copy(), 1e-6)
    pol = J.TolerancePolicy()
    ok = base + np.float32(1.5e-6)  # inside the pair tolerance and the oracle's own
    # within the pair tolerance of the baseline (2*2*1e-6 + 4 ulp), but not the oracle's own
    drift = base + np.float32(1.5e-6)
    off = base + np.float32(3.5e-6)
    d = J.judge_setting(
        "p=1", sweep.SAME, {"cpu": {"out": drift}}, {"cpu": {"out": off}}, orc, {}, pol
    ).decision
    assert d is not None and "!= oracle" in d.message.splitlines()[0], d
    far = base.copy()
    far[1] = 2.001
    assert (
        J.judge_setting(
            "p=1", sweep.SAME, {"cpu": {"out": base}}, {"cpu": {"out": ok}}, orc, {}, pol
        ).decision
        is None
    )
    d = J.judge_setting(
        "p=1", sweep.SAME, {"cpu": {"out": base}}, {"cpu": {"out": far}}, orc, {}, pol
    ).decision
    assert d is not None and d.verdict == Verdict.SETTING_MISMATCH
    assert d.message.startswith("p=1 on cpu: out[1] 2.00") and "!= baseline 2.0" in d.message
    # fast math: the looser budget, non-finite baseline values not compared
    assert J.judge_setting(
        "f=1", sweep.FAST_MATH, {"cpu": {"out": base}}, {"cpu": {"out": far}}, orc, {}, pol
    ).decision
    near = base * np.float32(1 + 2e-5)
    fm = J.judge_setting("f=1", sweep.FAST_MATH, {"cpu": {"out": base}}, {"cpu": {"out": near}}, orc, {}, pol)
    assert fm.decision is None
    # an absolute intrinsic error near a zero of the result (sin(x) * cos(y) on an H200): within
    # fast math's norm-wise term (2**-13 of the array's largest magnitude), beyond the pair rule;
    # a step of 1e-3 at the same place is beyond both
    wave = np.array([0.9, -3.4124205e-05, 0.5], np.float32)
    worc = _oracle(wave.copy(), 1e-7)
    for diff, fast_ok in ((6.56e-07, True), (1e-3, False)):
        moved = wave.copy()
        moved[1] += np.float32(diff)
        for tol, ok in ((sweep.FAST_MATH, fast_ok), (sweep.SAME, False)):
            got = J.judge_setting(
                "f=1", tol, {"cuda:0": {"out": wave}}, {"cuda:0": {"out": moved}}, worc, {}, pol
            )
            assert (got.decision is None) is ok, (diff, tol.name, got.decision)
    # integers: bit exact under every setting
    ib = np.array([5, 6], np.int32)
    io = _oracle(ib.copy(), 0.0)
    off = np.array([5, 7], np.int32)
    assert J.judge_setting(
        "p=1", sweep.FAST_MATH, {"cpu": {"out": ib}}, {"cpu": {"out": off}}, io, {}, pol
    ).decision


def test_summary_counts_per_point(tmp_path: Path) -> None:
    from fuzz.summary import sweep_summary

    class _Store:
        def results(self, where: str, params: tuple[str, ...]) -> list[object]:
            from fuzz.engine.result import CaseResult

            msg = "max_unroll=0 on cpu: out[0] 1.0 != baseline 2.0"
            return [CaseResult(1, "k_1", "f", "v", {}, "setting_mismatch", "judge", "cpu", msg)]

    got = sweep_summary(_Store(), ("max_unroll=0", "mode=debug"))
    assert got == {
        "points": ["max_unroll=0", "mode=debug"],
        "setting_mismatch_per_point": {"max_unroll=0": 1, "mode=debug": 0},
    }
    assert sweep_summary(_Store(), ()) is None
    assert json.dumps(got)


def test_an_opt_level_point_is_compared_with_the_baselines_level_per_device() -> None:
    # CPU at the campaign's -O0 (through the CPU compiler flags when CUDA is compiled too), CUDA
    # at Warp's -O3: opt_level=0 concerns CUDA alone, opt_level=3 the CPU alone
    active, notes = sweep.select(sweep.expand("opt_level"), ("cpu",), 90, {}, cpu_opt_level=0)
    got = {a.text: (a.devices, a.cuda_aot) for a in active}
    assert got == {
        "opt_level=0": ((), True),
        "opt_level=1": (("cpu",), True),
        "opt_level=2": (("cpu",), True),
        "opt_level=3": (("cpu",), False),
    }, (got, notes)
    base = {"enable_backward": True, "cpu_compiler_flags": "-march=native -O0"}
    opts = sweep.parse_point("opt_level=3").build_options(base)
    assert opts == {"enable_backward": False, "optimization_level": 3}  # Warp's own CPU flags
    assert sweep.parse_point("max_unroll=0").build_options(base)["cpu_compiler_flags"] == "-march=native -O0"
    overwrites = sweep.parse_point("enable_vector_component_overwrites=True").build_options(base)
    assert overwrites["enable_backward"] is True  # it changes adjoint code: the backward is built


def test_a_plain_failure_of_a_sweep_run_records_no_sweep(tmp_path: Path) -> None:
    """Only verified cases are swept, so a mismatch was decided without any point: its folder
    sweeps nothing (its reduction shares modules and does not build each candidate per point),
    while a setting_mismatch keeps its blamed point (test above)."""
    case = grammar.generate(3)
    settings = WorkerSettings(run_dir=str(tmp_path), sweep=("max_unroll=0", "mode=debug"))
    res = _mismatch_of(case)
    (folder,) = save_failures(str(tmp_path), [res], settings=settings)
    meta = CorpusFolder.read(folder).meta
    assert "sweep" not in meta and "sweep_applied" not in meta, meta.get("sweep")
    assert CorpusFolder.read(folder).worker_settings(run_dir=str(tmp_path)).sweep == ()


def _mismatch_of(case: KernelCase) -> CaseResult:

    return CaseResult.from_case(case, Verdict.MISMATCH, Stage.JUDGE, "cpu", "planted: out[0] differs")
