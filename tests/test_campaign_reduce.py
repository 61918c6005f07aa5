"""Reductions inside the campaign: every saved failure is reduced by the worker pool while the
campaign runs (real Warp on CPU, failures planted with a wrong oracle for `wp.cos`), the summary
counts what was reduced and what was not; with reductions off nothing is reduced and the
summary says so. The queue's share rule is checked on its own."""

from __future__ import annotations

import functools
import json
import os
from pathlib import Path

import pytest

from corpus import entry as E
from corpus.triage import GroupBy, triage
from fuzz.campaign import Campaign, CampaignConfig
from fuzz.engine.settings import WorkerSettings
from fuzz.reducequeue import ReducePolicy, ReductionQueue

WRONG = "tests.support.wrong_oracles:wrong_cos"


@functools.lru_cache(maxsize=1)
def _first_seed() -> int:
    """The first seed from 3000 whose default kernel's output a wrong cos reaches, found with the
    oracle alone (no compile): found, not pinned, so the test follows the generator."""
    import numpy as np

    import grammar
    import oracle
    from tests.support.wrong_oracles import wrong_cos

    wrong = wrong_cos()
    for seed in range(3000, 3600):
        case = grammar.generate(seed)
        if "wp.cos(" not in case.source:
            continue
        args = grammar.make_inputs(case)
        try:
            right = oracle.evaluate(case.module_source(), case.kernel_name, args, case.dim)
            bad = oracle.evaluate(case.module_source(), case.kernel_name, args, case.dim, registry=wrong)
        except Exception:
            continue
        if any(not np.array_equal(right.arrays[k], bad.arrays[k], equal_nan=True) for k in right.arrays):
            return seed
    raise AssertionError("no seed in 3000..3599 whose output a wrong wp.cos reaches")


def _campaign(run: Path, share: float) -> dict:  # type: ignore[type-arg]
    settings = WorkerSettings(run_dir=str(run), enable_backward=False, registry_factory=WRONG)
    cfg = CampaignConfig(
        run_dir=str(run), budget_s=150, seed=_first_seed(), workers=2, batch=4, settings=settings,
        max_kernels=12, reduce_share=share, reduce_job_s=40,
    )  # fmt: skip
    return Campaign(cfg).run()


def _failures(run: Path) -> list[Path]:
    root = run / "corpus"
    return sorted(p for p in root.iterdir() if (p / E.META).is_file()) if root.is_dir() else []


@pytest.mark.slow
def test_every_failure_reduced_while_the_campaign_runs(tmp_path: Path) -> None:
    run = tmp_path / "run"
    summary = _campaign(run, ReducePolicy.share)
    folders = _failures(run)
    assert summary["verdicts"].get("mismatch", 0) >= 1 and folders, summary["verdicts"]
    red = summary["session"]["reduction"]
    assert red["unreduced"] == 0 and red["reduced"] == len(folders), red
    for f in folders:
        meta = json.loads((f / E.REDUCED / E.META).read_text())
        assert meta["reduced_from"]["path"] == os.path.abspath(f)
        assert meta["reduction"]["statements_after"] <= meta["reduction"]["statements_before"]
    # triage groups them by their reduced kernels, none by signature
    groups = triage(str(run))
    assert groups and all(g.by is not GroupBy.SIGNATURE for g in groups), [g.to_json() for g in groups]


@pytest.mark.slow
def test_reductions_off_leave_every_failure_unreduced(tmp_path: Path) -> None:
    run = tmp_path / "run"
    summary = _campaign(run, 0.0)
    folders = _failures(run)
    assert folders and not any((f / E.REDUCED).exists() for f in folders)
    assert summary["session"]["reduction"]["reduced"] == 0
    assert all(g.by is GroupBy.SIGNATURE for g in triage(str(run)))


def test_queue_keeps_to_its_share_while_fuzzing(tmp_path: Path) -> None:
    folders = []
    for k in range(3):
        f = tmp_path / f"{k}-mismatch"
        f.mkdir()
        (f / E.CASE).write_text("{}")
        folders.append(str(f))
    (tmp_path / "2-mismatch" / E.REDUCED).mkdir()
    (tmp_path / "2-mismatch" / E.REDUCED / E.META).write_text("{}")
    q = ReductionQueue(ReducePolicy(share=0.5, job_s=30, tail=0.1))
    q.add(folders + folders)
    assert list(q.pending) == folders[:2]  # queued once each; an already reduced one not at all
    job = q.take(fuzzing=True, worker_s=100, left_s=500)
    assert job == ([folders[0]], 30)  # no signature on record: not known to be judged, so alone
    q.finished(60, reduced=1, failed=0)
    assert q.take(fuzzing=True, worker_s=100, left_s=500) is None  # 60 s of 100: over half
    assert q.take(fuzzing=False, worker_s=100, left_s=5) is None  # too little time left for a job
    assert q.take(fuzzing=False, worker_s=100, left_s=20) == ([folders[1]], 20)
    assert ReductionQueue(ReducePolicy(share=0.0)).take(fuzzing=False, worker_s=1, left_s=99) is None
    assert q.unreduced(str(tmp_path)) == 2


@pytest.mark.slow
def test_a_crash_culprit_found_by_the_retry_is_reduced_in_the_same_campaign(tmp_path: Path) -> None:
    """A crash takes its batch down; the retry finds the culprit alone and saves it. That folder
    is queued like every other failure (it used to wait for the next session)."""
    run = tmp_path / "run"
    first = 3012  # any seeds: the planted crash needs no particular kernel
    seed = first + 1
    settings = WorkerSettings(
        run_dir=str(run), enable_backward=False,
        worker_plugins=(f"tests.support.faults:crash_at:{seed}",),
    )  # fmt: skip
    cfg = CampaignConfig(
        run_dir=str(run), budget_s=150, seed=first, workers=2, batch=4, settings=settings,
        max_kernels=4, reduce_job_s=30,
    )  # fmt: skip
    summary = Campaign(cfg).run()
    assert summary["verdicts"].get("crash") == 1, summary["verdicts"]
    (crash,) = [f for f in _failures(run) if f.name.endswith("-crash")]
    red = summary["session"]["reduction"]
    assert red["unreduced"] == 0, red
    meta = json.loads((crash / E.REDUCED / E.META).read_text())
    assert meta["verdict"] == "crash" and meta["reduced_from"]["path"] == os.path.abspath(crash)
    assert meta["reduction"]["statements_after"] < meta["reduction"]["statements_before"], meta["reduction"]
