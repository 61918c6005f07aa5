"""`python -m fuzz check` on order-dependent kernels (issue 15): each is refused with exit 2 and
its race named, a commutative accumulation beside them still verifies, and the whole file's
status is the worst verdict. Real Warp on CPU, the real oracle."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from fuzz.cli import main

RACES = Path(__file__).parent / "kernels" / "races.py"

REFUSED = {
    "race_on_one_element": r"store different values to out\[0\]",
    "atomic_old_to_output": r"out\[\d+\] takes a different value when the atomics on total\[0\]",
    "compaction_slot": r"out\[\d+\] takes a different value when the atomics on count\[0\]",
    "neighbour_prefix": r"reads x\[\d+\], which thread \(\d+,\) stores to",
}


def _check(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(["check", str(RACES), *argv, "--devices", "cpu"])
    out = capsys.readouterr()
    return status, " ".join(out.out.split()), out.err


@pytest.mark.parametrize("kernel", sorted(REFUSED))
def test_an_order_dependent_kernel_is_refused_with_its_race_named(
    kernel: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = _check(capsys, "--kernel", kernel)
    assert status == 2, out
    assert f"{kernel}: invalid_kernel" in out and "order-dependent:" in out, out
    assert re.search(REFUSED[kernel], out), out
    assert "depends on thread order" in err and "not a Warp bug" in err
    assert "mismatch" not in out


def test_commutative_accumulation_verifies(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = _check(capsys, "--kernel", "commutative_sum")
    assert status == 0 and "commutative_sum: verified" in out, out
