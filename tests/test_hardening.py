"""Hardening: one writer per run folder, corpus folders as data (integrity hashes, the kernel
allow-list, no code chosen by meta.json), storage faults, killed and interrupted sessions, the
CPU half of a multi-device failure, help texts, and a dataset card `datasets` loads cleanly.

Everything runs real Warp on CPU; folders come from real checks (a deliberately wrong oracle
makes the mismatch), and each check is shown to say no where that is possible.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pytest
from corpus_folders import repro as _repro
from corpus_folders import restamp as _restamp

from corpus import entry as E
from fuzz.cli import main

# project modules added with these checks are imported inside the tests, so each test fails on
# its own (not at collection) where the behaviour is missing
DAMAGED_EXIT = 3  # replay / reduce / bisect / repro.py for a damaged or refused folder (docs/corpus.md)

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "corpus" / "seeds"
WRONG = "tests.support.wrong_oracles:wrong_sin"
CAMPAIGN = ["--devices", "cpu", "--workers", "1", "--batch", "4", "--no-reduce", "--no-progress"]


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT)}


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A corpus folder of a real mismatch (under a wrong wp.sin oracle), saved as a campaign does."""
    from corpus.candidates import CandidateRunner
    from corpus.save import save_failures
    from fuzz.engine.settings import WorkerSettings
    from grammar.case import KernelCase, ParamSpec

    tmp = tmp_path_factory.mktemp("saved")
    src = "@wp.kernel\ndef k_5(a1: wp.array(dtype=wp.float32), out2: wp.array(dtype=wp.float32)):\n"
    src += "    i = wp.tid()\n    out2[i] = wp.sin(a1[i]) + 1.0\n"
    params = (
        ParamSpec("a1", "array", "float32", (4,), "in", -1.0, 1.0),
        ParamSpec("out2", "array", "float32", (4,), "out"),
    )
    case = KernelCase("k_5", src, "unary", 5, "test", params, (4,))
    settings = WorkerSettings(run_dir=str(tmp), enable_backward=False, registry_factory=WRONG)
    (result,) = CandidateRunner(settings, str(tmp / "w"), tag="h").run_candidates([case])
    assert result.verdict == "mismatch", result.message
    (folder,) = save_failures(str(tmp), [result], settings=settings)
    return Path(folder)


def _copy(saved: Path, tmp_path: Path, name: str = "copy") -> Path:
    dest = tmp_path / name
    shutil.copytree(saved, dest)
    return dest


# ---- corpus folders are data ----------------------------------------------------------------


def test_allow_list_accepts_generated_kernels_and_names_the_line_it_refuses() -> None:
    import grammar
    from corpus.folder_check import DAMAGED_EXIT as EXIT
    from corpus.folder_check import source_problems

    assert EXIT == DAMAGED_EXIT

    for seed in range(300):
        case = grammar.generate(seed)
        assert source_problems(case.module_source(), "k.py") == [], seed
    for src, what in (
        ("import os\n", "import of 'os'"),
        ("import warp as wp\nopen('x', 'w')\n", "k.py:2: Expr statement"),
        ("import warp as wp\n@wp.kernel\ndef k(a: open('x')):\n    pass\n", "k.py:3: call of 'open'"),
        ("import warp as wp\n@wp.kernel\ndef k():\n    x = wp.static(print(1))\n", "call of 'wp.static'"),
        ("import warp as wp\nX = wp.constant(wp.__dict__)\n", "'__dict__'"),
        ("import warp as wp\n@wp.kernel(module=print)\ndef k():\n    pass\n", "decorator argument"),
        ("from os import system\n", "from ... import"),
    ):
        problems = source_problems(src, "k.py")
        assert problems and what in problems[0], (src, problems)
    assert source_problems("import warp as wp\nC = wp.constant(wp.float32(1.5))\n", "k.py") == []


