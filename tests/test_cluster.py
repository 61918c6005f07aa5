"""Shards and the Ray cluster: the --shard seed partition, cluster folders downstream, and a short
sharded campaign on a two-node Ray cluster simulated on this machine (one shard's Ray worker is
killed mid-run and must be rescheduled from its checkpoint with nothing lost or stored twice).

The Ray tests need the `warpfuzz[ray]` extra and are skipped with the reason where ray is missing;
everything else here runs without it (and must not import it)."""

from __future__ import annotations

import glob
import importlib.util
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from fuzz.cluster.layout import cluster_shards, expand_run_dirs, shard_dir
from fuzz.shard import Shard, ShardSpecError

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HAS_RAY = importlib.util.find_spec("ray") is not None
needs_ray = pytest.mark.skipif(not HAS_RAY, reason="ray is not installed (pip install 'warpfuzz[ray]')")


def _fuzz(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fuzz", *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout
    )


def _seeds(run_dir: str) -> list[int]:
    db = sqlite3.connect(f"file:{os.path.join(run_dir, 'campaign.db')}?mode=ro", uri=True)
    try:
        return [int(r[0]) for r in db.execute("SELECT seed FROM cases ORDER BY seed")]
    finally:
        db.close()


def partition_problems(first: int, count: int, per_shard: dict[int, list[int]], expect: int) -> list[str]:
    """What is wrong with the shards' stored seeds: a seed outside its shard's share, a seed stored
    twice (within or across shards), or a gap in a shard's first `expect` seeds."""
    problems = []
    seen: dict[int, int] = {}
    for k, seeds in sorted(per_shard.items()):
        sh = Shard(k, count)
        for s in seeds:
            if not sh.owns(first, s):
                problems.append(f"shard {k} stored seed {s}, not in its share")
            if s in seen:
                problems.append(f"seed {s} stored by shard {seen[s]} and shard {k}")
            seen[s] = k
        want = [sh.seed(first, i) for i in range(expect)]
        missing = sorted(set(want) - set(seeds))
        if missing:
            problems.append(f"shard {k} misses seeds {missing}")
        if len(seeds) != len(set(seeds)):
            problems.append(f"shard {k} holds a seed twice")
    return problems


# ---- the partition (pure) -------------------------------------------------------------------


@pytest.mark.parametrize("count", [1, 2, 3, 5, 8, 13])
@pytest.mark.parametrize("first", [0, 7, 1000])
def test_shards_never_overlap_and_cover(first: int, count: int) -> None:
    span = range(first, first + 40 * count)
    owners: dict[int, list[int]] = {s: [] for s in span}
    for k in range(count):
        sh = Shard(k, count)
        it = sh.seeds(first, set())
        for _ in range(40):
            s = next(it)
            assert sh.owns(first, s)
            owners[s].append(k)
    assert all(len(v) == 1 for v in owners.values()), "every seed of the span has exactly one shard"
    assert not any(Shard(k, count).owns(first, first - 1) for k in range(count)), "no seed below the first"


def test_shard_seeds_stable_on_resume() -> None:
    sh = Shard(2, 5)
    fresh = [s for _, s in zip(range(12), sh.seeds(10, set()), strict=False)]
    assert fresh[:3] == [12, 17, 22]
    done = set(fresh[:4]) | {fresh[6]}  # what a killed session stored (a batch in flight was lost)
    resumed = [s for _, s in zip(range(7), sh.seeds(10, done), strict=False)]
    assert resumed == [s for s in fresh if s not in done]


def test_shard_spec_parse_and_refusals() -> None:
    assert Shard.parse("3/8") == Shard(3, 8) and Shard.parse(" 0 / 1 ").label == "0/1"
    for bad in ("8/8", "-1/4", "1/0", "1", "a/b", "1/2/3"):
        with pytest.raises(ShardSpecError):
            Shard.parse(bad)


def test_partition_check_says_no() -> None:
    good = {0: [5, 7, 9], 1: [6, 8, 10]}
    assert partition_problems(5, 2, good, 3) == []
    assert partition_problems(5, 2, {0: [5, 7, 9], 1: [6, 8, 9]}, 3)  # 9 twice, 10 missing
    assert partition_problems(5, 2, {0: [5, 9], 1: [6, 8, 10]}, 3)  # gap
    assert partition_problems(5, 2, {0: [5, 7, 9, 9], 1: [6, 8, 10]}, 3)  # a duplicate within a shard


