"""Saving, the standalone repro.py, replay and triage on hand-written cases (real Warp on CPU).

The failures are produced at will: a mismatch through a deliberately wrong oracle entry for
`wp.sin`, and a compile error from mixing float32 and int32 (Warp has no implicit promotion).
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest
from corpus_folders import repro as _repro
from corpus_folders import restamp as _restamp

from corpus import entry as E
from corpus.candidates import CandidateRunner
from corpus.folder import expected_npz
from corpus.replay import CHANGED, FIXED, STILL_FAILING, replay
from corpus.save import expected_arrays, save_failures
from corpus.triage import triage
from fuzz.engine.result import CaseResult
from fuzz.engine.settings import WorkerSettings
from fuzz.engine.store import Store
from grammar.case import KernelCase, ParamSpec

ROOT = Path(__file__).resolve().parents[1]
WRONG = "tests.support.wrong_oracles:wrong_sin"


def _case(seed: int, body: str) -> KernelCase:
    src = (
        f"@wp.kernel\ndef k_{seed}(a1: wp.array(dtype=wp.float32), out2: wp.array(dtype=wp.float32)):\n"
        f"    i = wp.tid()\n{body}"
    )
    params = (
        ParamSpec("a1", "array", "float32", (8,), "in", -2.0, 2.0),
        ParamSpec("out2", "array", "float32", (8,), "out"),
    )
    return KernelCase(f"k_{seed}", src, "unary", seed, "test", params, (8,))


SIN = "    v3 = wp.sin(a1[i]) * 2.0\n    out2[i] = v3 + 1.0\n"
BAD_TYPES = "    out2[i] = a1[i] + wp.int32(1)\n"
FINE = "    out2[i] = a1[i] * 2.0\n"


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[CaseResult], WorkerSettings]:
    """A run directory with a store holding two wrong-oracle mismatches, a compile error, a pass."""
    run = tmp_path_factory.mktemp("run")
    settings = WorkerSettings(run_dir=str(run), enable_backward=False, registry_factory=WRONG)
    cases = [_case(101, SIN), _case(102, SIN.replace("2.0", "3.0")), _case(103, BAD_TYPES), _case(104, FINE)]
    runner = CandidateRunner(settings, str(run / "work"), tag="t")
    results = runner.run_candidates(cases)
    store = Store(str(run))
    store.add_results(results, store.begin_session(0, [], "?", ["cpu"]))
    store.close()
    return run, results, settings


def test_verdicts_and_saved_folders(run_dir: tuple[Path, list[CaseResult], WorkerSettings]) -> None:
    run, results, settings = run_dir
    assert [r.verdict for r in results] == ["mismatch", "mismatch", "compile_error", "verified"]
    paths = save_failures(str(run), results, settings=settings)
    assert [os.path.basename(p) for p in paths] == ["101-mismatch", "102-mismatch", "103-compile_error"]
    stamp = {p: os.path.getmtime(os.path.join(p, E.META)) for p in paths}
    assert save_failures(str(run), results, settings=settings) == paths  # idempotent
    assert stamp == {p: os.path.getmtime(os.path.join(p, E.META)) for p in paths}
    meta = json.loads(Path(paths[0], E.META).read_text())
    for key in (
        "signature",
        "verdict",
        "seed",
        "family",
        "generator_version",
        "warp_version",
        "devices",
        "tolerance",
    ):
        assert key in meta, key
    assert meta["oracle_registry"] == WRONG  # recorded for the reader; never obeyed
    assert set(meta["sha256"]) == set(meta["files"]) - {E.META}
    (worst,) = meta["worst"]
    assert worst["array"] == "out2" and worst["observed"] != worst["expected"]
    assert {"kernel.py", "case.json", "inputs.npz", "expected.npz", "repro.py", "kernel.cpp"} <= set(
        meta["files"]
    )
    inputs = np.load(Path(paths[0], E.INPUTS))
    assert inputs["a1"].dtype == np.float32 and inputs["a1"].shape == (8,)


def test_repro_fails_while_present_and_passes_once_fixed(
    run_dir: tuple[Path, list[CaseResult], WorkerSettings], tmp_path: Path
) -> None:
    run, results, settings = run_dir
    save_failures(str(run), results, settings=settings)
    folder = run / "corpus" / "101-mismatch"
    # the repro must not need warpfuzz: run a copy far from the repository
    copy = tmp_path / "copy"
    subprocess.run(["cp", "-r", str(folder), str(copy)], check=True)
    p = _repro(copy)
    assert p.returncode == 1, p.stdout + p.stderr
    assert "observed" in p.stdout and "expected" in p.stdout
    # "fix" the failure: the right oracle's values replace the wrong ones
    case = KernelCase.from_json(json.loads((copy / E.CASE).read_text()))
    import grammar

    right = expected_arrays(case, grammar.make_inputs(case), WorkerSettings(run_dir=""))
    np.savez(copy / E.EXPECTED, **expected_npz(right))  # type: ignore[arg-type]
    p = _repro(copy)  # a changed file is damage, not a fix
    assert p.returncode == 3 and "expected.npz: sha256 differs" in p.stdout, p.stdout + p.stderr
    _restamp(copy)
    p = _repro(copy)
    assert p.returncode == 0, p.stdout + p.stderr


@pytest.mark.slow
def test_repro_of_a_compile_error(run_dir: tuple[Path, list[CaseResult], WorkerSettings]) -> None:
    run, results, settings = run_dir
    save_failures(str(run), results, settings=settings)
    folder = run / "corpus" / "103-compile_error"
    p = _repro(folder)
    assert p.returncode == 1 and "compile error" in p.stdout, p.stdout + p.stderr
    kernel = folder / E.KERNEL
    kernel.write_text(kernel.read_text().replace("wp.int32(1)", "1.0"))
    _restamp(folder)
    p = _repro(folder)
    assert p.returncode == 0 and "compiles now" in p.stdout, p.stdout + p.stderr


def test_triage_groups_and_orders(run_dir: tuple[Path, list[CaseResult], WorkerSettings]) -> None:
    run, results, settings = run_dir
    save_failures(str(run), results, settings=settings)
    groups = triage(str(run))
    assert [g.count for g in groups] == [2, 1]  # the two sin mismatches are one bug
    assert groups[0].seeds == [101, 102] and groups[0].representative is not None
    assert groups[0].representative.seed == 101 and groups[0].folder is not None
    assert groups[1].signature.verdict == "compile_error"
    from fuzz.cli import main

    assert main(["triage", str(run)]) == 0
    assert main(["triage", str(run / "nope")]) == 2


def test_replay_statuses_and_version_mismatch(
    run_dir: tuple[Path, list[CaseResult], WorkerSettings], tmp_path: Path
) -> None:
    run, results, settings = run_dir
    save_failures(str(run), results, settings=settings)
    folder = tmp_path / "101"
    subprocess.run(["cp", "-r", str(run / "corpus" / "101-mismatch"), str(folder)], check=True)
    notes = []
    (still,) = replay([str(folder)], registry=WRONG, log=notes.append)
    assert still.status == STILL_FAILING and still.failing
    assert "generator version mismatch" in still.note  # saved with generator "test", stored source used
    (fixed,) = replay([str(folder)])  # the installed (right) oracle
    assert fixed.status == FIXED and not fixed.failing
    # a stored signature that no longer matches is "changed"
    meta = json.loads((folder / E.META).read_text())
    meta["signature"]["kind"] = "int32:value"
    (folder / E.META).write_text(json.dumps(meta))
    (changed,) = replay([str(folder)], registry=WRONG)
    assert changed.status == CHANGED and changed.failing


def test_pending_representatives(run_dir: tuple[Path, list[CaseResult], WorkerSettings]) -> None:
    from corpus.reduce import pending_representatives

    run, results, settings = run_dir
    save_failures(str(run), results, settings=settings)
    first = str(run / "corpus" / "101-mismatch")
    assert pending_representatives(str(run)) == [first, str(run / "corpus" / "103-compile_error")]
    # once the signature of 101/102 has a reduced folder, only the compile error is pending
    os.makedirs(os.path.join(first, E.REDUCED), exist_ok=True)
    subprocess.run(["cp", os.path.join(first, E.META), os.path.join(first, E.REDUCED, E.META)], check=True)
    try:
        assert pending_representatives(str(run)) == [str(run / "corpus" / "103-compile_error")]
    finally:
        subprocess.run(["rm", "-r", os.path.join(first, E.REDUCED)], check=True)