def test_meta_json_never_chooses_code_to_import(
    saved: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from corpus.reduce import settings_for

    folder = _copy(saved, tmp_path)
    meta = json.loads((folder / E.META).read_text())
    meta["registry_factory"] = meta["oracle_registry"] = "this:s"  # `import this` prints the Zen
    (folder / E.META).write_text(json.dumps(meta))
    sys.modules.pop("this", None)
    assert settings_for(meta).registry_factory is None
    # under the installed (right) oracle the planted mismatch is gone: reduce says so, replay says fixed
    assert main(["reduce", str(folder), "--budget", "30s"]) == 1
    assert main(["replay", str(folder)]) == 0
    out = capsys.readouterr()
    assert "this" not in sys.modules and "Beautiful is better" not in out.out + out.err
    assert "fixed" in out.out and "does not reproduce" in out.err
    # the command line still chooses: under the wrong oracle it is still failing
    assert main(["replay", str(folder), "--oracle-registry", WRONG]) == 1


def test_a_source_that_writes_a_file_is_refused_and_nothing_runs(
    saved: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = _copy(saved, tmp_path)
    mark = tmp_path / "pwned"
    line = f"open({str(mark)!r}, 'w').close()\n"
    case = json.loads((folder / E.CASE).read_text())
    case["source"] = line + case["source"]
    (folder / E.CASE).write_text(json.dumps(case))
    kernel = folder / E.KERNEL
    kernel.write_text(kernel.read_text().replace("import warp as wp\n", "import warp as wp\n" + line, 1))
    _restamp(folder)  # whoever planted it also fixed the hashes: the allow-list is what stops it
    assert main(["replay", str(folder)]) == DAMAGED_EXIT
    out = capsys.readouterr().out
    assert "refused" in out and "case.json:3: Expr statement" in out, out
    assert main(["reduce", str(folder), "--budget", "30s"]) == DAMAGED_EXIT
    p = _repro(folder)
    assert p.returncode == DAMAGED_EXIT and "kernel.py:3" in p.stdout, p.stdout + p.stderr
    assert not mark.exists()


def test_truncated_inputs_are_damage_for_replay_and_repro(
    saved: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = _copy(saved, tmp_path)
    assert _repro(folder).returncode == 1  # intact: the planted mismatch is there
    inputs = folder / E.INPUTS
    inputs.write_bytes(inputs.read_bytes()[: inputs.stat().st_size // 2])
    assert main(["replay", str(folder)]) == DAMAGED_EXIT
    out = capsys.readouterr().out
    assert re.search(r"^damaged\s+seed 5 ", out, re.M) and "inputs.npz: sha256 differs" in out, out
    p = _repro(folder)
    assert p.returncode == DAMAGED_EXIT and "inputs.npz" in p.stdout, p.stdout + p.stderr
    # bisect refuses it before installing any release
    assert main(["bisect", str(folder), "--versions", "1.19.0"]) == DAMAGED_EXIT
    assert "inputs.npz: sha256 differs" in capsys.readouterr().err
    # a folder written before hashes: its .npz archives are still checked
    meta = json.loads((folder / E.META).read_text())
    del meta["sha256"]
    (folder / E.META).write_text(json.dumps(meta))
    assert main(["replay", str(folder)]) == DAMAGED_EXIT
    assert "not a readable .npz archive" in capsys.readouterr().out


def test_committed_seeds_carry_hashes_and_the_current_repro_template() -> None:
    from corpus.repro_script import REPRO_TEMPLATE_VERSION
    from corpus.save import repro_text

    folders = sorted(p.parent for p in SEEDS.rglob(E.META))
    assert folders
    for folder in folders:
        ent = E.load_entry(str(folder))
        assert ent.usable and not ent.note, (folder, ent.problem(), ent.note)
        text = (folder / E.REPRO).read_text()
        assert f'REPRO_TEMPLATE_VERSION = "{REPRO_TEMPLATE_VERSION}"' in text
        cfg = re.search(r"^CONFIG: dict\[str, Any\] = json\.loads\((.*)\)$", text, re.M)
        assert cfg is not None, folder
        assert text == repro_text(json.loads(json.loads(cfg.group(1)))), f"{folder}: regenerate repro.py"


def test_cpu_half_of_a_cpu_and_cuda_failure_replays_on_cpu(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A gradient mismatch recorded on a GPU machine on both devices (Warp 1.19 still drops
    frac's adjoint): on this CPU-only machine replay checks the CPU half and names the rest."""
    folder = tmp_path / "frac"
    shutil.copytree(SEEDS / "frac-missing-adjoint", folder)
    meta = json.loads((folder / E.META).read_text())
    meta["signature"]["devices"] = "cpu~fd+cuda~fd"
    meta["devices"] = ["cpu", "cuda:0"]
    (folder / E.META).write_text(json.dumps(meta))
    import warp as wp

    if wp.is_cuda_available():
        pytest.skip("this machine has CUDA: the whole signature replays")
    assert main(["replay", str(folder)]) == 1
    out = capsys.readouterr().out
    assert "still failing" in out and "not reproducible here: cuda~fd" in out, out


@pytest.mark.slow
def test_cpu_half_of_a_cpu_and_cuda_failure_reduces_on_cpu(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "frac"
    shutil.copytree(SEEDS / "frac-missing-adjoint", folder)
    meta = json.loads((folder / E.META).read_text())
    meta["signature"]["devices"] = "cpu~fd+cuda~fd"
    meta["devices"] = ["cpu", "cuda:0"]
    meta["reduced_from"] = None  # as the original folder the campaign saved
    (folder / E.META).write_text(json.dumps(meta))
    import warp as wp

    if wp.is_cuda_available():
        pytest.skip("this machine has CUDA: the whole signature reduces")
    assert main(["reduce", str(folder), "--budget", "90s"]) == 0
    out = capsys.readouterr().out
    assert "reducing the cpu~fd part of cpu~fd+cuda~fd" in out, out
    reduced = json.loads((folder / E.REDUCED / E.META).read_text())
    assert reduced["signature"]["devices"] == "cpu~fd" and reduced["verdict"] == "gradient_mismatch"


# ---- one writer per run folder -----------------------------------------------------------------


def _holder(run: Path) -> subprocess.Popen[str]:
    code = (
        "import sys, time\nfrom fuzz.runlock import run_lock\n"
        f"with run_lock({str(run)!r}, 'run'):\n    print('held', flush=True)\n    time.sleep(600)\n"
    )
    p = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env=_env())
    assert p.stdout is not None and p.stdout.readline().strip() == "held"
    return p


def test_lock_names_its_holder_and_dies_with_it(tmp_path: Path) -> None:
    from fuzz.runlock import RunLocked, check_unlocked, run_lock

    run = tmp_path / "run"
    run.mkdir()
    p = _holder(run)
    try:
        held = rf"in use by pid {p.pid} \(python -m fuzz run, started 20"
        with pytest.raises(RunLocked, match=held), run_lock(str(run), "run"):
            pass
        with pytest.raises(RunLocked):
            check_unlocked(str(run))
    finally:
        p.kill()  # kill -9: no cleanup runs, the OS drops the lock
        p.wait()
    with run_lock(str(run), "run"):
        pass
    check_unlocked(str(run))


def test_export_and_reduce_into_a_held_run_folder_are_refused(
    saved: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = tmp_path / "run"
    (run / "corpus").mkdir(parents=True)
    sqlite3.connect(run / "campaign.db").close()
    shutil.copytree(saved, run / "corpus" / saved.name)
    p = _holder(run)
    try:
        assert main(["reduce", str(run / "corpus" / saved.name), "--budget", "30s"]) == 2
        assert f"pid {p.pid}" in capsys.readouterr().err
        assert main(["export", str(saved.parent), "--out", str(run), "--format", "jsonl"]) == 2
        assert f"pid {p.pid}" in capsys.readouterr().err
    finally:
        p.kill()
        p.wait()
    assert not (run / "corpus" / saved.name / E.REDUCED).exists()


@pytest.mark.slow
def test_second_campaign_on_one_folder_is_refused_and_the_first_is_unaffected(tmp_path: Path) -> None:
    run = tmp_path / "run"
    cmd = [sys.executable, "-m", "fuzz", "run", "--budget", "2m", "--max-kernels", "32", *CAMPAIGN]
    first = subprocess.Popen(
        [*cmd, "--out", str(run)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env()
    )
    _wait_for_cases(run, 1, first)  # its session has begun (and it holds the lock)
    assert first.poll() is None, "the first campaign ended before the second could start"
    second = subprocess.run(
        [*cmd, "--out", str(run)], capture_output=True, text=True, env=_env(), timeout=300
    )
    still_running = first.poll() is None
    out, err = first.communicate(timeout=300)
    assert second.returncode == 2, second.stderr
    assert f"in use by pid {first.pid}" in second.stderr and "Traceback" not in second.stderr
    assert still_running, "the refusal was not tested against a running campaign"
    assert first.returncode == 0, err
    summary = json.loads((run / "summary.json").read_text())
    assert summary["kernels"] == 32 and summary["session"]["kernels"] == 32
    db = sqlite3.connect(run / "campaign.db")
    assert db.execute("SELECT COUNT(*), SUM(kernels) FROM sessions").fetchone() == (1, 32)


# ---- faults and resources ------------------------------------------------------------------------


def test_out_that_is_a_file_and_negative_budget_give_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    f = tmp_path / "afile"
    f.write_text("x")
    for argv in (
        ["run", "--budget", "1m", "--out", str(f)],
        ["generate", "--out", str(f)],
        ["export", str(tmp_path), "--out", str(f), "--format", "jsonl"],
    ):
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and str(f) in err and "not a folder" in err, (argv, err)
    assert main(["run", "--budget", "-5m", "--out", str(tmp_path / "r")]) == 2
    assert "cannot be negative" in capsys.readouterr().err
    assert main(["replay", str(tmp_path / "missing")]) == 2
    assert "no such file or directory" in capsys.readouterr().err


def _mount_tmpfs(where: Path, options: str) -> None:
    where.mkdir(parents=True, exist_ok=True)
    p = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)], capture_output=True, text=True
    )
    if p.returncode != 0:
        pytest.skip(
            f"cannot mount a tmpfs here ({p.stderr.strip() or p.returncode}); needs root in a mount namespace"
        )


@pytest.mark.slow
def test_disk_full_is_one_line_and_a_resume_loses_nothing(tmp_path: Path) -> None:
    mnt = tmp_path / "small"
    _mount_tmpfs(mnt, "size=1m")
    try:
        run = mnt / "run"
        cmd = [sys.executable, "-m", "fuzz", "run", "--budget", "2m", *CAMPAIGN, "--out", str(run)]
        p = subprocess.run(
            [*cmd, "--max-kernels", "80"], capture_output=True, text=True, env=_env(), timeout=300
        )
        assert p.returncode == 2, p.stderr[-3000:]
        errors = [ln for ln in p.stderr.splitlines() if ln.startswith("error:")]
        assert len(errors) == 1 and "Traceback" not in p.stderr, p.stderr[-3000:]
        assert (
            str(run) in errors[0]
            and "disk is full" in errors[0]
            and "rerun the same command to resume" in errors[0]
        )
        db = sqlite3.connect(run / "campaign.db")
        before = {r[0]: r[1] for r in db.execute("SELECT seed, verdict FROM cases")}
        db.close()
        assert before, "nothing was stored before the disk filled"
        subprocess.run(["mount", "-o", "remount,size=16m", str(mnt)], check=True)
        p = subprocess.run(
            [*cmd, "--max-kernels", "8"], capture_output=True, text=True, env=_env(), timeout=300
        )
        assert p.returncode == 0, p.stderr[-3000:]
        assert "resuming the campaign" in p.stderr and f"resumed: {len(before)} kernels" in p.stderr
        db = sqlite3.connect(run / "campaign.db")
        after = {r[0]: r[1] for r in db.execute("SELECT seed, verdict FROM cases")}
        open_sessions = db.execute("SELECT COUNT(*) FROM sessions WHERE ended IS NULL").fetchone()[0]
        db.close()
        assert all(after.get(s) == v for s, v in before.items()) and len(after) == len(before) + 8
        assert open_sessions == 0
    finally:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


def test_read_only_folder_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    mnt = tmp_path / "ro"
    _mount_tmpfs(mnt, "size=1m,ro")
    try:
        assert main(["run", "--budget", "1m", *CAMPAIGN, "--out", str(mnt / "run")]) == 2
        err = capsys.readouterr().err
        assert "error: " + str(mnt / "run") + ": the folder is read-only" in err and "Traceback" not in err
    finally:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


def _wait_for_cases(run: Path, n: int, proc: subprocess.Popen[str], timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        if (run / "campaign.db").exists():
            try:
                with sqlite3.connect(run / "campaign.db", timeout=5) as db:
                    if db.execute("SELECT COUNT(*) FROM cases").fetchone()[0] >= n:
                        return
            except sqlite3.OperationalError:
                pass
        time.sleep(0.3)
    raise AssertionError(f"{run}: fewer than {n} cases stored in time")


@pytest.mark.slow
def test_killed_session_is_closed_and_its_worker_files_removed_on_the_next_start(tmp_path: Path) -> None:
    from fuzz.campaign import Campaign, CampaignConfig
    from fuzz.engine.settings import WorkerSettings

    run = tmp_path / "run"
    cmd = [sys.executable, "-m", "fuzz", "run", "--budget", "2m", "--max-kernels", "400", *CAMPAIGN]
    proc = subprocess.Popen(
        [*cmd, "--out", str(run)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True,
        env=_env(), start_new_session=True,
    )  # fmt: skip
    try:
        _wait_for_cases(run, 8, proc)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the campaign and its workers
        proc.wait()
    # what a worker killed mid-batch leaves: its batch module and that module's kernel cache
    stale = [
        run / "work" / "w0" / "wf_w0_999999_7.py",
        run / "work" / "w0" / "kernel-cache" / "wf_w0_999999_7_x",
    ]
    stale[0].write_text("import warp as wp\n")
    stale[1].mkdir(parents=True)
    db = sqlite3.connect(run / "campaign.db")
    stored = db.execute("SELECT COUNT(*) FROM cases WHERE session=1").fetchone()[0]
    assert stored >= 8 and db.execute("SELECT ended FROM sessions WHERE id=1").fetchone() == (None,)
    db.close()
    cfg = CampaignConfig(
        run_dir=str(run), budget_s=120, workers=1, batch=4, max_kernels=4, reduce_share=0.0,
        settings=WorkerSettings(run_dir=str(run), devices=("cpu",)),
    )  # fmt: skip
    summary = Campaign(cfg).run()
    assert summary["session"]["closed_stale_sessions"] == [{"session": 1, "kernels": stored}]
    db = sqlite3.connect(run / "campaign.db")
    ended, kernels, elapsed, started = db.execute(
        "SELECT ended, kernels, elapsed_s, started FROM sessions WHERE id=1"
    ).fetchone()
    last = db.execute("SELECT MAX(created) FROM cases WHERE session=1").fetchone()[0]
    total = db.execute("SELECT SUM(elapsed_s) FROM sessions").fetchone()[0]
    db.close()
    assert ended is not None and kernels == stored and elapsed >= last - started - 1e-6
    assert summary["verified_per_s"] == round(summary["verified"] / total, 4)
    assert not any(p.exists() for p in stale)


@pytest.mark.slow
def test_ctrl_c_exits_130_and_marks_the_summary_interrupted(tmp_path: Path) -> None:
    run = tmp_path / "run"
    cmd = [sys.executable, "-m", "fuzz", "run", "--budget", "2m", "--max-kernels", "400", *CAMPAIGN]
    proc = subprocess.Popen(
        [*cmd, "--out", str(run)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env()
    )
    _wait_for_cases(run, 4, proc)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err[-3000:]
    summary = json.loads((run / "summary.json").read_text())
    assert summary["interrupted"] == "SIGINT" and summary["session"]["interrupted"] is True
    assert "INTERRUPTED" in out and "rerun the same command to resume" in err
    assert summary["kernels"] < 400


def test_repro_and_reduce_leave_no_temporary_folders(
    saved: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tempfile

    from corpus.reduce import sweep_stale_work_dirs

    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["TMPDIR"] = str(tmp)
    p = subprocess.run(
        [sys.executable, "repro.py"], cwd=saved, capture_output=True, text=True, env=env, timeout=300
    )
    assert p.returncode == 1, p.stdout + p.stderr
    assert os.listdir(tmp) == []
    # a reduction killed in native code leaves its folder; the next one removes it (its pid is gone)
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    left = tmp / f"warpfuzz-reduce-{int(dead.stdout)}-abc"
    mine = tmp / f"warpfuzz-reduce-{os.getpid()}-abc"
    left.mkdir()
    mine.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    assert sweep_stale_work_dirs() == [left.name]
    assert not left.exists() and mine.exists()


# ---- CLI and card ---------------------------------------------------------------------------------


def test_every_option_has_help_that_shows_its_default() -> None:
    import argparse

    from fuzz.cli import build_parser

    parser, _ = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    checked = 0
    for name, sp in sub.choices.items():
        text = " ".join(sp.format_help().split())
        for a in sp._actions:
            if isinstance(a, argparse._HelpAction):
                continue
            assert a.help, f"{name} {a.option_strings or a.dest}: no help text"
            if a.option_strings and a.default is not None and a.default is not False:
                h = sp.formatter_class(prog="x")._get_help_string(a)  # type: ignore[attr-defined]
                assert "default" in h, f"{name} {a.option_strings}: default {a.default!r} not shown"
                checked += 1
        assert "(default: 16)" in text or name not in ("run", "bench")
    assert checked > 30


def test_reduce_says_when_there_was_nothing_to_remove(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """One statement that fails under the wrong oracle: nothing can go."""
    from corpus.candidates import CandidateRunner
    from corpus.save import save_failures
    from fuzz.engine.settings import WorkerSettings
    from grammar.case import KernelCase, ParamSpec

    src = "@wp.kernel\ndef k_6(out1: wp.array(dtype=wp.float32)):\n    i = wp.tid()\n    out1[i] = wp.sin(1.0)\n"
    case = KernelCase(
        "k_6", src, "unary", 6, "test", (ParamSpec("out1", "array", "float32", (1,), "out"),), (1,)
    )
    settings = WorkerSettings(run_dir=str(tmp_path), enable_backward=False, registry_factory=WRONG)
    (result,) = CandidateRunner(settings, str(tmp_path / "w"), tag="n").run_candidates([case])
    (folder,) = save_failures(str(tmp_path), [result], settings=settings)
    assert main(["reduce", folder, "--budget", "60s", "--oracle-registry", WRONG]) == 0
    assert "nothing to remove" in capsys.readouterr().out
    # a reduced folder (the committed seeds are) is said to be one, not passed over in silence
    assert main(["reduce", str(SEEDS / "ternary-int-condition")]) == 0
    assert "already a reduced case" in capsys.readouterr().out


def test_datasets_loads_a_small_export_without_warnings(tmp_path: Path) -> None:
    datasets = pytest.importorskip("datasets", reason="needs `datasets` (pip install 'warpfuzz[test]')")
    pytest.importorskip("pyarrow")
    import warp as wp

    from fuzz.engine.runner import BatchRunner
    from fuzz.engine.settings import WorkerSettings
    from fuzz.engine.store import Store
    from fuzz.export import ExportOptions, export_dataset
    from grammar.case import KernelCase, ParamSpec

    params = (
        ParamSpec("a", "array", "float32", (8,), "in", -2.0, 2.0),
        ParamSpec("out", "array", "float32", (8,), "out"),
    )
    bodies = [
        "out[i] = a[i] * 2.0",
        "out[i] = wp.abs(a[i]) + 1.0",
        "out[i] = wp.min(a[i], 0.5)",
        "out[i] = a[i] - 3.0",
    ]
    cases = [
        KernelCase(f"k_{s}", f"@wp.kernel\ndef k_{s}(a: wp.array(dtype=wp.float32), out: wp.array(dtype=wp.float32)):\n"
                   f"    i = wp.tid()\n    {b}\n", "elementwise", s, "test", params, (8,), ())
        for s, b in enumerate(bodies, 1)
    ]  # fmt: skip
    run = tmp_path / "run"
    results, _ = BatchRunner(
        WorkerSettings(str(run), ("cpu",), enable_backward=False), str(run / "w"), tag="d"
    ).run(cases)
    assert all(r.verdict == "verified" for r in results), [r.message for r in results]
    store = Store(str(run))
    sid = store.begin_session(60.0, [], str(wp.__version__), ["cpu"])
    store.add_results(results, sid)
    store.update_session(sid, 1.0, len(results), ended=True)
    store.close()
    out = tmp_path / "ds"
    export_dataset([str(run)], str(out), ExportOptions(fmt="parquet"))
    card = (out / "README.md").read_text()
    assert "language:" in card and "num_bytes:" in card and "dataset_size:" in card
    assert "## Intended use" in card and "## Limitations" in card and "## Licence" in card
    assert '"cuda"' not in card.split("---")[1] and "CUDA Warp emitted" not in card  # CPU only

    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    handler = Keep(level=logging.WARNING)
    logging.getLogger("datasets").addHandler(handler)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            ds = datasets.load_dataset(str(out), cache_dir=str(tmp_path / "hf-cache"))
    finally:
        logging.getLogger("datasets").removeHandler(handler)
    assert sum(len(ds[s]) for s in ds) == 4
    assert [r.getMessage() for r in records if r.levelno >= logging.WARNING] == []
    assert [str(w.message) for w in caught if "datasets" in str(w.filename)] == []
