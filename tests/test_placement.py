"""Every GPU of a host: `--devices` read against a (faked) CUDA device count, workers spread over
the GPUs, per-device counts in the store and the summary, and a 2-GPU campaign where two exist."""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from pathlib import Path

import pytest

from corpus.save import FAILURE_VERDICTS
from fuzz.accounting import count_by_device, device_counts, record_devices
from fuzz.engine.result import CaseResult
from fuzz.engine.signature import signature_of
from fuzz.engine.store import Store
from fuzz.engine.verdict import Stage, Verdict, Where
from fuzz.placement import (
    DeviceSpecError,
    assign_devices,
    cuda_names,
    default_workers,
    describe,
    parse_devices,
    workers_per_device,
)
from tests.support import faults

# ---------------------------------------------------------------- placement


@pytest.mark.parametrize("gpus", [1, 2, 3, 8])
@pytest.mark.parametrize("extra", [0, 1, 5, 13])
@pytest.mark.parametrize("cpu", [True, False])
def test_each_worker_gets_one_gpu_round_robin(gpus: int, extra: int, cpu: bool) -> None:
    devices = (("cpu",) if cpu else ()) + cuda_names(gpus)
    workers = gpus + extra
    plan = assign_devices(devices, workers)
    assert len(plan) == workers
    for i, devs in enumerate(plan):
        own = [d for d in devs if d.startswith("cuda")]
        assert own == [f"cuda:{i % gpus}"], (i, devs)
        assert ("cpu" in devs) == cpu
    per_gpu = [n for d, n in workers_per_device(plan).items() if d != "cpu"]
    assert len(per_gpu) == gpus and max(per_gpu) - min(per_gpu) <= 1, per_gpu
    assert sum(per_gpu) == workers
    if cpu:
        assert workers_per_device(plan)["cpu"] == workers


def test_placement_keeps_the_chosen_gpus_and_their_order() -> None:
    plan = assign_devices(("cuda:2", "cpu", "cuda:0"), 3)
    assert plan == (("cuda:2", "cpu"), ("cpu", "cuda:0"), ("cuda:2", "cpu"))
    assert describe(plan) == "3 worker(s): cuda:2 x2, cpu x3, cuda:0 x1"


def test_cpu_only_workers_all_run_the_cpu() -> None:
    assert assign_devices(("cpu",), 3) == (("cpu",), ("cpu",), ("cpu",))


@pytest.mark.parametrize("gpus,workers", [(2, 1), (3, 2), (8, 1), (8, 7)])
def test_fewer_workers_than_gpus_is_an_error_that_says_what_to_do(gpus: int, workers: int) -> None:
    devices = ("cpu", *cuda_names(gpus))
    with pytest.raises(DeviceSpecError) as e:
        assign_devices(devices, workers)
    msg = str(e.value)
    assert f"--workers {workers} is fewer than the {gpus} CUDA devices" in msg
    assert f"use --workers {gpus} or more" in msg
    # the suggested device list has as many GPUs as there are workers, and it places
    suggested = msg.rsplit("--devices ", 1)[1].rstrip(")")
    assert assign_devices(tuple(suggested.split(",")), workers)


def test_zero_workers_is_an_error() -> None:
    with pytest.raises(DeviceSpecError, match="at least 1"):
        assign_devices(("cpu",), 0)


@pytest.mark.parametrize(
    "cores,gpus,want", [(16, 0, 16), (16, 2, 16), (16, 3, 15), (2, 8, 8), (1, 1, 1), (0, 0, 1), (9, 8, 8)]
)
def test_default_workers(cores: int, gpus: int, want: int) -> None:
    assert default_workers(cores, gpus) == want
    if gpus:  # the default always places, each GPU with the same number of workers
        per_gpu = set(workers_per_device(assign_devices(cuda_names(gpus), want)).values())
        assert len(per_gpu) == 1


# ---------------------------------------------------------------- --devices parsing