# ---- cluster folders downstream (no ray) ------------------------------------------------------


def test_expand_run_dirs(tmp_path) -> None:
    root = str(tmp_path / "c")
    for k in (0, 1, 10, 2):
        os.makedirs(shard_dir(root, k))
        open(os.path.join(shard_dir(root, k), "campaign.db"), "w").close()
    os.makedirs(os.path.join(root, "shards", "notes"))  # not a shard
    os.makedirs(os.path.join(root, "shards", "3"))  # no store yet: not listed
    plain = str(tmp_path / "plain")
    os.makedirs(plain)
    open(os.path.join(plain, "campaign.db"), "w").close()
    want = [shard_dir(root, k) for k in (0, 1, 2, 10)]
    assert cluster_shards(root) == want
    assert cluster_shards(plain) == [] and cluster_shards(str(tmp_path / "nothing")) == []
    assert expand_run_dirs([plain, root, "missing"]) == [plain, *want, "missing"]


def test_cluster_forwards_campaign_options() -> None:
    from fuzz.cli import build_parser
    from fuzz.commands.cluster import forwarded_args

    parser, _ = build_parser()
    args = parser.parse_args(
        ["cluster", "--shards", "3", "--budget", "1m", "--out", "x", "--seed", "40", "--batch", "4",
         "--no-backward", "--devices", "cpu", "--max-kernels", "9", "--cpus-per-shard", "2"]
    )  # fmt: skip
    fwd = forwarded_args(args)
    assert fwd == ["--seed", "40", "--batch", "4", "--devices", "cpu", "--no-backward", "--workers", "2"]
    assert "--max-kernels" not in fwd and "--budget" not in fwd  # set per shard by the cluster


def test_base_commands_do_not_import_ray() -> None:
    code = (
        "import sys, fuzz.cli; fuzz.cli.build_parser(); import fuzz.cluster.layout, fuzz.cluster.merge, "
        "fuzz.cluster.snapshot; print('ray' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.slow
def test_sharded_campaign_takes_its_share_and_refuses_another(tmp_path) -> None:
    out = str(tmp_path / "s1")
    common = ["--budget", "90s", "--seed", "20", "--max-kernels", "3", "--batch", "3", "--workers", "1",
              "--devices", "cpu", "--no-reduce", "--no-progress"]  # fmt: skip
    r = _fuzz("--shard", "1/4", "--out", out, *common)
    assert r.returncode == 0, r.stderr[-2000:]
    assert _seeds(out) == [21, 25, 29]
    with open(os.path.join(out, "summary.json")) as f:
        assert json.load(f)["shard"] == "1/4"
    r = _fuzz("--shard", "2/4", "--out", out, *common)
    assert r.returncode == 2 and "shard='1/4'" in r.stderr and "'2/4'" in r.stderr, r.stderr[-2000:]
    r = _fuzz("--out", out, *common)  # unsharded on a sharded store
    assert r.returncode == 2 and "shard=" in r.stderr
    assert _fuzz("--shard", "4/4", "--out", str(tmp_path / "s2"), *common).returncode == 2


# ---- a two-node Ray cluster on this machine ---------------------------------------------------

FIRST, SHARDS, PER_SHARD = 300, 2, 8


@pytest.fixture(scope="module")
def ray_cluster():
    """Two Ray nodes of one CPU each on this machine; yields the cluster's address."""
    if not HAS_RAY:
        pytest.skip("ray is not installed (pip install 'warpfuzz[ray]')")
    from ray.cluster_utils import Cluster

    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1, "include_dashboard": False})
    try:
        cluster.add_node(num_cpus=1)
        cluster.wait_for_nodes()
        yield cluster.address
    finally:
        cluster.shutdown()


