"""A child process (`Isolation.CHILD`) ends with its parent. A parent killed at a timeout
(`bisect`'s replay, `timeout 60 python -m fuzz replay`) used to leave its child running a kernel
that never ends, on the machine's cores, until someone killed it by hand."""

from __future__ import annotations

import os
import pickle
import signal
import subprocess
import sys
import time
from pathlib import Path

import grammar
from fuzz.engine.settings import WorkerSettings

ROOT = Path(__file__).resolve().parent.parent


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split()[2] != "Z"
    except FileNotFoundError:
        return False


def _wait(pred, seconds: float) -> bool:  # type: ignore[no-untyped-def]
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.1)
    return pred()


def test_a_child_stuck_in_a_native_loop_dies_when_its_parent_is_killed(tmp_path: Path) -> None:
    case = grammar.generate(0)
    marker = tmp_path / "spinning"
    settings = WorkerSettings(
        run_dir=str(tmp_path), worker_plugins=(f"tests.support.faults:spin_at:{case.seed}@{marker}",)
    )
    src, dst = tmp_path / "in.pickle", tmp_path / "out.jsonl"
    with open(src, "wb") as f:
        pickle.dump((settings, str(tmp_path / "child"), [(case.to_json(), case.to_json())]), f)
    # the parent: starts the child in its own session, as BatchRunner._child does, and waits
    parent_code = (
        "import subprocess, sys, time\n"
        f"p = subprocess.Popen([sys.executable, '-m', 'fuzz.engine.child', {str(src)!r}, {str(dst)!r}],"
        " start_new_session=True)\n"
        "print(p.pid, flush=True)\n"
        "time.sleep(600)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    parent = subprocess.Popen(
        [sys.executable, "-c", parent_code], stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT
    )
    child = -1
    try:
        assert parent.stdout is not None
        child = int(parent.stdout.readline())
        assert _wait(marker.exists, 120), "the child never reached the planted endless kernel"
        time.sleep(1.5)
        assert _alive(child), "the child should still be looping while its parent lives"
        parent.kill()
        parent.wait()
        assert _wait(lambda: not _alive(child), 10), f"child {child} outlived its killed parent"
    finally:
        parent.kill()
        if child > 0 and _alive(child):
            os.kill(child, signal.SIGKILL)