@pytest.mark.parametrize(
    "count,want",
    [(0, ("cpu",)), (1, ("cpu", "cuda:0")), (2, ("cpu", "cuda:0", "cuda:1"))],
)
def test_auto_means_the_cpu_and_every_gpu(count: int, want: tuple[str, ...]) -> None:
    assert parse_devices("auto", count) == want
    assert parse_devices("auto", count, every_gpu=False) == want[:2]


def test_cuda_means_every_gpu_and_a_list_picks_some() -> None:
    assert parse_devices("cuda", 3) == ("cuda:0", "cuda:1", "cuda:2")
    assert parse_devices("cpu,cuda", 2) == ("cpu", "cuda:0", "cuda:1")
    assert parse_devices("cuda", 3, every_gpu=False) == ("cuda:0",)
    assert parse_devices("cuda:0,cuda:2", 3) == ("cuda:0", "cuda:2")
    assert parse_devices(" cpu , cuda:2,cuda:2,cpu ", 3) == ("cpu", "cuda:2")
    assert parse_devices("cuda:1,cuda", 2) == ("cuda:1", "cuda:0")
    assert parse_devices("cpu", 0) == ("cpu",)


@pytest.mark.parametrize(
    "text,count,needle",
    [
        ("cuda", 0, "no CUDA device is available here"),
        ("cpu,cuda", 0, "use --devices cpu"),
        ("cuda:0", 0, "cuda:0 does not exist, this host has no CUDA device"),
        ("cuda:2", 2, "cuda:2 does not exist, this host has 2 CUDA device(s) (cuda:0, cuda:1)"),
        ("cpu,cuda:8", 8, "cuda:8 does not exist"),
        ("cuda:-1", 2, "unknown device 'cuda:-1'"),
        ("cuda:x", 2, "unknown device 'cuda:x'"),
        ("gpu", 2, "unknown device 'gpu'"),
        ("", 2, "name at least one device"),
        (",", 2, "name at least one device"),
    ],
)
def test_bad_device_lists_are_clear_errors(text: str, count: int, needle: str) -> None:
    with pytest.raises(DeviceSpecError) as e:
        parse_devices(text, count)
    assert needle in str(e.value)


def test_resolve_devices_asks_warp_here() -> None:
    """The thin wrapper over `wp.get_cuda_device_count()`: on this host, whatever it has."""
    import warp as wp

    from fuzz.cliutil import UsageError, cuda_device_count, resolve_devices

    n = cuda_device_count()
    assert n == (wp.get_cuda_device_count() if wp.is_cuda_available() else 0)
    assert resolve_devices("auto", every_gpu=True) == ("cpu", *cuda_names(n))
    with pytest.raises(UsageError, match=f"cuda:{n} does not exist"):
        resolve_devices(f"cuda:{n}")


