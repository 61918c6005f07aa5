"""The committed regression corpus: every seed under corpus/seeds replays with the status its
meta.json `known.expect` records for the installed Warp (warp-lang 1.19)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
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

    wrong = "tests.support.wrong_oracles:wrong_sin"
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


# ---- repro.py: one template, no drifting copies -------------------------------------------------

REFRESH = Path(__file__).resolve().parents[1] / "scripts" / "refresh_repro.py"


def _refresh(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(REFRESH), *args], capture_output=True, text=True, timeout=120, check=False
    )


def _restamp(folder: Path) -> None:
    """Record the folder's current hashes, as someone who edits a folder on purpose would."""
    from corpus.folder_check import folder_hashes

    meta = json.loads((folder / E.META).read_text())
    meta["sha256"] = folder_hashes(str(folder), meta["files"])
    (folder / E.META).write_text(json.dumps(meta))


@pytest.mark.parametrize("folder", _seed_folders(), ids=lambda p: p.name)
def test_seed_repro_is_what_the_template_makes(folder: Path) -> None:
    from corpus.folder import CorpusFolder

    ent = CorpusFolder.read(str(folder))
    assert ent.usable, ent.problem()
    assert ent.repro_drift() == ""


def test_repro_drift_is_reported_and_regenerated(tmp_path: Path) -> None:
    """The check says no: a hand-edited copy (hashes re-recorded, so it is no damage) differs
    from the template's; the refresh script names it with --check and regenerates it."""
    from corpus.folder import CorpusFolder

    folder = tmp_path / "frac"
    shutil.copytree(SEEDS / "frac-missing-adjoint", folder)
    repro = folder / E.REPRO
    text = repro.read_text()
    assert "return 1 if not abs(analytic - fd) <= tol else 0" in text
    repro.write_text(text.replace("return 1 if not abs(analytic - fd) <= tol else 0", "return 0"))
    _restamp(folder)
    drift = CorpusFolder.read(str(folder)).repro_drift()
    assert str(repro) in drift and "differs from what corpus/repro_script.py makes" in drift, drift
    p = _refresh("--check", str(folder))
    assert p.returncode == 1 and str(repro) in p.stdout, p.stdout + p.stderr
    assert repro.read_text() != text  # --check changed nothing
    p = _refresh(str(folder))
    assert p.returncode == 0 and "regenerated" in p.stdout, p.stdout + p.stderr
    assert repro.read_text() == text
    ent = CorpusFolder.read(str(folder))
    assert ent.usable and ent.repro_drift() == "", ent.problem()
    assert _refresh("--check", str(folder)).returncode == 0
    # a damaged folder is not re-hashed (that would bless whatever it holds)
    repro.write_text("print('hello')\n")
    p = _refresh(str(folder))
    assert p.returncode == 3 and "sha256 differs" in p.stdout, p.stdout + p.stderr
    assert repro.read_text() == "print('hello')\n"


def test_a_changed_template_makes_every_seed_drift(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The comparison is against the template as it is now: change the template and the
    committed copies no longer match."""
    from corpus import folder as F

    template = tmp_path / "repro_script.py"
    template.write_text(Path(F.REPRO_TEMPLATE).read_text().replace('_VERSION = "', '_VERSION = "x', 1))
    monkeypatch.setattr(F, "REPRO_TEMPLATE", str(template))
    folders = _seed_folders()
    assert folders
    for folder in folders:
        assert "differs" in F.CorpusFolder.read(str(folder)).repro_drift(), folder
