"""`export --verify`: an export re-verifies, and every layer of the check can say no.

Re-runs use real Warp on CPU and the real oracle; the "wrong" cases are a tampered file, a
tampered record, a record whose stored C++ was edited, and a deliberately wrong oracle entry.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from test_export_dataset import SOURCES, runs  # noqa: F401  (the module-scoped run fixture)

from fuzz.export import ExportOptions, VerifyOptions, export_dataset, verify_dataset
from fuzz.export.manifest import sha256_file
from fuzz.export.writer import record_schema


def min_is_max() -> Any:
    """An oracle registry whose wp.min computes max: every kernel using wp.min must now fail."""
    import oracle
    from oracle.builtins import Builtin

    reg = oracle.default_registry()
    wrong = reg.get("max")
    assert wrong is not None
    return reg.with_entries([Builtin("min", wrong.fn, "deliberately wrong: max")])


@pytest.fixture(scope="module")
def dataset(runs: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Path:  # noqa: F811
    out = tmp_path_factory.mktemp("vds") / "ds"
    export_dataset([str(runs["a"])], str(out), ExportOptions(shard_rows=4))
    return out


def _copy(ds: Path, tmp: Path) -> Path:
    dst = tmp / "copy"
    shutil.copytree(ds, dst)
    return dst


def _edit_rows(ds: Path, edit: Any) -> list[int]:
    """Apply `edit(row) -> bool` to every row, rewrite changed shards, fix the manifest's hashes."""
    man = json.loads((ds / "manifest.json").read_text())
    touched = []
    for e in man["files"]:
        if not e["path"].startswith("data/"):
            continue
        path = ds / e["path"]
        rows = pq.read_table(path).to_pylist()
        changed = [r["seed"] for r in rows if edit(r)]
        if changed:
            pq.write_table(pa.Table.from_pylist(rows, schema=record_schema()), path)
            e["sha256"], e["bytes"] = sha256_file(str(path)), path.stat().st_size
            touched += changed
    (ds / "manifest.json").write_text(json.dumps(man))
    return touched


def _verify(ds: Path, sample: int = 100, **kw: Any) -> Any:
    return verify_dataset(str(ds), VerifyOptions(sample=sample, devices=("cpu",), **kw))


def test_export_passes_its_own_verify(dataset: Path) -> None:
    rep = _verify(dataset)
    assert rep.ok, rep.render()
    assert len(rep.records) == rep.rows == len(SOURCES)
    assert all(r.code_compared for r in rep.records)  # same Warp here: the C++ was regenerated and equal
    text = rep.render()
    assert "OK" in text
    # the fixture's records say generator "test": the report says their inputs came from this generator
    assert "9 records come from another generator version" in text


