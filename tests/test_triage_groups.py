"""Triage by root cause on failures produced at will (real Warp on CPU, a deliberately wrong
oracle for `wp.sin` and for integer `wp.min`): kernels reduced for real, grouped by what is left.

- two different kernels with one cause (the wrong sin) reduce to one shape: one group;
- a kernel needing both causes (a float and an int output differ) keeps both: its own group,
  merged with neither single cause, even with near-key merging judged on Warp;
- the known-differences table labels the frac gap and the committed seeds by their entries,
  and an entry that does not fit says no;
- `--json` parses, `--report` writes an issue.md and a repro.py that exits 1 (the failure).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from corpus import entry as E
from corpus.candidates import CandidateRunner
from corpus.known import KNOWN, KnownEntry, KnownKind
from corpus.reduce import reduce_folder
from corpus.rootcause import kernel_shape
from corpus.save import save_failures
from corpus.triage import GroupBy, judge_confirm, triage
from fuzz.cli import main
from fuzz.engine.result import CaseResult
from fuzz.engine.settings import WorkerSettings
from grammar.case import KernelCase, ParamSpec

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]
WRONG = "test_triage_groups:wrong_sin_and_int_min"  # pytest puts tests/ on sys.path


def wrong_sin_and_int_min() -> Any:
    """`wp.sin` modelled as `wp.cos`, and `wp.min` of integers as `wp.max`."""
    import numpy as np

    from oracle import default_registry
    from oracle.builtins import Builtin

    reg = default_registry()
    cos, mn, mx = reg.get("cos"), reg.get("min"), reg.get("max")
    assert cos is not None and mn is not None and mx is not None

    def min_fn(args: list[Any], ctx: Any) -> Any:
        ints = all(np.issubdtype(np.asarray(a.data).dtype, np.integer) for a in args if hasattr(a, "data"))
        return (mx if ints else mn).fn(args, ctx)

    return reg.with_entries(
        [Builtin("sin", cos.fn, "deliberately wrong"), Builtin("min", min_fn, "deliberately wrong")]
    )


HEAD = (
    "@wp.kernel\ndef k_{seed}(a1: wp.array(dtype=wp.float32), n2: wp.array(dtype=wp.int32), "
    "out3: wp.array(dtype=wp.float32), out4: wp.array(dtype=wp.int32)):\n    i = wp.tid()\n"
)
SIN_A = "    v5 = wp.sin(a1[i]) * 2.0\n    v6 = a1[i] + 1.5\n    out3[i] = v5 + v6\n    out4[i] = n2[i] * 2\n"
SIN_B = (
    "    v5 = a1[i] * 0.25\n    if v5 > 0.0:\n        v5 = v5 + 1.0\n    out3[i] = wp.sin(a1[i]) - v5\n"
    "    out4[i] = n2[i] + 3\n"
)
MIN = "    out3[i] = a1[i] * 3.0\n    v5 = n2[i] + 1\n    out4[i] = wp.min(v5, 2)\n"
BOTH = "    v5 = wp.sin(a1[i]) + 0.5\n    out3[i] = v5\n    out4[i] = wp.min(n2[i], 2) * 3\n"
FRAC = (
    "@wp.kernel\ndef k_{seed}(a1: wp.array(dtype=wp.float32), out2: wp.array(dtype=wp.float32)):\n"
    "    i = wp.tid()\n    v3 = wp.frac(a1[i]) * 2.0\n    out2[i] = v3 + a1[i]\n"
)


def _case(seed: int, body: str) -> KernelCase:
    params = (
        ParamSpec("a1", "array", "float32", (8,), "in", -2.0, 2.0),
        ParamSpec("n2", "array", "int32", (8,), "in", -5, 5),
        ParamSpec("out3", "array", "float32", (8,), "out"),
        ParamSpec("out4", "array", "int32", (8,), "out"),
    )
    return KernelCase(f"k_{seed}", HEAD.format(seed=seed) + body, "test", seed, "test", params, (8,))


def _frac(seed: int) -> KernelCase:
    params = (
        ParamSpec("a1", "array", "float32", (8,), "in", 0.1, 2.9),
        ParamSpec("out2", "array", "float32", (8,), "out"),
    )
    return KernelCase(f"k_{seed}", FRAC.format(seed=seed), "test", seed, "test", params, (8,))


def _judge(run: Path, cases: list[KernelCase], settings: WorkerSettings) -> list[CaseResult]:
    runner = CandidateRunner(settings, str(run / "work"), tag="t")
    try:
        return runner.run_candidates(cases)
    finally:
        runner.close()


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder of corpus failures, each reduced for real: sin twice, min, both, frac."""
    run = tmp_path_factory.mktemp("triage")
    wrong = WorkerSettings(run_dir=str(run), enable_backward=False, registry_factory=WRONG)
    cases = [_case(701, SIN_A), _case(702, SIN_B), _case(703, MIN), _case(704, BOTH)]
    results = _judge(run, cases, wrong)
    assert [r.verdict for r in results] == ["mismatch"] * 4, [r.message for r in results]
    grad = WorkerSettings(run_dir=str(run), enable_backward=True)
    frac = _judge(run, [_frac(705)], grad)
    assert frac[0].verdict == "gradient_mismatch", frac[0].message
    paths = save_failures(str(run), results, settings=wrong) + save_failures(str(run), frac, settings=grad)
    for p, st in zip(paths, [wrong] * 4 + [grad], strict=True):
        reduce_folder(p, settings=st, budget_s=120)
    return run


def _group_of(groups: list[Any], seed: int) -> Any:
    return next(g for g in groups if seed in g.seeds)


