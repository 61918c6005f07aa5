"""The committed regression corpus: every seed under corpus/seeds replays with the status its
meta.json `known.expect` records for the installed Warp (warp-lang 1.19)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from corpus import entry as E
from corpus.replay import FIXED, STILL_FAILING, replay

SEEDS = Path(__file__).resolve().parents[1] / "corpus" / "seeds"
STATUSES = ("warp-bug", "documented", "open")


def _seed_folders() -> list[Path]:
    if not SEEDS.is_dir():
        return []
    return sorted(Path(p) for p in E.find_entries([str(SEEDS)])) if any(SEEDS.rglob(E.META)) else []


def check_seed(folder: Path, registry: str | None = None) -> str | None:
    """None when the folder replays as its meta.json expects, else what went wrong."""
    meta = json.loads((folder / E.META).read_text())
    known = meta.get("known") or {}
    if known.get("status") not in STATUSES or known.get("expect") not in (STILL_FAILING, FIXED):
        return f"{folder}: known.status must be one of {STATUSES} and known.expect one of {(STILL_FAILING, FIXED)}"
    (outcome,) = replay([str(folder)], registry=registry)
    if outcome.status != known["expect"]:
        got = outcome.new.key() if outcome.new else "?"
        return (
            f"{folder}: expected {known['expect']!r}, replay says {outcome.status!r} ({got}; {outcome.note})"
        )
    return None


@pytest.mark.parametrize("folder", _seed_folders(), ids=lambda p: p.name)
def test_seed_replays_as_expected(folder: Path) -> None:
    assert check_seed(folder) is None


def test_check_seed_says_no(tmp_path: Path) -> None:
    """The check itself: a wrong-oracle mismatch expected `still failing` passes under the wrong
    oracle and is refused under the right one (where replay says `fixed`)."""
    from corpus.candidates import CandidateRunner
    from corpus.save import save_failures
    from fuzz.engine.settings import WorkerSettings
    from grammar.case import KernelCase, ParamSpec

    wrong = "fuzz.wrong_oracles:wrong_sin"
    src = "@wp.kernel\ndef k_5(out1: wp.array(dtype=wp.float32)):\n    i = wp.tid()\n    out1[i] = wp.sin(0.0)\n"
    case = KernelCase(
        "k_5", src, "unary", 5, "test", (ParamSpec("out1", "array", "float32", (2,), "out"),), (2,)
    )
    settings = WorkerSettings(run_dir=str(tmp_path), enable_backward=False, registry_factory=wrong)
    (result,) = CandidateRunner(settings, str(tmp_path / "w"), tag="s").run_candidates([case])
    (folder,) = save_failures(str(tmp_path), [result], settings=settings)
    meta_path = Path(folder) / E.META
    meta = json.loads(meta_path.read_text())
    meta["known"] = {"status": "open", "issue": None, "note": "planted", "expect": STILL_FAILING}
    meta_path.write_text(json.dumps(meta))
    assert check_seed(Path(folder), registry=wrong) is None
    problem = check_seed(Path(folder))
    assert problem is not None and "'fixed'" in problem
    # an entry without what is known about it is refused too
    bare = tmp_path / "bare"
    shutil.copytree(folder, bare)
    meta["known"] = {"status": "open"}
    (bare / E.META).write_text(json.dumps(meta))
    assert "known.status" in (check_seed(bare, registry=wrong) or "")
