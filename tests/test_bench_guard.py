"""scripts/bench_guard.py on canned bench output: its parsing and exit status (not a timed test)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "bench_guard.py"

CANNED = """cores: 2  workers: 2  batch: 16  CPU code: -O0 (naive: warp default)
  full_backward:   12.428 kernels/s  (608 kernels in 48.92 s)
 floor_backward:   17.179 kernels/s  (608 kernels in 35.39 s)
where the full path's time goes (summed over workers):
     compile:cpu:   100.00 s   80.0 %
full/floor: {floor}
full/naive: {naive}
"""


def _guard(tmp_path: Path, text: str, *extra: str) -> subprocess.CompletedProcess[str]:
    out = tmp_path / "bench.txt"
    out.write_text(text)
    cmd = [sys.executable, str(SCRIPT), "--from-file", str(out), *extra]
    return subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)


@pytest.mark.parametrize(
    ("floor", "naive", "extra", "status"),
    [
        ("0.861", "4.2", (), 0),
        ("0.723", "4.139", (), 1),  # the figure: below 0.85
        ("0.9", "3.5", (), 1),  # full/naive below 4
        ("0.723", "4.139", ("--min-floor", "0.7"), 0),
        ("None", "4.2", (), 2),  # bench printed no ratio (floor phase ran nothing)
    ],
)
def test_exit_status(tmp_path: Path, floor: str, naive: str, extra: tuple[str, ...], status: int) -> None:
    r = _guard(tmp_path, CANNED.format(floor=floor, naive=naive), *extra)
    assert r.returncode == status, r.stdout + r.stderr
    assert f"full/naive: {naive}" in r.stdout or "full/naive: missing" in r.stdout
    if status == 1:
        assert "BELOW TARGET" in r.stdout and "target >= " in r.stdout


def test_missing_figures_fail(tmp_path: Path) -> None:
    r = _guard(tmp_path, "bench crashed before printing anything\n")
    assert r.returncode == 2
    assert "full/floor: missing" in r.stdout and "full/naive: missing" in r.stdout