def test_names_literals_and_dtypes_are_abstracted() -> None:
    a = "@wp.kernel\ndef k(x: wp.array(dtype=wp.float32), o: wp.array(dtype=wp.float32)):\n    i = wp.tid()\n    o[i] = wp.sin(x[i]) * 2.0\n"
    b = a.replace("x", "a9").replace("2.0", "7.5").replace("float32", "float64")
    c = a.replace("wp.sin", "wp.cos")
    assert kernel_shape(a, "k") == kernel_shape(b, "k") != ""
    assert kernel_shape(a, "k") != kernel_shape(c, "k")  # the builtin is the bug: it stays
    assert kernel_shape(a, "k") != kernel_shape(a.replace("2.0", "2"), "k")  # int vs float literal


def test_one_cause_in_two_kernels_is_one_group(run: Path) -> None:
    groups = triage(str(run))
    g = _group_of(groups, 701)
    assert g.by is GroupBy.ROOT_CAUSE and 702 in g.seeds and g.count == 2, [x.to_json() for x in groups]
    assert "wp.sin" in g.reduced_source() and g.is_new


def test_two_causes_in_one_kernel_stay_apart(run: Path) -> None:
    for confirm in (None, judge_confirm):
        groups = triage(str(run), confirm=confirm)
        both, sin, mn = _group_of(groups, 704), _group_of(groups, 701), _group_of(groups, 703)
        assert both is not sin and both is not mn and sin is not mn
        assert both.seeds == [704] and mn.seeds == [703]
        src = both.reduced_source()
        assert "wp.sin" in src and "wp.min" in src  # the reduction kept both causes


def test_known_entry_labels_its_group(run: Path) -> None:
    groups = triage(str(run))
    g = _group_of(groups, 705)
    assert g.by is GroupBy.KNOWN and g.label == "frac-missing-adjoint" and not g.is_new
    assert groups[-1] is g  # known groups come after the new ones
    # a table entry that does not fit the kernel says no
    assert g.reduced_result is not None
    assert not KNOWN.get("ternary-int-condition").matches_reduced(
        "judge", "mismatch", {"IfExp"}, g.reduced_source(), g.reduced_result.kernel_name, "1.10.0", set()
    )
    fixed = KnownEntry("x", KnownKind.GAP, "t", "gradient", ("frac",), "r", ("1.0.0",), fixed_in="1.1.0")
    assert not fixed.matches_reduced(
        "gradient", "gradient_mismatch", {"frac"}, "", "", "1.19.0", set()
    )  # fixed before the release it was found on


def test_committed_seeds_name_their_entries() -> None:
    seeds = ROOT / "corpus" / "seeds"
    groups = triage(str(seeds))
    for folder in sorted(seeds.iterdir()):
        label = json.loads((folder / E.META).read_text())["known"]["label"]
        KNOWN.get(label)  # the entry exists
        g = next(g for g in groups if str(folder) in (g.folder or ""))
        assert g.label == label, (folder.name, g.to_json())


def test_json_and_report_outputs_parse(run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["triage", str(run), str(ROOT / "corpus" / "seeds"), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    n_seeds = sum(1 for p in (ROOT / "corpus" / "seeds").iterdir() if (p / E.META).is_file())
    assert doc["failures"] == 5 + n_seeds and doc["unreduced"] == 0
    assert [g["new"] for g in doc["groups"]] == sorted((g["new"] for g in doc["groups"]), reverse=True)
    assert {g["label"] for g in doc["groups"] if not g["new"]} >= {
        "frac-missing-adjoint",
        "ternary-int-condition",
    }
    rep = tmp_path / "rep"
    assert main(["triage", str(run), "--report", str(rep)]) == 0
    capsys.readouterr()
    folders = sorted(rep.iterdir())
    assert len(folders) == 3  # sin, min, both: the frac group is known
    for f in folders:
        text = (f / "issue.md").read_text()
        for part in ("# ", "## Minimal kernel", "## Inputs", "## Observed vs expected", "## Releases affected",
                     "## Environment", "```python"):  # fmt: skip
            assert part in text, (f, part)
        # the repro compares Warp with the recorded expected values: the difference reproduces
        p = subprocess.run([sys.executable, str(f / "repro.py")], capture_output=True, text=True, timeout=300)
        assert p.returncode == 1, p.stdout + p.stderr


def test_release_window_labels_are_replayed_and_can_be_refuted() -> None:
    """`confirm_known` with real replays on the installed release (instead of each entry's
    `fixed_in`, which would need other releases' venvs): a fixed bug passes there, so its label
    stays; a group whose kernel still fails there loses its label and is new again."""
    from corpus.triage import confirm_known
    from fuzz.bisect import bisect_replay
    from fuzz.venvs import installed_warp_version

    installed = installed_warp_version() or ""
    seeds = ROOT / "corpus" / "seeds"
    groups = triage(str(seeds))
    int64 = next(g for g in groups if g.label == "int64-literal-emitted-as-int32")
    int64.reduced_folder = str(seeds / "frac-missing-adjoint")  # a kernel still failing here
    out = confirm_known(groups, lambda folders, release: bisect_replay(folders, installed))
    ternary = next(g for g in out if g.seeds == [200449])
    # the confirmation names the release asked for (the entry's fixed_in) and the replay's status
    assert ternary.label == "ternary-int-condition" and ternary.confirmation == ("1.11.1", "passing")
    refuted = next(g for g in out if g.seeds == [200534])
    assert refuted.is_new and [e.label for e in refuted.unconfirmed] == ["int64-literal-emitted-as-int32"]
    assert refuted.confirmation == ("1.12.1", "failing")
    frac = next(g for g in out if g.label == "frac-missing-adjoint")
    assert frac.confirmation is None  # a gradient gap is confirmed by its own re-check
    assert out.index(refuted) < out.index(ternary)  # new groups first
