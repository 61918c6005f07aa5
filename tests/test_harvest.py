"""`python -m fuzz harvest`: real kernels stored as `real` cases with their origin, a planted oracle
fault kept out of the export, resume, the seed space, licences, and split groups apart from
generated kernels."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from fuzz.cli import main
from fuzz.export.exporter import ExportOptions, export_dataset
from fuzz.export.writer import read_rows
from fuzz.harvest import REAL_SEED_BASE, licence_of, real_seed

KERNELS = """
import warp as wp


@wp.kernel
def clamp_scale(x: wp.array(dtype=float), out: wp.array(dtype=float)):
    i = wp.tid()
    out[i] = wp.clamp(x[i] * 4.0, -1.0, 1.0)


@wp.kernel
def axpy(x: wp.array(dtype=float), y: wp.array(dtype=float), a: float, out: wp.array(dtype=float)):
    i = wp.tid()
    out[i] = a * x[i] + y[i]
"""

MIT = "MIT License\n\nCopyright (c) 2026 Someone\n\nPermission is hereby granted, free of charge, ...\n"


def _project(root: Path) -> Path:
    (root / "pkg").mkdir(parents=True)
    (root / "LICENSE").write_text(MIT)
    f = root / "pkg" / "kernels.py"
    f.write_text(KERNELS)
    return f


def _rows(out: Path) -> list[dict]:  # type: ignore[type-arg]
    return [r for p in sorted((out / "data").glob("*.jsonl")) for r in read_rows(str(p))]


def _cases(run: Path) -> dict[str, tuple[int, str, dict]]:  # type: ignore[type-arg]
    db = sqlite3.connect(run / "campaign.db")
    try:
        return {
            name: (seed, verdict, json.loads(case))
            for seed, name, verdict, case in db.execute(
                "SELECT seed, kernel_name, verdict, case_json FROM cases"
            )
        }
    finally:
        db.close()


@pytest.fixture(scope="module")
def harvested(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("harvest")
    f = _project(root / "proj")
    run = root / "run"
    assert main(["harvest", str(root / "proj"), "--devices", "cpu", "--out", str(run)]) == 0
    return f, run


def test_harvest_stores_real_cases_with_their_origin(harvested: tuple[Path, Path], tmp_path: Path) -> None:
    f, run = harvested
    cases = _cases(run)
    assert {n: v for n, (_, v, _) in cases.items()} == {"clamp_scale": "verified", "axpy": "verified"}
    for name, (seed, _, case) in cases.items():
        assert case["family"] == "real"
        assert seed >= REAL_SEED_BASE
        o = case["origin"]
        def_line = next(n for n, ln in enumerate(KERNELS.splitlines(), 1) if ln.startswith(f"def {name}("))
        assert o["line"] == def_line and o["kernel"] == name
        assert o["licence"] == "MIT" and o["licence_source"] == str(f.parent.parent / "LICENSE")
        assert len(o["source_sha256"]) == 64 and len(o["file_sha256"]) == 64
    out = tmp_path / "export"
    export_dataset([str(run)], str(out), _jsonl())
    rows = _rows(out)
    assert sorted(r["kernel_name"] for r in rows) == ["axpy", "clamp_scale"]
    for r in rows:
        assert r["family"] == "real" and r["split_group"].startswith("real:")
        assert r["origin"]["file"].endswith("pkg/kernels.py") and r["origin"]["licence"] == "MIT"
        assert r["origin"]["line"] == cases[r["kernel_name"]][2]["origin"]["line"]
        assert r["cpp_forward"] and r["kernel_name"] in r["cpp_forward"]
    card = (out / "README.md").read_text()
    assert "| real | " in card and "- MIT: 2" in card


def _jsonl() -> ExportOptions:
    return ExportOptions(fmt="jsonl")


def test_planted_oracle_fault_is_not_exported(tmp_path: Path) -> None:
    # clamp modelled as max(x, lo): wrong wherever 4x > 1, so clamp_scale must not verify
    _project(tmp_path / "proj")
    run = tmp_path / "run"
    status = main(
        ["harvest", str(tmp_path / "proj"), "--devices", "cpu", "--out", str(run),
         "--oracle-registry", "tests.support.wrong_oracles:wrong_clamp"]
    )  # fmt: skip
    assert status == 1
    cases = _cases(run)
    assert cases["clamp_scale"][1] == "mismatch" and cases["axpy"][1] == "verified"
    assert any(p.name.endswith("-mismatch") for p in (run / "corpus").iterdir())
    out = tmp_path / "export"
    export_dataset([str(run)], str(out), _jsonl())
    assert [r["kernel_name"] for r in _rows(out)] == ["axpy"]


def test_resume_skips_stored_kernels(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = _project(tmp_path / "proj")
    run = tmp_path / "run"
    assert main(["harvest", str(f), "--devices", "cpu", "--out", str(run), "--limit", "1"]) == 0
    assert list(_cases(run)) == ["clamp_scale"]
    capsys.readouterr()
    assert main(["harvest", str(f), "--devices", "cpu", "--out", str(run)]) == 0
    assert "1 already stored; checked 1" in capsys.readouterr().out
    assert sorted(_cases(run)) == ["axpy", "clamp_scale"]
    assert main(["harvest", str(f), "--devices", "cpu", "--out", str(run)]) == 0
    assert "2 already stored; checked 0" in capsys.readouterr().out
    # an edited file is a new version: its kernels get new seeds and are checked again
    f.write_text(KERNELS.replace("4.0", "3.0"))
    assert main(["harvest", str(f), "--devices", "cpu", "--out", str(run), "--limit", "1"]) == 0
    assert "checked 1" in capsys.readouterr().out


def test_seed_space_and_licences(tmp_path: Path) -> None:
    a = real_seed("f" * 64, "k", 3)
    assert a == real_seed("f" * 64, "k", 3) and REAL_SEED_BASE <= a < REAL_SEED_BASE + 2**60 < 2**63
    assert (
        len({a, real_seed("f" * 64, "k2", 3), real_seed("f" * 64, "k", 4), real_seed("e" * 64, "k", 3)}) == 4
    )
    spdx = tmp_path / "a.py"
    spdx.write_text("# SPDX-License-Identifier: BSD-3-Clause\nimport warp as wp\n")
    assert licence_of(str(spdx)).spdx == "BSD-3-Clause"
    assert licence_of(str(spdx)).source == "SPDX header"
    (tmp_path / "sub").mkdir()
    (tmp_path / "COPYING").write_text("Some licence nobody knows\n")
    plain = tmp_path / "sub" / "b.py"
    plain.write_text("import warp as wp\n")
    assert licence_of(str(plain)).spdx == "unknown"
    assert licence_of(str(plain)).source == str(tmp_path / "COPYING")


def test_real_and_generated_never_share_a_split_group(harvested: tuple[Path, Path], tmp_path: Path) -> None:
    # the same verified cases stored again as a generated family: an exact copy is dropped as a
    # duplicate across both, a near-copy (one constant changed) lands in a group of its own
    _, run = harvested
    gen = tmp_path / "generated"
    gen.mkdir()
    shutil.copy(run / "campaign.db", gen / "campaign.db")
    db = sqlite3.connect(gen / "campaign.db")
    with db:
        for seed, name, case_json in db.execute("SELECT seed, kernel_name, case_json FROM cases").fetchall():
            case = json.loads(case_json)
            case["family"] = "arith"
            case.pop("origin")
            if name == "clamp_scale":
                case["source"] = case["source"].replace("4.0", "4.5")
            db.execute("UPDATE cases SET family='arith', case_json=? WHERE seed=?", (json.dumps(case), seed))
    db.close()
    out = tmp_path / "export"
    res = export_dataset([str(run), str(gen)], str(out), _jsonl())
    assert res.stats.exact_duplicates == 1  # axpy, the same kernel in both runs
    rows = _rows(out)
    assert sorted((r["family"], r["kernel_name"]) for r in rows) == [
        ("arith", "clamp_scale"), ("real", "axpy"), ("real", "clamp_scale"),
    ]  # fmt: skip
    groups = {(r["family"], r["kernel_name"]): r["split_group"] for r in rows}
    assert groups[("real", "clamp_scale")] != groups[("arith", "clamp_scale")]
    assert not groups[("arith", "clamp_scale")].startswith("real:")
    assert all(r["origin"] is None for r in rows if r["family"] == "arith")
