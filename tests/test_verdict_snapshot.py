"""scripts/verdict_snapshot.py --compare: it says no to a changed verdict, and --common leaves
out seeds only one side reached (a longer campaign) without hiding a difference on the rest."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

_SPEC = importlib.util.spec_from_file_location(
    "verdict_snapshot", Path(__file__).parents[1] / "scripts" / "verdict_snapshot.py"
)
assert _SPEC and _SPEC.loader
vs = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(vs)


def _write(path: Path, recs: dict[int, tuple[str, str]]) -> Path:
    path.write_text(
        "".join(json.dumps({"seed": s, "verdict": v, "checks": c}) + "\n" for s, (v, c) in recs.items())
    )
    return path


def test_compare_common_and_fields(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a = _write(tmp_path / "a.jsonl", {1: ("verified", "x"), 2: ("mismatch", "y")})
    b = _write(tmp_path / "b.jsonl", {1: ("verified", "x"), 2: ("mismatch", "z"), 3: ("verified", "w")})
    assert vs.compare(a, b) == 1  # seed 3 only in b, and seed 2's checks differ
    assert vs.compare(a, b, common=True) == 1  # seed 2's checks still differ
    assert vs.compare(a, b, common=True, fields=("verdict",)) == 0
    out = capsys.readouterr().out
    assert (
        "2 of 2 seeds identical (verdict)" in out and "0 seeds only in the first, 1 only in the second" in out
    )
    c = _write(tmp_path / "c.jsonl", {1: ("verified", "x"), 2: ("verified", "y")})
    assert vs.compare(a, c, common=True, fields=("verdict",)) == 1
    assert "seed 2: verdict: 'mismatch' -> 'verified'" in capsys.readouterr().out
