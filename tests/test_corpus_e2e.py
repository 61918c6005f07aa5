"""The whole corpus loop on a failure produced at will: a campaign judged by an oracle that is
deliberately wrong for `wp.clamp` on floats (its result scaled by 1 + 2^-10, far outside any
tolerance) saves its failures, triage groups them, the reducer
shrinks the representative to a few statements, replay still fails with the wrong oracle and
reports "fixed" with the right one."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from corpus import entry as E
from corpus.passes import size, statement_count
from corpus.save import save_failures
from corpus.triage import triage
from fuzz.campaign import Campaign, CampaignConfig
from fuzz.cli import main
from fuzz.engine.settings import WorkerSettings
from fuzz.engine.store import Store
from grammar.case import KernelCase

pytestmark = pytest.mark.slow
WRONG = "test_corpus_e2e:wrong_clamp"  # importable: pytest puts tests/ on sys.path (workers inherit it)
WEIGHTS = {"branch": 2.0, "elementwise": 1.0, "unary": 1.0}


def wrong_clamp() -> Any:
    """The default oracle registry with `wp.clamp` of floats scaled by 1 + 2^-10."""
    import numpy as np

    from oracle import Builtin, default_registry
    from oracle.values import Value

    reg = default_registry()
    right = reg.get("clamp")
    assert right is not None

    def fn(args: list[Any], ctx: Any) -> Any:
        v = right.fn(args, ctx)
        if isinstance(v, Value) and np.issubdtype(v.data.dtype, np.floating):
            data = (v.data.astype(np.float64) * (1.0 + 2.0**-10)).astype(v.data.dtype)
            return Value(v.t, data, v.err, v.taint)
        return v

    return reg.with_entries([Builtin("clamp", fn, "deliberately wrong: clamp * (1 + 2^-10) for floats")])


def _first_seed() -> int:
    """A seed whose kernel is long (> 5 statements) and whose output the planted fault reaches,
    found with the oracle alone (no compile), so the test follows the generator as it evolves."""
    import numpy as np

    import grammar
    import oracle

    cfg = grammar.GenConfig(weights=WEIGHTS)
    wrong = wrong_clamp()
    for seed in range(2000, 2600):
        case = grammar.generate(seed, cfg)
        if "clamp" not in case.constructs or statement_count(case) <= 5:
            continue
        args = grammar.make_inputs(case)
        try:
            right = oracle.evaluate(case.module_source(), case.kernel_name, args, case.dim)
            bad = oracle.evaluate(case.module_source(), case.kernel_name, args, case.dim, registry=wrong)
        except Exception:
            continue
        diffs = [
            (right.arrays[k], bad.arrays[k])
            for k in right.arrays
            if not np.array_equal(right.arrays[k], bad.arrays[k], equal_nan=True)
        ]
        # a finite value that differs, not a NaN the fault pushes through acos/sqrt: the reducer may
        # keep such a NaN difference without the clamp that caused it
        if diffs and all(
            np.isfinite(a[a != b]).all() and np.isfinite(b[a != b]).all()
            for a, b in diffs
            if np.issubdtype(a.dtype, np.floating)
        ):
            return seed
    raise AssertionError("no seed in 2000..2599 where a wrong wp.clamp reaches a long kernel's output")


def test_saved_triaged_reduced_replayed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = tmp_path / "run"
    settings = WorkerSettings(
        run_dir=str(run),
        enable_backward=False,
        gen_config={"weights": WEIGHTS},
        registry_factory=WRONG,
    )
    cfg = CampaignConfig(
        run_dir=str(run),
        budget_s=900,
        seed=_first_seed(),
        workers=2,
        batch=4,
        settings=settings,
        max_kernels=8,
        reduce_share=0.0,  # this test reduces through the CLI below
    )
    summary = Campaign(cfg).run()
    assert summary["verdicts"].get("mismatch", 0) >= 1, summary["verdicts"]

    # saved: what the campaign hook does after each batch
    store = Store(str(run))
    results = list(store.results("verdict != ?", ("verified",)))
    for r in results:
        r.code = store.code(r.seed)
    store.close()
    paths = save_failures(str(run), results, settings=settings)
    assert len(paths) == sum(1 for r in results if r.verdict == "mismatch" or r.verdict.endswith("error"))

    # triaged: the planted fault is on the differing path; take the longest representative
    groups = triage(str(run))
    planted = [g for g in groups if g.signature.verdict == "mismatch" and "clamp" in g.signature.constructs]
    assert planted, [g.signature.key() for g in groups]
    rep = max(planted, key=lambda g: statement_count(KernelCase.from_json(g.representative.case)))  # type: ignore[union-attr]
    assert rep.folder is not None
    before = statement_count(KernelCase.from_json(json.loads(Path(rep.folder, E.CASE).read_text())))
    assert before > 5
    assert main(["triage", str(run)]) == 0
    assert rep.signature.digest() in capsys.readouterr().out

    # reduced to at most 5 statements, same failure, clamp still there
    # a folder never chooses its oracle: the wrong one is named on the command line
    assert main(["reduce", rep.folder, "--budget", "4m", "--oracle-registry", WRONG]) == 0
    reduced = Path(rep.folder, E.REDUCED)
    meta = json.loads((reduced / E.META).read_text())
    case = KernelCase.from_json(json.loads((reduced / E.CASE).read_text()))
    assert statement_count(case) <= 5, case.source
    assert meta["signature"]["verdict"] == "mismatch" and "clamp" in meta["signature"]["constructs"]
    assert set(meta["signature"]["constructs"]) <= set(rep.signature.constructs)
    original = KernelCase.from_json(json.loads(Path(rep.folder, E.CASE).read_text()))
    assert size(case) < size(original) and meta["reduction"]["accepted"] >= 1
    capsys.readouterr()

    # the standalone repro of the reduced case still shows the failure
    p = subprocess.run([sys.executable, "repro.py"], cwd=reduced, capture_output=True, text=True, timeout=300)
    assert p.returncode == 1, p.stdout + p.stderr

    # replay: still failing under the wrong oracle (exit 1), fixed once the oracle is right (exit 0)
    assert main(["replay", str(reduced), "--oracle", WRONG]) == 1
    assert "still failing" in capsys.readouterr().out
    assert main(["replay", str(reduced)]) == 0
    assert "fixed" in capsys.readouterr().out
    # and the whole run's corpus with the right oracle: every planted mismatch is fixed
    assert main(["replay", str(run / "corpus")]) == 0
