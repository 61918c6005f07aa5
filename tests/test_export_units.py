"""Export building blocks without Warp: normalization, pair ids, MinHash clusters, splits, YAML, lines."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from fuzz.export.card import length_histogram, size_category, to_yaml
from fuzz.export.dedup import MinHashConfig, cluster, estimate_jaccard, shingles, signature
from fuzz.export.normalize import NormalizeError, builtins_used, normalize, pair_id
from fuzz.export.records import (
    StoredCase,
    rebase_line_markers,
    reject_reason,
    summarize_check,
    written_evidence,
)
from fuzz.export.split import split_of

K1 = '''@wp.func
def k_1_helper(x: float):
    return x * 2.0

@wp.kernel
def k_1(a: wp.array(dtype=float), out: wp.array(dtype=float)):
    """Doubles."""
    i = wp.tid()
    t = k_1_helper(a[i])  # a comment
    out[i] = wp.sin(t)
'''

K1_RENAMED = """import warp as wp
@wp.func
def k_77_h(y: float):
    return y*2.0
@wp.kernel
def k_77(src: wp.array(dtype=float),  dst: wp.array(dtype=float)):
    tid = wp.tid()

    tmp = k_77_h( src[tid] )
    dst[tid] = wp.sin(tmp)
"""


def test_normalization_ignores_names_layout_comments_docstrings() -> None:
    a, b = normalize(K1, "k_1"), normalize(K1_RENAMED, "k_77")
    assert a.text == b.text and a.source_sha == b.source_sha
    assert "def kernel(" in a.text and "def func0(" in a.text and "k_1" not in a.text
    assert "wp.sin" in a.text and "#" not in a.text and "Doubles" not in a.text


@pytest.mark.parametrize(
    "change",
    [("wp.sin", "wp.cos"), ("2.0", "3.0"), ("out[i] = ", "out[0] = "), ("x * 2.0", "2.0 * x")],
)
def test_normalization_keeps_semantics_apart(change: tuple[str, str]) -> None:
    assert normalize(K1, "k_1").source_sha != normalize(K1.replace(*change), "k_1").source_sha


def test_unparsable_source_names_the_kernel() -> None:
    with pytest.raises(NormalizeError, match="k_9"):
        normalize("def k_9(:\n", "k_9")


def test_pair_id_depends_on_warp_version_and_codegen_options() -> None:
    t = normalize(K1, "k_1").text
    base = pair_id(t, "1.19.0", {"enable_backward": True, "cuda_arch": None})
    assert base == pair_id(t, "1.19.0", {"cuda_arch": None, "enable_backward": True})
    assert base != pair_id(t, "1.18.0", {"enable_backward": True, "cuda_arch": None})
    assert base != pair_id(t, "1.19.0", {"enable_backward": False, "cuda_arch": None})
    assert base != pair_id(t, "1.19.0", None)


def test_builtins_are_calls_in_bodies_not_annotations() -> None:
    assert builtins_used(K1) == ["wp.sin", "wp.tid"]
    assert builtins_used("def f(:") == []


def _long(c: str, extra: str = "") -> list[str]:
    body = "\n".join(f"    t{j} = wp.max(a[i] * {j}.0, b[i]) + wp.min(t{j - 1}, 1.0)" for j in range(1, 12))
    src = f"def k(a, b, out):\n    i = wp.tid()\n    t0 = a[i]\n{body}\n    out[i] = t11 + {c}\n{extra}"
    return list(normalize(src, "k").tokens)


def test_minhash_finds_near_duplicates_only() -> None:
    cfg = MinHashConfig()
    x, y = _long("0.5"), _long("0.25")
    z = list(normalize("def k(a, out):\n    out[0] = wp.exp(a[1]) // 3\n", "k").tokens)
    true_j = len(shingles(x, 5) & shingles(y, 5)) / len(shingles(x, 5) | shingles(y, 5))
    sx, sy, sz = (signature(t, cfg) for t in (x, y, z))
    assert true_j > 0.9 and abs(estimate_jaccard(sx, sy) - true_j) < 0.12
    assert estimate_jaccard(sx, sz) < 0.2
    cl = cluster([sx, sy, sz], cfg)
    assert cl.root[0] == cl.root[1] != cl.root[2]
    # an exact threshold of 1.0 keeps the near pair apart
    strict = cluster([sx, sy, sz], MinHashConfig(threshold=1.0))
    assert len(set(strict.root)) == 3
    assert cluster([], cfg).root == []


def test_split_is_deterministic_and_close_to_80_10_10() -> None:
    keys = [f"group-{i}" for i in range(20000)]
    got = Counter(split_of(k) for k in keys)
    assert abs(got["train"] / 20000 - 0.8) < 0.02
    assert abs(got["validation"] / 20000 - 0.1) < 0.01 and abs(got["test"] / 20000 - 0.1) < 0.01
    assert [split_of(k) for k in keys[:50]] == [split_of(k) for k in keys[:50]]
    assert {split_of(k, (0.0, 0.0, 1.0)) for k in keys[:50]} == {"test"}
    with pytest.raises(ValueError):
        split_of("x", (0.5, 0.5, 0.5))


def test_yaml_writer_round_trips() -> None:
    yaml = pytest.importorskip("yaml")
    doc = {
        "license": "apache-2.0",
        "n": 3,
        "flag": False,
        "none": None,
        "quoted": 'a: "b" # c',
        "empty": [],
        "configs": [
            {"config_name": "default", "data_files": [{"split": "train", "path": "data/train-*.parquet"}]}
        ],
        "nested": [[1, 2], {"k": {"deep": ["x"]}}],
    }
    assert yaml.safe_load(to_yaml(doc)) == doc


def test_size_category_and_histogram() -> None:
    assert (
        size_category(0) == "n<1K"
        and size_category(1000) == "1K<n<10K"
        and size_category(10**6) == "1M<n<10M"
    )
    h = length_histogram([10, 20, 30, 1000, 5000])
    assert sum(int(line.split()[1]) for line in h.splitlines()) == 5
    assert length_histogram([]) == "(no rows)" and length_histogram([7, 7]).split()[:2] == ["7-7", "2"]


def test_line_markers_follow_the_record_python() -> None:
    python = "import warp as wp\n\n@wp.kernel\ndef k_5(a):\n    i = wp.tid()\n"
    code = "// def k_5(a):      <L 40>\n// i = wp.tid()      <L 41>\nx;\n"
    assert (
        rebase_line_markers(code, "k_5", python)
        == "// def k_5(a):      <L 4>\n// i = wp.tid()      <L 5>\nx;\n"
    )
    assert rebase_line_markers(code, "k_6", python) == code  # not found: unchanged, not guessed
    assert rebase_line_markers(None, "k_5", python) is None


def test_shard_writer_rotates_by_rows_and_by_bytes(tmp_path: Path) -> None:
    from fuzz.export.writer import ShardWriter, read_rows

    w = ShardWriter(str(tmp_path), "data", "train", "jsonl", max_rows=3, max_bytes=1000)
    for i in range(3):
        w.write({"i": i, "text": "x"})  # 3 rows: a shard
    w.write({"i": 3, "text": "y" * 900})
    w.write({"i": 4, "text": "y" * 900})  # 1800 bytes of text: a shard of 2 rows
    w.write({"i": 5, "text": "z"})
    files = w.close()
    assert [f.rows for f in files] == [3, 2, 1]
    assert [f.path for f in files][0] == "data/train-00000-of-00003.jsonl"
    rows = [r["i"] for f in files for r in read_rows(str(tmp_path / f.path))]
    assert rows == list(range(6))
    empty = ShardWriter(str(tmp_path), "data", "test", "jsonl", max_rows=3).close()
    assert [(f.path, f.rows) for f in empty] == [("data/test-00000-of-00001.jsonl", 0)]


def test_banding_follows_the_threshold() -> None:
    default = MinHashConfig()
    assert MinHashConfig.for_threshold(0.85) == default
    for t in (0.7, 0.5, 0.3):
        c = MinHashConfig.for_threshold(t)
        assert c.perms == 128 and c.threshold == t
        assert (1 / c.bands) ** (1 / c.rows) < t  # the S-curve rises below the threshold
    # a pair near J=0.6: found at threshold 0.5, kept apart at the default 0.85
    x = _long("0.5")
    y = x[: len(x) // 2] + ["<9>"] * 3 + x[len(x) // 2 + 140 :]  # true Jaccard about 0.62
    sx, sy = signature(x, default), signature(y, default)
    j = estimate_jaccard(sx, sy)
    assert 0.5 < j < 0.85, j
    assert len(set(cluster([sx, sy], default).root)) == 2
    low = MinHashConfig.for_threshold(0.5)
    assert len(set(cluster([signature(x, low), signature(y, low)], low).root)) == 1


def _stored(checks: list[dict[str, object]]) -> StoredCase:
    return StoredCase(
        run=0, seed=1, kernel_name="k_1", family="f", generator_version="g", verdict="verified",
        stage="", device="", message="", case={"source": "@wp.kernel\ndef k_1():\n    pass\n"},
        checks=checks, unstable_fraction=0.0, oracle_ops=0, session=1, has_code=True, code={}, gradient=[],
    )  # fmt: skip


def _arr(name: str, written: int | None, compared: int | None, elements: int = 8) -> dict[str, object]:
    a: dict[str, object] = {"name": name, "elements": elements, "checked": elements, "unstable": 0}
    if written is not None:
        a["written"], a["compared"] = written, compared
    return a


def test_gate_requires_compared_written_elements() -> None:
    """A stored `verified` whose written elements were not compared is rejected, and so is an old
    store that lacks the counts; the pair check (cpu~cuda) is no evidence either way."""
    good = [{"device": "cpu", "passed": True, "arrays": [_arr("x", 0, 0), _arr("out", 8, 8)]}]
    assert reject_reason(_stored(good)) is None
    unstable = [{"device": "cpu", "passed": True, "arrays": [_arr("x", 0, 0), _arr("out12", 64, 0, 64)]}]
    why = reject_reason(_stored(unstable))
    assert why is not None and "out12: 0 of 64 written elements compared" in why
    half = [{"device": "cpu", "passed": True, "arrays": [_arr("out", 8, 3)]}]
    assert "out: 3 of 8" in str(reject_reason(_stored(half)))
    nothing = [{"device": "cpu", "passed": True, "arrays": [_arr("x", 0, 0)]}]
    assert "wrote no element" in str(reject_reason(_stored(nothing)))
    old = [{"device": "cpu", "passed": True, "arrays": [_arr("x", None, None), _arr("out", None, None)]}]
    assert "not provably compared" in str(reject_reason(_stored(old)))
    pair = [*good, {"device": "cpu~cuda", "passed": True, "arrays": [_arr("out", None, None)]}]
    assert reject_reason(_stored(pair)) is None
    summary = summarize_check(good[0])
    assert summary["written_arrays"] == [{"name": "out", "written": 8, "compared": 8}]
    assert written_evidence("cpu", summary["written_arrays"]) is None
    assert summarize_check(old[0])["written_arrays"] is None