def test_tampered_or_unlisted_file_is_caught(dataset: Path, tmp_path: Path) -> None:
    ds = _copy(dataset, tmp_path)
    shard = sorted((ds / "data").glob("train-*.parquet"))[0]
    blob = bytearray(shard.read_bytes())
    blob[len(blob) // 2] ^= 0xFF
    shard.write_bytes(bytes(blob))
    (ds / "data" / "stray.parquet").write_bytes(b"")
    rep = _verify(ds, sample=0)
    assert not rep.ok
    text = "\n".join(rep.problems)
    assert f"{shard.name}: sha256" in text and "stray.parquet: present but not in the manifest" in text


def test_card_that_disagrees_is_caught(dataset: Path, tmp_path: Path) -> None:
    pytest.importorskip("yaml")
    ds = _copy(dataset, tmp_path)
    card = ds / "README.md"
    card.write_text(card.read_text().replace("num_examples: ", "num_examples: 1", 1))
    man = json.loads((ds / "manifest.json").read_text())
    for e in man["files"]:
        if e["path"] == "README.md":
            e["sha256"] = sha256_file(str(card))
    (ds / "manifest.json").write_text(json.dumps(man))
    rep = _verify(ds, sample=0)
    assert not rep.ok and any("YAML header splits" in p for p in rep.problems), rep.problems


def test_edited_cpp_is_caught(dataset: Path, tmp_path: Path) -> None:
    ds = _copy(dataset, tmp_path)

    def edit(r: dict[str, Any]) -> bool:
        if r["seed"] != 3:
            return False
        r["cpp_forward"] = r["cpp_forward"].replace("wp::add(", "wp::sub(", 1)
        return True

    assert _edit_rows(ds, edit) == [3]
    rep = _verify(ds)
    bad = [r for r in rep.records if not r.ok]
    assert [r.seed for r in bad] == [3] and "cpp_forward" in bad[0].detail, rep.render()
    assert not rep.ok


def test_edited_python_is_caught(dataset: Path, tmp_path: Path) -> None:
    ds = _copy(dataset, tmp_path)

    def edit(r: dict[str, Any]) -> bool:
        if r["seed"] != 6:
            return False
        r["python"] = r["python"].replace("wp.sin", "wp.cos")
        return True

    assert _edit_rows(ds, edit) == [6]
    rep = _verify(ds, sample=100)
    bad = {r.seed: r for r in rep.records if not r.ok}
    assert set(bad) == {6} and bad[6].verdict == "inconsistent" and "source_sha" in bad[6].detail


def test_record_whose_written_elements_were_not_compared_is_caught(dataset: Path, tmp_path: Path) -> None:
    """A record edited to say its output's written elements were all unstable must not pass."""
    ds = _copy(dataset, tmp_path)

    def edit(r: dict[str, Any]) -> bool:
        if r["seed"] != 4:
            return False
        for ch in r["checks"]:
            for a in ch["written_arrays"]:
                a["compared"] = 0
        return True

    assert _edit_rows(ds, edit) == [4]
    rep = _verify(ds, sample=100)
    bad = {r.seed: r for r in rep.records if not r.ok}
    assert set(bad) == {4} and bad[4].verdict == "inconsistent", rep.render()
    assert "out: 0 of 16 written elements compared" in bad[4].detail
    assert not rep.ok


def test_wrong_oracle_fails_the_rerun(dataset: Path) -> None:
    rep = _verify(dataset, registry_factory="test_export_verify:min_is_max")
    bad = {r.seed for r in rep.records if not r.ok}
    uses_min = {s for s, (body, _, _) in SOURCES.items() if "wp.min" in body}
    assert uses_min and bad == uses_min, rep.render()
    assert all(r.verdict == "mismatch" for r in rep.records if not r.ok)
    assert not rep.ok


def test_sample_is_random_but_reproducible(dataset: Path) -> None:
    a = _verify(dataset, sample=3, seed=7)
    b = _verify(dataset, sample=3, seed=7)
    assert [r.pair_id for r in a.records] == [r.pair_id for r in b.records]
    assert len(a.records) == 3 and a.ok


@pytest.mark.slow
def test_campaign_export_passes_verify_on_50_samples(tmp_path: Path) -> None:
    import grammar
    from fuzz.campaign import Campaign, CampaignConfig
    from fuzz.engine.settings import WorkerSettings

    run = tmp_path / "run"
    # not compile_time / custom_adjoint / factories: their generic, overloaded and closure helpers get native names
    # numbered per process in an order canonical_function_ids does not yet undo, so a rerun's
    # code differs from the record in those numbers alone (an open gap of verify, not of the code)
    weights = grammar.parse_weights("compile_time=0,custom_adjoint=0,factories=0")
    settings = WorkerSettings(run_dir=str(run), enable_backward=False, gen_config={"weights": weights})
    cfg = CampaignConfig(
        run_dir=str(run),
        budget_s=900,
        seed=5000,
        workers=2,
        batch=16,
        settings=settings,
        max_kernels=80,
        reduce_share=0.0,
    )
    summary = Campaign(cfg).run()
    assert summary["verified"] >= 50, summary["verdicts"]
    out = tmp_path / "ds"
    res = export_dataset([str(run)], str(out), ExportOptions(include_rejects=True))
    assert sum(res.stats.rows.values()) >= 50
    rep = _verify(out, sample=50)
    assert rep.ok and len(rep.records) == 50, rep.render()