def _run_and_kill(ray_cluster: str, out: str) -> tuple[int, list[int], str, subprocess.Popen]:
    """One cluster campaign into `out`; SIGKILL shard 0's Ray worker once it has checkpointed some
    but not all of its records. Returns (killed pid or 0, seeds checkpointed before, output, proc)."""
    cmd = [sys.executable, "-m", "fuzz", "cluster", "--address", ray_cluster, "--shards", str(SHARDS),
           "--budget", "4m", "--out", out, "--seed", str(FIRST), "--max-kernels", str(PER_SHARD),
           "--batch", "2", "--devices", "cpu", "--no-reduce", "--checkpoint-every", "1",
           "--no-progress"]  # fmt: skip
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    before: list[int] = []
    killed = 0
    t_end = time.monotonic() + 200
    while proc.poll() is None and time.monotonic() < t_end and not killed:
        time.sleep(0.3)
        try:
            with open(os.path.join(out, "progress.json")) as f:
                p = json.load(f)["shards"].get("0")
        except (OSError, ValueError):
            continue
        db = os.path.join(shard_dir(out, 0), "campaign.db")
        if p and p["state"] == "running" and p["checkpoints"] >= 1 and os.path.isfile(db):
            try:
                got = _seeds(shard_dir(out, 0))
            except sqlite3.Error:  # the folder is being swapped for a newer checkpoint
                continue
            if 2 <= len(got) < PER_SHARD:
                before = got
                os.kill(p["pid"], signal.SIGKILL)
                killed = p["pid"]
    text, _ = proc.communicate(timeout=300)
    return killed, before, text, proc


@pytest.fixture(scope="module")
def killed_cluster_run(ray_cluster, tmp_path_factory):
    """A cluster campaign on the two-node cluster; shard 0's Ray worker process is SIGKILLed once
    it has checkpointed some records. Yields (folder, summary, seeds checkpointed before the kill,
    driver output)."""
    # the kill must land between two checkpoints of shard 0; on a loaded machine a short shard can
    # finish between two polls, so a campaign where it did not land is run again (a new folder)
    for _attempt in range(3):
        out = str(tmp_path_factory.mktemp("cluster") / "c")
        killed, before, text, proc = _run_and_kill(ray_cluster, out)
        if killed:
            break
    assert killed, f"shard 0 was never seen mid-run with a checkpoint; driver output:\n{text[-3000:]}"
    assert proc.returncode == 0, text[-3000:]
    with open(os.path.join(out, "summary.json")) as f:
        summary = json.load(f)
    yield out, summary, before, text


@needs_ray
@pytest.mark.slow
def test_cluster_merged_store_no_duplicate_no_missing(killed_cluster_run) -> None:
    out, summary, _, _ = killed_cluster_run
    shards = cluster_shards(out)
    assert shards == [shard_dir(out, k) for k in range(SHARDS)]
    per_shard = {k: _seeds(d) for k, d in enumerate(shards)}
    assert partition_problems(FIRST, SHARDS, per_shard, PER_SHARD) == []
    assert summary["kernels"] == SHARDS * PER_SHARD == sum(len(v) for v in per_shard.values())
    assert summary["verified"] == sum(s["verified"] for s in summary["shards"])
    assert {s["shard"] for s in summary["shards"]} == {f"{k}/{SHARDS}" for k in range(SHARDS)}
    assert summary["failed_shards"] == {}


@needs_ray
@pytest.mark.slow
def test_cluster_killed_shard_rescheduled_nothing_lost(killed_cluster_run) -> None:
    out, summary, before, _ = killed_cluster_run
    assert summary["attempts"]["0"] >= 2, "the killed shard ran again"
    assert summary["attempts"]["1"] == 1
    final = _seeds(shard_dir(out, 0))
    assert set(before) <= set(final), "records checkpointed before the kill are kept"
    assert len(final) == PER_SHARD == len(set(final))
    with open(os.path.join(shard_dir(out, 0), "summary.json")) as f:
        s0 = json.load(f)
    assert s0["session"]["resumed_from_kernels"] >= len(before), "the second attempt resumed the store"
    assert s0["run_dir"] == os.path.abspath(shard_dir(out, 0))


def _records(export_dir: str) -> set[tuple[int, str, str]]:
    rows = set()
    for path in glob.glob(os.path.join(export_dir, "data", "*.jsonl")):
        with open(path) as f:
            for line in f:
                r = json.loads(line)
                rows.add((int(r["seed"]), r["pair_id"], r["python"]))
    return rows


@needs_ray
@pytest.mark.slow
def test_cluster_export_equals_union_of_shards(killed_cluster_run, tmp_path) -> None:
    out, summary, _, _ = killed_cluster_run
    r = _fuzz("export", out, "--out", str(tmp_path / "all"), "--format", "jsonl")
    assert r.returncode == 0, r.stderr[-2000:]
    union: set[tuple[int, str, str]] = set()
    for k in range(SHARDS):
        r = _fuzz("export", shard_dir(out, k), "--out", str(tmp_path / f"s{k}"), "--format", "jsonl")
        assert r.returncode == 0, r.stderr[-2000:]
        part = _records(str(tmp_path / f"s{k}"))
        assert part and all(Shard(k, SHARDS).owns(FIRST, s) for s, _, _ in part)
        union |= part
    merged = _records(str(tmp_path / "all"))
    assert merged == union
    assert len(merged) <= summary["verified"]