def test_run_refuses_devices_it_cannot_place(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from fuzz.cli import main
    from fuzz.cliutil import cuda_device_count

    n = cuda_device_count()
    base = ["run", "--budget", "5s", "--out", str(tmp_path / "run"), "--no-progress"]
    assert main([*base, "--devices", f"cpu,cuda:{n}"]) == 2
    assert f"cuda:{n} does not exist" in capsys.readouterr().err
    assert main([*base, "--devices", "cpu,tpu"]) == 2
    assert "unknown device 'tpu'" in capsys.readouterr().err
    if n == 0:
        assert main([*base, "--devices", "cuda"]) == 2
        assert "no CUDA device is available here" in capsys.readouterr().err
    if n >= 2:
        assert main([*base, "--devices", "cuda", "--workers", "1"]) == 2
        assert f"--workers 1 is fewer than the {n} CUDA devices" in capsys.readouterr().err
    assert not (tmp_path / "run" / "campaign.db").exists()


# ---------------------------------------------------------------- results per device


def _result(seed: int, verdict: Verdict, where: Where | Stage = Stage.NONE, message: str = "") -> CaseResult:
    return CaseResult.without_case(seed, verdict, where, message)


def test_per_device_counts_from_recorded_results(tmp_path: Path) -> None:
    store = Store(str(tmp_path))
    try:
        batches = [
            (("cpu", "cuda:0"), [(1, Verdict.VERIFIED), (2, Verdict.MISMATCH), (3, Verdict.INCONCLUSIVE)]),
            (("cpu", "cuda:1"), [(4, Verdict.VERIFIED), (5, Verdict.CRASH)]),
            (("cpu", "cuda:1"), [(6, Verdict.COMPILE_ERROR), (7, Verdict.VERIFIED)]),
        ]
        for worker, (devices, cases) in enumerate(batches):
            results = [_result(s, v) for s, v in cases]
            record_devices(store, [r.seed for r in results], devices, worker)
            store.add_results(results, session=1)
        # a batch killed after its devices were recorded but before its cases: nothing counts it
        record_devices(store, [8, 9], ("cpu", "cuda:0"), 0)
        counts = {c.device: (c.kernels, c.failures) for c in device_counts(store)}
        assert list(counts) == ["cpu", "cuda:0", "cuda:1"]
        assert counts == {"cpu": (7, 3), "cuda:0": (3, 1), "cuda:1": (4, 2)}
        with sqlite3.connect(tmp_path / "campaign.db") as db:
            assert dict(db.execute("SELECT seed, worker FROM case_devices WHERE seed IN (4, 5)")) == {
                4: 1,
                5: 1,
            }
    finally:
        store.close()
    rows = [("cuda:10+cpu", "verified", 1), ("cuda:2+cpu", "mismatch", 2), ("cpu+cuda:2", "inconclusive", 4)]
    assert [(c.device, c.kernels, c.failures) for c in count_by_device(rows)] == [
        ("cpu", 7, 2),
        ("cuda:2", 6, 2),
        ("cuda:10", 1, 0),
    ]


def test_the_same_failure_on_two_gpus_has_one_signature() -> None:
    err = "RuntimeError: Warp CUDA error 700: an illegal memory access was encountered"
    a = _result(1, Verdict.LAUNCH_ERROR, Where(Stage.LAUNCH, "cuda:0"), err)
    b = _result(2, Verdict.LAUNCH_ERROR, Where(Stage.LAUNCH, "cuda:1"), err)
    c = _result(3, Verdict.LAUNCH_ERROR, Where(Stage.LAUNCH, "cpu"), err)
    assert b.stage == "launch:cuda:1" and b.device == "cuda:1"  # the store still says which GPU
    assert signature_of(a).key() == signature_of(b).key()
    assert signature_of(a).key() != signature_of(c).key()  # a CPU launch error is another failure
    mism = []
    for seed, dev in ((4, "cuda:0"), (5, "cuda:1"), (6, "cpu")):
        r = _result(seed, Verdict.MISMATCH, Stage.JUDGE)
        r.checks = [
            {
                "device": f"cpu~{dev}" if dev != "cpu" else "cpu",
                "passed": False,
                "arrays": [
                    {"name": "out", "passed": False, "dtype": "float32", "observed": "1.0", "expected": "2.0"}
                ],
            }
        ]
        mism.append(signature_of(r).key())
    assert mism[0] == mism[1] != mism[2]


# ---------------------------------------------------------------- a CPU campaign


@pytest.mark.slow
def test_cpu_campaign_counts_every_case_on_the_cpu(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from fuzz.campaign import Campaign, CampaignConfig
    from fuzz.engine.settings import WorkerSettings
    from fuzz.progress import print_summary

    run = tmp_path / "run"
    settings = WorkerSettings(
        run_dir=str(run),
        enable_backward=False,
        gen_config={"weights": {"elementwise": 1.0, "unary": 1.0}},
        worker_plugins=faults.plugins(crash=(3002,)),
    )
    cfg = CampaignConfig(
        run_dir=str(run), budget_s=600, seed=3000, workers=2, batch=4, settings=settings,
        max_kernels=8, reduce_share=0.0, save_corpus=False,
    )  # fmt: skip
    s = Campaign(cfg).run()
    assert s["kernels"] == 8 and s["verdicts"].get("crash") == 1, s["verdicts"]
    failures = sum(n for v, n in s["verdicts"].items() if v in FAILURE_VERDICTS)
    assert s["per_device"] == {
        "cpu": {"kernels": 8, "failures": failures, "kernels_per_s": s["per_device"]["cpu"]["kernels_per_s"]}
    }
    assert s["per_device"]["cpu"]["kernels_per_s"] > 0
    assert s["session"]["per_device"]["cpu"]["kernels"] == 8
    assert s["session"]["per_device"]["cpu"]["failures"] == failures
    assert s["session"]["workers_per_device"] == {"cpu": 2}
    with sqlite3.connect(run / "campaign.db") as db:
        rows = dict(db.execute("SELECT seed, devices FROM case_devices"))
    assert rows == {seed: "cpu" for seed in range(3000, 3008)}
    print_summary(json.loads((run / "summary.json").read_text()))
    out = capsys.readouterr().out
    assert f"8 kernels ({s['per_device']['cpu']['kernels_per_s']}/s), {failures} failures" in out


# ---------------------------------------------------------------- two GPUs


def _cuda_count() -> int:
    from fuzz.cliutil import cuda_device_count

    return cuda_device_count()


@pytest.mark.cuda
@pytest.mark.multigpu
@pytest.mark.skipif(_cuda_count() < 2, reason=f"needs two CUDA devices, found {_cuda_count()}")
def test_two_gpu_campaign_gives_both_gpus_work_and_survives_a_fault_on_one(tmp_path: Path) -> None:
    """Both GPUs get work, every case's launches are on its worker's GPU, and a planted CUDA
    fault replaces only the worker that hit it (on the same GPU) while the campaign goes on."""
    from fuzz.campaign import Campaign, CampaignConfig
    from fuzz.engine.settings import WorkerSettings

    run = tmp_path / "run"
    fault_seed = 2005  # reaches its CUDA launch (tests/test_cuda.py plants the same fault there)
    settings = WorkerSettings(
        run_dir=str(run),
        devices=("cpu", "cuda:0", "cuda:1"),
        worker_plugins=faults.plugins(cuda_fault=(fault_seed,)),
    )
    cfg = CampaignConfig(
        run_dir=str(run), budget_s=300, seed=2000, workers=2, batch=4, settings=settings,
        max_kernels=48, reduce_share=0.0, save_corpus=False,
    )  # fmt: skip
    s = Campaign(cfg).run()
    assert s["kernels"] == 48, s
    per = s["per_device"]
    assert per["cuda:0"]["kernels"] > 0 and per["cuda:1"]["kernels"] > 0, per
    assert per["cuda:0"]["kernels"] + per["cuda:1"]["kernels"] == per["cpu"]["kernels"] == 48
    assert s["session"]["workers_per_device"] == {"cpu": 2, "cuda:0": 1, "cuda:1": 1}
    assert s["session"]["worker_restarts"] >= 1
    with sqlite3.connect(run / "campaign.db") as db:
        placed = dict(db.execute("SELECT seed, devices FROM case_devices"))
        cases = db.execute("SELECT seed, verdict, checks_json FROM cases").fetchall()
    verdicts = {seed: v for seed, v, _ in cases}
    assert verdicts[fault_seed] == "crash", verdicts
    faulted_gpu = placed[fault_seed].split("+")[1]
    launched: Counter[str] = Counter()
    for seed, verdict, checks in cases:
        gpus = {d for c in json.loads(checks or "[]") for d in c["device"].split("~") if d.startswith("cuda")}
        if verdict == "verified":
            # launched on its worker's GPU only, the replaced worker's cases included
            assert gpus == {placed[seed].split("+")[1]}, (seed, placed[seed], gpus)
            launched.update(gpus)
    other = "cuda:1" if faulted_gpu == "cuda:0" else "cuda:0"
    assert launched[other] > 0 and launched[faulted_gpu] > 0, launched
