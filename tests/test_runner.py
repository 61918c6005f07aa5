"""The public runner on CPU with real Warp: results by position (cases may share a seed), each
isolation mode keeps a bad kernel from costing its neighbours their verdict, worker plugins'
hooks run (and a failure they plant is contained to its case), bad arguments are refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from fuzz.engine.runner import BatchRunner, Isolation
from fuzz.engine.settings import WorkerSettings
from grammar.case import KernelCase, ParamSpec
from tests.support import faults

N = 16
X = ParamSpec("x", "array", "float32", (N,), "in", -2.0, 2.0)
OUT = ParamSpec("out", "array", "float32", (N,), "out")


def _case(name: str, seed: int, body: str) -> KernelCase:
    src = f"@wp.kernel\ndef {name}(x: wp.array(dtype=wp.float32), out: wp.array(dtype=wp.float32)):\n"
    src += "    i = wp.tid()\n" + "".join(f"    {ln}\n" for ln in body.splitlines())
    return KernelCase(name, src, "test", seed, "test", (X, OUT), (N,))


GOOD = "out[i] = x[i] * 2.0"
NOTHING = "if x[i] > 100.0:\n    out[i] = 1.0"  # writes no element: inconclusive
BROKEN = "out[i] = wp.no_such_builtin(x[i])"  # Warp refuses it when building the module


def _runner(tmp_path: Path, **kw: object) -> BatchRunner:
    settings = WorkerSettings(run_dir=str(tmp_path), enable_backward=False, **kw)  # type: ignore[arg-type]
    return BatchRunner(settings, str(tmp_path / "w"), tag="rt")


@pytest.mark.parametrize("isolation", [Isolation.BATCH, Isolation.HALVES])
def test_results_come_back_by_position_and_a_bad_kernel_is_isolated(
    tmp_path: Path, isolation: Isolation
) -> None:
    # three cases of one seed (as reduction candidates are) and a fourth that does not compile
    cases = [
        _case("rt_a", 5, GOOD),
        _case("rt_b", 5, NOTHING),
        _case("rt_c", 6, BROKEN),
        _case("rt_d", 5, GOOD),
    ]
    results, stats = _runner(tmp_path).run(cases, isolation)
    assert [r.kernel_name for r in results] == ["rt_a", "rt_b", "rt_c", "rt_d"]
    assert [r.verdict for r in results] == ["verified", "inconclusive", "compile_error", "verified"]
    assert results[2].stage in ("import", "compile:cpu") and "no_such_builtin" in results[2].message
    assert results[0].code["cpp_forward"] and "rt_a" in results[0].code["cpp_forward"]
    assert stats["oracle"] > 0


def test_a_worker_plugin_hook_runs_and_its_failure_stays_with_its_case(tmp_path: Path) -> None:
    runner = _runner(tmp_path, worker_plugins=faults.plugins(raise_at=(8,)))
    assert len(runner.before_case) == 1
    results, _ = runner.run([_case("rt_p", 7, GOOD), _case("rt_q", 8, GOOD), _case("rt_r", 9, GOOD)])
    assert [r.verdict for r in results] == ["verified", "internal_error", "verified"]
    assert results[1].stage == "worker" and "planted failure at seed 8" in results[1].message
    # the same batch without the plugin: nothing planted, nothing fails
    clean, _ = _runner(tmp_path / "clean").run([_case("rt_p", 7, GOOD), _case("rt_q", 8, GOOD)])
    assert [r.verdict for r in clean] == ["verified", "verified"]


def test_bad_arguments_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="'nocolon': expected MODULE:FUNCTION"):
        _runner(tmp_path, worker_plugins=("nocolon",))
    with pytest.raises(ValueError, match="worker plugin 'tests.support.faults:no_such' cannot be loaded"):
        _runner(tmp_path, worker_plugins=("tests.support.faults:no_such",))
    runner = _runner(tmp_path)
    with pytest.raises(ValueError, match="unique kernel names"):
        runner.run([_case("rt_s", 1, GOOD), _case("rt_s", 2, GOOD)], Isolation.HALVES)
    with pytest.raises(ValueError, match="2 cases but 1 oracle cases"):
        runner.run([_case("rt_t", 1, GOOD), _case("rt_u", 2, GOOD)], oracle_cases=[_case("rt_t", 1, GOOD)])


def test_tiled_cases_get_a_module_per_block_dim(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A CUDA launch at a block_dim other than its module's rebuilds the whole module at launch
    time; so each block_dim group of a batch is its own module, built with that block_dim."""
    import grammar
    from fuzz.engine import runner as R

    tiles = [grammar.generate(s, family="tiles") for s in range(40)]
    by_bd: dict[int | None, list[KernelCase]] = {}
    for c in tiles:
        by_bd.setdefault(c.block_dim, []).append(c)
    two = sorted(b for b in by_bd if b is not None)[:2]
    cases = [grammar.generate(1), by_bd[two[0]][0], grammar.generate(2), by_bd[two[1]][0]]
    built: list[tuple[list[str], object]] = []
    real = R.WarpModule.build

    def spy(sources, name, work_dir, options=None):  # type: ignore[no-untyped-def]
        built.append(
            ([s.split("def ", 2)[1].split("(")[0] for s in sources], (options or {}).get("block_dim"))
        )
        return real(sources, name, work_dir, options)

    monkeypatch.setattr(R.WarpModule, "build", staticmethod(spy))
    runner = BatchRunner(WorkerSettings(run_dir=str(tmp_path), enable_backward=False), str(tmp_path / "w"))
    results, _ = runner.run(cases)
    assert [r.seed for r in results] == [c.seed for c in cases]  # still by position
    assert [bd for _, bd in built] == [None, two[0], two[1]], built
    assert sorted(len(names) for names, _ in built) == [1, 1, 2]
    assert all(r.verdict in ("verified", "inconclusive") for r in results), [
        (r.seed, r.message) for r in results
    ]