@needs_ray
@pytest.mark.slow
def test_cluster_folder_downstream(killed_cluster_run, tmp_path) -> None:
    from corpus.save import FAILURE_VERDICTS

    out, summary, _, _ = killed_cluster_run
    r = _fuzz("triage", out, "--json")
    assert r.returncode == 0, r.stderr[-2000:]
    groups = json.loads(r.stdout)["groups"]
    not_verified = summary["kernels"] - summary["verified"]
    want = sum(n for v, n in summary["verdicts"].items() if v in FAILURE_VERDICTS)
    assert sum(g["count"] for g in groups) == want <= not_verified
    r = _fuzz("report", out, "--out", str(tmp_path / "r.html"))
    assert r.returncode == 0 and f"{SHARDS} run(s)" in r.stdout, r.stderr[-2000:]
    # a copy of one shard with a seed of the other shard stored: the check must say no
    bad = str(tmp_path / "bad")
    shutil.copytree(out, bad)
    db = sqlite3.connect(os.path.join(shard_dir(bad, 0), "campaign.db"))
    with db:
        db.execute("UPDATE cases SET seed=? WHERE seed=?", (FIRST + 1, FIRST))
    db.close()
    per_shard = {k: _seeds(d) for k, d in enumerate(cluster_shards(bad))}
    assert partition_problems(FIRST, SHARDS, per_shard, PER_SHARD)


@needs_ray
@pytest.mark.slow
def test_cluster_storage_path(ray_cluster, tmp_path) -> None:
    out, storage = str(tmp_path / "c"), str(tmp_path / "shared")
    r = _fuzz("cluster", "--address", ray_cluster, "--shards", "2", "--budget", "2m", "--out", out,
              "--storage", storage, "--seed", "50", "--max-kernels", "2", "--batch", "2", "--devices", "cpu",
              "--no-reduce", "--no-progress")  # fmt: skip
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    for k in range(2):
        assert _seeds(shard_dir(storage, k)) == _seeds(shard_dir(out, k)) == [50 + k, 52 + k]
    with open(os.path.join(out, "summary.json")) as f:
        s = json.load(f)
    assert s["kernels"] == 4 and s["storage"] == storage and s["failed_shards"] == {}


@needs_ray
@pytest.mark.slow
def test_cluster_reports_a_failing_shard(ray_cluster, tmp_path) -> None:
    out = str(tmp_path / "c")
    r = _fuzz("cluster", "--address", ray_cluster, "--shards", "2", "--budget", "1m", "--out", out,
              "--batch", "0", "--devices", "cpu", "--no-progress")  # fmt: skip
    assert r.returncode == 1, r.stdout[-2000:] + r.stderr[-2000:]
    with open(os.path.join(out, "summary.json")) as f:
        s = json.load(f)
    assert set(s["failed_shards"]) == {"0", "1"} and s["kernels"] == 0
    assert all("--batch must be at least 1" in why for why in s["failed_shards"].values())
    assert s["attempts"] == {"0": 1, "1": 1}, "a campaign that fails by itself is not rerun"
    r = _fuzz("cluster", "--address", ray_cluster, "--shards", "1", "--budget", "1m", "--out",
              str(tmp_path / "g"), "--gpus-per-shard", "1", "--no-progress")  # fmt: skip
    assert r.returncode == 2 and "--gpus-per-shard 1: no node" in r.stderr, r.stderr[-2000:]


def test_cluster_usage_errors(tmp_path) -> None:
    from fuzz.cli import main

    base = ["cluster", "--shards", "2", "--budget", "1m", "--out", str(tmp_path / "c")]
    assert main([*base, "--storage", "s3://bucket/x"]) == 2
    assert main([*base, "--shard", "0/2"]) == 2
    assert main(["cluster", "--shards", "0", "--budget", "1m", "--out", str(tmp_path / "c")]) == 2
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "campaign.db").write_text("")
    assert main(["cluster", "--shards", "2", "--budget", "1m", "--out", str(plain)]) == 2
