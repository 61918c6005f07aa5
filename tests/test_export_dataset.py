"""Export of run directories: gate, rejects, dedup, group splits, shards, card, manifest, merge.

The run directories are built from real checks: hand-written kernels go through the real batch
runner (real Warp on CPU, real oracle); a few non-verified results are added beside them, as a
campaign would store them.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from fuzz.engine.result import CaseResult
from fuzz.engine.settings import WorkerSettings
from fuzz.engine.store import Store
from fuzz.export import ExportOptions, export_dataset
from fuzz.export.card import split_front_matter
from fuzz.export.manifest import sha256_file
from fuzz.export.writer import read_rows
from grammar.case import KernelCase, ParamSpec

ROOT = Path(__file__).resolve().parents[1]
N = 16


def _arr(
    name: str, dtype: str = "float32", role: str = "in", low: float = -8.0, high: float = 8.0
) -> ParamSpec:
    integral = dtype.startswith("int")
    if role == "out":
        return ParamSpec(name, "array", dtype, (N,), "out", integral=integral)
    return ParamSpec(name, "array", dtype, (N,), role, low, high, integral=integral)


def _case(seed: int, body: str, params: tuple[ParamSpec, ...], family: str = "elementwise") -> KernelCase:
    name = f"k_{seed}"
    sig = ", ".join(f"{p.name}: wp.array(dtype=wp.{p.dtype})" for p in params)
    src = f"@wp.kernel\ndef {name}({sig}):\n    i = wp.tid()\n" + "".join(
        f"    {ln}\n" for ln in body.splitlines()
    )
    return KernelCase(name, src, family, seed, "test", params, (N,), ())


FF = (_arr("a"), _arr("b"), _arr("out", role="out"))
II = (
    _arr("a", "int32", low=-50, high=50),
    _arr("b", "int32", low=-50, high=50),
    _arr("out", "int32", role="out"),
)

# long enough that one changed constant keeps ~90% of the 5-token shingles: a near-duplicate
LONG = """t0 = wp.min(a[i], b[i]) * 2.0
t1 = wp.max(a[i], b[i]) - 1.0
t2 = wp.abs(t0) + wp.abs(t1)
t3 = wp.clamp(t2, 0.0, 10.0)
t4 = t3 * t3 + t0 * t1
t5 = wp.where(t4 > 3.0, t4, t3)
out[i] = t5 + {c}"""

SOURCES: dict[int, tuple[str, tuple[ParamSpec, ...], str]] = {
    1: (LONG.format(c="0.5"), FF, "multi_statement"),
    2: (LONG.format(c="0.25"), FF, "multi_statement"),  # near-duplicate of 1
    3: ("out[i] = a[i] + b[i]", II, "elementwise"),
    4: ("out[i] = wp.min(a[i], b[i]) * 2.0", FF, "elementwise"),
    5: ("if a[i] > b[i]:\n    out[i] = a[i] - b[i]\nelse:\n    out[i] = b[i] * 3", II, "branch"),
    6: ("out[i] = wp.sin(a[i]) + wp.cos(b[i])", FF, "unary"),
    7: ("out[i] = wp.abs(a[i] * b[i]) % 7", II, "elementwise"),
    8: ("x = a[i] * 0.5\nfor j in range(3):\n    x = x + b[i]\nout[i] = x", FF, "loop"),
    9: ("out[i] = wp.max(a[i], 0.0) + wp.min(b[i], 0.0)", FF, "elementwise"),
}
# the same kernel as seed 4 with other names, spacing and a comment: an exact duplicate
RENAMED_4 = "res[i] = wp.min( x[i],y[i] )*2.0   # twice the smaller one"
XYR = (_arr("x"), _arr("y"), _arr("res", role="out"))


def _run_cases(cases: list[KernelCase], work: Path, backward: bool = False) -> list[CaseResult]:
    from fuzz.engine.runner import BatchRunner

    runner = BatchRunner(WorkerSettings(str(work), ("cpu",), enable_backward=backward), str(work), tag="xt")
    results, _ = runner.run(cases)
    return results


def _write_run(
    run_dir: Path,
    results: list[CaseResult],
    *,
    summary: bool = True,
    argv: list[str] | None = None,
    backward: bool = False,
) -> None:
    import warp as wp

    store = Store(str(run_dir))
    sid = store.begin_session(60.0, argv if argv is not None else [], str(wp.__version__), ["cpu"])
    store.add_results(results, sid)
    store.update_session(sid, 1.0, len(results), ended=True)
    store.close()
    if summary:
        s = {
            "warp_version": str(wp.__version__),
            "generator_version": "test",
            "devices": ["cpu"],
            "session": {"settings": {"enable_backward": backward, "cuda_arch": None, "gen_config": {}}},
        }
        (run_dir / "summary.json").write_text(json.dumps(s))


def _fake(seed: int, verdict: str, checks: list[dict[str, Any]], real: CaseResult, **kw: Any) -> CaseResult:
    """A stored result for a kernel that did not verify (verdict and evidence as given)."""
    case = _case(seed, "out[i] = a[i] * 13.0 + b[i]", FF)
    return CaseResult(
        seed, case.kernel_name, case.family, "test", case.to_json(), verdict, checks=checks,
        code={"cpp_forward": real.code.get("cpp_forward"), "cpp_backward": None}, **kw,
    )  # fmt: skip


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    base = tmp_path_factory.mktemp("export-runs")
    cases = [_case(s, body, params, fam) for s, (body, params, fam) in SOURCES.items()]
    cases.append(_case(14, RENAMED_4, XYR))
    cases.append(_case(104, RENAMED_4, XYR))  # for run B
    results = {r.seed: r for r in _run_cases(cases, base / "work")}
    bad = [s for s, r in results.items() if r.verdict != "verified"]
    assert not bad, {s: (results[s].verdict, results[s].message) for s in bad}
    good = results[1]
    passed = good.checks
    failed = [dict(c, passed=False) for c in passed]
    rejects = [
        _fake(
            90,
            "mismatch",
            failed,
            good,
            stage="judge",
            device="cpu",
            message="cpu≠oracle: out[3] observed 1 expected 2",
        ),
        _fake(91, "verified", failed, good),  # verdict says verified, the check says otherwise
        _fake(92, "verified", [], good),  # verified without any device check
        _fake(93, "compile_error", [], good, stage="compile:cpu", device="cpu", message="CompileError: boom"),
        # forward verified, but the stored gradient check disagrees
        _fake(
            94,
            "verified",
            passed,
            good,
            gradient_check=[{"device": "cpu", "status": "mismatch", "message": "dF"}],
        ),
    ]
    broken = _fake(95, "verified", passed, good)  # a damaged store: the source no longer parses
    broken.case["source"] = broken.case["source"].replace("):", ")", 1)
    rejects.append(broken)
    run_a = base / "runA"
    _write_run(run_a, [r for s, r in results.items() if s != 104] + rejects)
    run_b = base / "runB"
    _write_run(run_b, [results[104]], summary=False, argv=["--budget", "1m", "--no-backward"])
    return {"a": run_a, "b": run_b, "results": results, "base": base}


def _rows(out: Path, sub: str = "data") -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for f in sorted((out / sub).iterdir()):
        rows += read_rows(str(f))
    return rows


@pytest.fixture(scope="module")
def exported(runs: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("ds") / "ds"
    export_dataset(
        [str(runs["a"]), str(runs["b"])], str(out), ExportOptions(include_rejects=True, shard_rows=3)
    )
    return out


def test_rejected_cases_never_enter_verified_splits(exported: Path) -> None:
    rows = _rows(exported)
    seeds = {r["seed"] for r in rows}
    assert seeds.isdisjoint({90, 91, 92, 93, 94, 95}), seeds
    assert all(r["checks"] and all(c["passed"] for c in r["checks"]) for r in rows)
    rejects = {r["seed"]: r for r in _rows(exported, "rejects")}
    assert set(rejects) == {90, 91, 92, 93, 94, 95}
    assert rejects[90]["reason"].startswith("mismatch at judge on cpu")
    assert "device check failed on cpu" in rejects[91]["reason"]
    assert "no device check" in rejects[92]["reason"]
    assert rejects[93]["reason"].startswith("compile_error")
    assert (
        "gradient check failed on cpu" in rejects[94]["reason"]
        and rejects[94]["gradient_check"] == "mismatch"
    )


def test_rejects_are_written_only_on_request(runs: dict[str, Any], tmp_path: Path) -> None:
    out = tmp_path / "ds"
    res = export_dataset([str(runs["a"])], str(out), ExportOptions(fmt="jsonl"))
    assert not (out / "rejects").exists()
    assert not any(e["path"].startswith("rejects/") for e in res.manifest["files"])
    assert res.stats.rejects == {"mismatch": 1, "compile_error": 1, "verified (refused by export gate)": 4}


def test_exact_duplicates_dropped_across_merged_runs(exported: Path, runs: dict[str, Any]) -> None:
    rows = _rows(exported)
    by_seed = {r["seed"]: r for r in rows}
    # seeds 4, 14 (renamed, same run) and 104 (other run) are one pair: the first stored one is kept
    assert 4 in by_seed and 14 not in by_seed and 104 not in by_seed
    assert len(rows) == len({r["pair_id"] for r in rows}) == len(SOURCES)
    man = json.loads((exported / "manifest.json").read_text())
    assert man["dedup"]["exact_duplicates"] == 2
    assert [r["name"] for r in man["runs"]] == ["runA", "runB"]
    card = (exported / "README.md").read_text()
    assert (
        "exact duplicates dropped (same normalized source, Warp version and codegen options): 2 (18.2%)"
        in card
    )


def test_near_duplicates_share_a_group_and_split(exported: Path) -> None:
    by_seed = {r["seed"]: r for r in _rows(exported)}
    a, b = by_seed[1], by_seed[2]
    assert a["source_sha"] != b["source_sha"]
    assert a["split_group"] == b["split_group"] and a["split"] == b["split"]
    assert a["near_dup_cluster_size"] == 2
    singles = [r for s, r in by_seed.items() if s not in (1, 2)]
    assert all(r["near_dup_cluster_size"] == 1 for r in singles)
    # no near-duplicate group straddles two splits
    groups: dict[str, set[str]] = {}
    for r in by_seed.values():
        groups.setdefault(r["split_group"], set()).add(r["split"])
    assert all(len(v) == 1 for v in groups.values())
    assert "2 (22.2%) rows share a cluster with another row" in (exported / "README.md").read_text()


def test_record_fields(exported: Path, runs: dict[str, Any]) -> None:
    rows = _rows(exported)
    r = next(x for x in rows if x["seed"] == 8)
    for key in (
        "pair_id", "kernel_name", "family", "seed", "generator_version", "python", "cpp_forward", "cpp_backward",
        "cuda_forward", "cuda_backward", "warp_version", "codegen_options", "input_spec", "checks",
        "gradient_check", "builtins", "source_sha", "split",
    ):  # fmt: skip
        assert key in r, key
    assert r["python"].startswith("import warp as wp\n") and "def k_8(" in r["python"]
    assert "k_8" in r["cpp_forward"] and r["cpp_backward"] is None and r["cuda_forward"] is None
    assert r["codegen_options"] == {"enable_backward": False, "cuda_arch": None}
    assert r["gradient_check"] is None
    assert r["builtins"] == ["range", "wp.tid"]
    assert r["family"] == "loop" and r["split"] in ("train", "validation", "test")
    spec = json.loads(r["input_spec"])
    assert spec["dim"] == [N] and [p["name"] for p in spec["params"]] == ["a", "b", "out"]
    (check,) = r["checks"]  # every array the oracle reports is compared (a, b and out)
    assert check["device"] == "cpu" and check["passed"] and check["trials"] == 1
    assert check["elements"] == 3 * N and check["tolerance"].startswith("|obs-exp|")
    # Warp's `<L n>` comments point at lines of the record's own python text
    lines = r["python"].splitlines()
    for mark in ("def k_8(", "x = x + b[i]"):
        n = next(i + 1 for i, ln in enumerate(lines) if mark in ln)
        assert any(mark in ln and f"<L {n}>" in ln for ln in r["cpp_forward"].splitlines()), mark


def test_codegen_options_from_argv_or_null(runs: dict[str, Any], tmp_path: Path) -> None:
    # run B has no summary.json: its options come from the recorded command line
    out = tmp_path / "b"
    export_dataset([str(runs["b"])], str(out), ExportOptions(fmt="jsonl"))
    (row,) = _rows(out)
    assert row["codegen_options"] == {"enable_backward": False, "cuda_arch": None}
    # neither summary nor argv: null, not a guess (and a different pair id)
    run_c = tmp_path / "runC"
    _write_run(run_c, [runs["results"][104]], summary=False)
    out_c = tmp_path / "c"
    export_dataset([str(run_c)], str(out_c), ExportOptions(fmt="jsonl"))
    (row_c,) = _rows(out_c)
    assert row_c["codegen_options"] is None
    assert row_c["pair_id"] != row["pair_id"] and row_c["source_sha"] == row["source_sha"]


def test_shards_manifest_and_card(exported: Path) -> None:
    man = json.loads((exported / "manifest.json").read_text())
    data = [e for e in man["files"] if e["path"].startswith("data/")]
    assert all(e["rows"] <= 3 for e in data)
    assert {e["split"] for e in data} == {"train", "validation", "test"}
    for e in man["files"]:
        assert sha256_file(str(exported / e["path"])) == e["sha256"], e["path"]
        assert os.path.getsize(exported / e["path"]) == e["bytes"]
    names = sorted(os.listdir(exported / "data"))
    assert names == sorted(os.path.basename(e["path"]) for e in data)
    train = [n for n in names if n.startswith("train-")]
    assert train[0] == f"train-00000-of-{len(train):05d}.parquet"
    # pyarrow reads every shard with the declared schema; counts agree with the manifest
    total = {s: 0 for s in ("train", "validation", "test")}
    for e in data:
        t = pq.read_table(exported / e["path"])
        assert t.num_rows == e["rows"]
        assert t.schema.field("checks").type.value_type.names[:3] == ["device", "passed", "max_ulp"]
        total[e["split"]] += t.num_rows
    assert total == man["rows"] and sum(total.values()) == len(SOURCES)
    assert man["warp_versions"] and man["devices"] == ["cpu"] and man["generator_versions"] == ["test"]
    # the card's YAML header parses and agrees with the files
    yaml = pytest.importorskip("yaml")
    head, body = split_front_matter((exported / "README.md").read_text())
    meta = yaml.safe_load(head)
    assert meta["license"] == "apache-2.0" and meta["size_categories"] == ["n<1K"]
    default = next(c for c in meta["configs"] if c["config_name"] == "default")
    for df in default["data_files"]:
        assert list((exported).glob(df["path"])), df
    # splits without rows are left out: `datasets` cannot read an empty shard
    assert {s["name"]: s["num_examples"] for s in meta["dataset_info"]["splits"]} == {
        k: v for k, v in man["rows"].items() if v
    }
    feats = {f["name"]: f for f in meta["dataset_info"]["features"]}
    assert feats["builtins"] == {"name": "builtins", "sequence": "string"}
    assert "## Families" in body and "wp.min" in body and "Python source: min" in body


def test_jsonl_holds_the_same_records(exported: Path, runs: dict[str, Any], tmp_path: Path) -> None:
    out = tmp_path / "j"
    export_dataset(
        [str(runs["a"]), str(runs["b"])], str(out), ExportOptions(fmt="jsonl", include_rejects=True)
    )
    pj = sorted(_rows(exported), key=lambda r: r["pair_id"])
    jj = sorted(_rows(out), key=lambda r: r["pair_id"])
    assert pj == jj
    assert all(p.endswith(".jsonl") for p in os.listdir(out / "data"))


def test_out_dir_is_protected(runs: dict[str, Any], tmp_path: Path) -> None:
    from fuzz.cliutil import UsageError

    out = tmp_path / "precious"
    out.mkdir()
    (out / "keep.txt").write_text("x")
    with pytest.raises(UsageError, match="not empty"):
        export_dataset([str(runs["a"])], str(out))
    with pytest.raises(UsageError, match="not a previous export"):
        export_dataset([str(runs["a"])], str(out), ExportOptions(overwrite=True))
    with pytest.raises(UsageError, match="no campaign.db"):
        export_dataset([str(tmp_path)], str(tmp_path / "new"))


def test_cli_export_and_usage_errors(runs: dict[str, Any], tmp_path: Path) -> None:
    out = tmp_path / "cli"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    cmd = [sys.executable, "-m", "fuzz", "export", str(runs["a"]), "--out", str(out), "--shard-rows", "4"]
    p = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    assert p.returncode == 0, p.stderr
    assert "exported 9 verified rows" in p.stderr
    assert (out / "manifest.json").is_file()
    p = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    assert p.returncode == 2 and "--overwrite" in p.stderr
    p = subprocess.run([sys.executable, "-m", "fuzz", "export", "--out", str(out)], capture_output=True, text=True, env=env, cwd=ROOT, timeout=60)  # fmt: skip
    assert p.returncode == 2 and "RUN_DIR" in p.stderr
    # --verify: exit 0 on the export, 1 once a listed file is gone
    verify = [
        sys.executable,
        "-m",
        "fuzz",
        "export",
        "--verify",
        str(out),
        "--sample",
        "0",
        "--devices",
        "cpu",
    ]
    p = subprocess.run(verify, capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    assert p.returncode == 0 and "OK" in p.stdout, p.stdout + p.stderr
    (out / "README.md").unlink()
    p = subprocess.run(verify, capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    assert p.returncode == 1 and "README.md: listed in the manifest but missing" in p.stdout, p.stdout


def test_split_is_stable_when_runs_are_added(runs: dict[str, Any], exported: Path, tmp_path: Path) -> None:
    out = tmp_path / "a-only"
    export_dataset([str(runs["a"])], str(out), ExportOptions(fmt="jsonl"))
    alone = {r["pair_id"]: r["split"] for r in _rows(out)}
    merged = {r["pair_id"]: r["split"] for r in _rows(exported)}
    assert alone == merged
    # copying a run and merging it with itself adds nothing
    twin = tmp_path / "twin"
    shutil.copytree(runs["a"], twin)
    res = export_dataset(
        [str(runs["a"]), str(twin)], str(tmp_path / "twice"), replace(ExportOptions(), fmt="jsonl")
    )
    assert sum(res.stats.rows.values()) == len(SOURCES)
    assert [r["name"] for r in res.stats.runs] == ["runA", "twin"]


def test_backward_run_exports_gradient_checks_and_reverifies(tmp_path: Path) -> None:
    from fuzz.export import VerifyOptions, verify_dataset

    body, params, fam = SOURCES[6]  # sin/cos: differentiable
    (res,) = _run_cases([_case(6, body, params, fam)], tmp_path / "work", backward=True)
    assert res.verdict == "verified", res.message
    run = tmp_path / "run"
    _write_run(run, [res], backward=True)
    out = tmp_path / "ds"
    export_dataset([str(run)], str(out))
    (row,) = _rows(out)
    assert row["codegen_options"] == {"enable_backward": True, "cuda_arch": None}
    assert row["cpp_backward"] and "adj_" in row["cpp_backward"]
    assert row["gradient_check"] == "verified"
    (g,) = row["gradient_checks"]
    assert g["device"] == "cpu" and g["status"] == "verified" and g["checked"] > 0
    assert (
        "gradient checks (backward code against finite differences of the oracle): verified 1"
        in (out / "README.md").read_text()
    )
    rep = verify_dataset(str(out), VerifyOptions(sample=1, devices=("cpu",)))
    assert rep.ok and rep.records[0].code_compared, rep.render()


def test_parallel_pass_gives_the_same_dataset(exported: Path, runs: dict[str, Any], tmp_path: Path) -> None:
    out = tmp_path / "jobs2"
    res = export_dataset(
        [str(runs["a"]), str(runs["b"])], str(out), ExportOptions(include_rejects=True, shard_rows=3, jobs=2)
    )
    assert sorted(_rows(out), key=lambda r: r["pair_id"]) == sorted(
        _rows(exported), key=lambda r: r["pair_id"]
    )
    assert sorted(_rows(out, "rejects"), key=lambda r: r["seed"]) == sorted(
        _rows(exported, "rejects"), key=lambda r: r["seed"]
    )
    assert res.stats.exact_duplicates == 2


def test_coverage_figure_in_the_card(runs: dict[str, Any], tmp_path: Path) -> None:
    """`export --coverage-figure`: the report's coverage figure beside the card, shown in it and
    listed with its hash in the manifest; without the flag there is neither."""
    from fuzz.cli import main

    out = tmp_path / "ds"
    assert main(["export", str(runs["a"]), "--out", str(out), "--coverage-figure"]) == 0
    png = out / "coverage.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (
        "![Warp builtins, constructs and families the runs reached and verified](coverage.png)"
        in (out / "README.md").read_text()
    )
    manifest = json.loads((out / "manifest.json").read_text())
    assert any(e["path"] == "coverage.png" and e["sha256"] for e in manifest["files"])
    plain = tmp_path / "plain"
    assert main(["export", str(runs["a"]), "--out", str(plain)]) == 0
    assert not (plain / "coverage.png").exists() and "coverage.png" not in (plain / "README.md").read_text()
