"""Export run directories as one dataset: gate, dedup, cluster, split, write shards, card, manifest.

Two streaming passes over the stores. Pass 1 reads cases without their code and keeps a few
hashes and a MinHash signature per verified case (constant memory per case). Dedup and
clustering run on those. Pass 2 reads the cases again with their code and writes each kept row
straight into its split's shard writer.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import fuzz.export.card as C
from fuzz.cliutil import UsageError
from fuzz.export.dedup import MinHashConfig, cluster
from fuzz.export.digest import DigestIn, digest_stream
from fuzz.export.manifest import MANIFEST, file_entry, write_manifest
from fuzz.export.records import build_record, build_reject, iter_cases, reject_reason
from fuzz.export.runs import RunInfo, read_run
from fuzz.export.split import DEFAULT_FRACTIONS, SPLITS, split_of
from fuzz.export.writer import ShardFile, ShardWriter, record_schema, reject_schema

EXPORT_FORMAT_VERSION = "1"
GENERATED = "generated"


def origin_of_family(family: str) -> str:
    """`real` for harvested kernels (`fuzz.harvest`), `generated` for every grammar family."""
    return "real" if family == "real" else GENERATED


@dataclass(frozen=True)
class ExportOptions:
    fmt: str = "parquet"
    include_rejects: bool = False
    shard_rows: int = 10_000
    fractions: tuple[float, float, float] = DEFAULT_FRACTIONS
    minhash: MinHashConfig = field(default_factory=MinHashConfig)
    overwrite: bool = False
    jobs: int = 1  # processes normalizing and hashing sources in pass 1
    coverage_figure: bool = False  # coverage.png (fuzz.report) beside the card, shown in it


@dataclass
class ExportResult:
    out: str
    stats: C.Stats
    files: list[ShardFile]
    manifest: dict[str, Any]
    seconds: float


@dataclass(slots=True)
class _Key:
    """What pass 1 keeps of one verified case."""

    run: int
    seed: int
    family: str
    source_sha: str
    pair: str
    builtins: tuple[str, ...]


def _unique_names(runs: list[RunInfo]) -> None:
    seen: Counter[str] = Counter()
    for r in runs:
        seen[r.name] += 1
    if any(n > 1 for n in seen.values()):
        for i, r in enumerate(runs):
            if seen[r.name] > 1:
                r.name = f"{r.name}#{i}"


def _prepare_out(out: str, overwrite: bool) -> None:
    if os.path.exists(out) and os.listdir(out):
        if not overwrite:
            raise UsageError(f"--out {out}: exists and is not empty; pass --overwrite or choose a new folder")
        if not os.path.isfile(os.path.join(out, MANIFEST)):
            raise UsageError(f"--out {out}: not a previous export (no {MANIFEST}); refusing to delete it")
        for sub in ("data", "rejects"):
            shutil.rmtree(os.path.join(out, sub), ignore_errors=True)
        for name in ("README.md", MANIFEST):
            if os.path.exists(os.path.join(out, name)):
                os.remove(os.path.join(out, name))
    os.makedirs(out, exist_ok=True)


COVERAGE_PNG = "coverage.png"


def export_dataset(run_dirs: list[str], out: str, options: ExportOptions | None = None) -> ExportResult:
    """Export the verified cases of `run_dirs` (merged) to `out`; see the module docstring."""
    import warp

    opt = options or ExportOptions()
    t0 = time.perf_counter()
    if not run_dirs:
        raise UsageError("name at least one run directory")
    runs = [read_run(d) for d in run_dirs]
    _unique_names(runs)
    _prepare_out(out, opt.overwrite)
    stats = C.Stats(
        near_dup_threshold=opt.minhash.threshold,
        minhash=(
            f"MinHash {opt.minhash.perms} permutations over {opt.minhash.shingle}-token shingles, "
            f"LSH {opt.minhash.bands}x{opt.minhash.rows}"
        ),
    )

    # ---- pass 1: gate, hashes, signatures ----------------------------------------------
    keys: list[_Key] = []
    sigs_by_sha: dict[tuple[str, str], Any] = {}  # (origin, source hash) -> signature
    seen_pairs: set[str] = set()
    unparsable: dict[tuple[int, int], str] = {}  # gate rejects only pass 1 can see
    per_run: list[Counter[str]] = [Counter() for _ in runs]

    def gated() -> Iterator[tuple[tuple[int, int, str], DigestIn]]:
        for ri, run in enumerate(runs):
            for c in iter_cases(ri, run, with_code=False):
                stats.cases += 1
                per_run[ri]["cases"] += 1
                reason = reject_reason(c)
                if reason is not None:
                    _count_reject(stats, c.verdict, reason)
                    continue
                sess = run.session(c.session)
                item = DigestIn(str(c.case["source"]), c.kernel_name, sess.warp_version, sess.codegen_options)
                yield (ri, c.seed, c.family), item

    for (ri, seed, family), d in digest_stream(gated(), opt.minhash, opt.jobs):
        if d.error:
            unparsable[(ri, seed)] = f"source does not parse: {d.error}"
            _count_reject(stats, "verified", unparsable[(ri, seed)])
            continue
        stats.passed_gate += 1
        per_run[ri]["verified"] += 1
        if d.pair in seen_pairs:
            stats.exact_duplicates += 1
            continue
        seen_pairs.add(d.pair)
        keys.append(_Key(ri, seed, family, d.source_sha, d.pair, d.builtins))
        if (origin_of_family(family), d.source_sha) not in sigs_by_sha:
            sigs_by_sha[(origin_of_family(family), d.source_sha)] = d.signature
    del seen_pairs

    # ---- near-duplicate clusters over distinct sources -------------------------------------
    # harvested (real) and generated kernels are clustered apart, so they never share a split
    # group; exact duplicates across both were dropped above (first in run order kept)
    cluster_key: dict[tuple[str, str], str] = {}
    for origin in sorted({o for o, _ in sigs_by_sha}):
        shas = sorted(s for o, s in sigs_by_sha if o == origin)
        clusters = cluster([sigs_by_sha[(origin, s)] for s in shas], opt.minhash)
        # a cluster's key is its smallest source hash: independent of run order
        prefix = "" if origin == GENERATED else f"{origin}:"
        cluster_key.update({(origin, s): prefix + shas[clusters.root[i]] for i, s in enumerate(shas)})
    stats.unique_sources = len(sigs_by_sha)
    del sigs_by_sha
    rows_per_cluster: Counter[str] = Counter(
        cluster_key[(origin_of_family(k.family), k.source_sha)] for k in keys
    )
    stats.clusters = len(rows_per_cluster)
    stats.largest_cluster = max(rows_per_cluster.values(), default=0)
    stats.near_dup_records = sum(n for n in rows_per_cluster.values() if n > 1)
    kept: dict[tuple[int, int], _Key] = {(k.run, k.seed): k for k in keys}
    del keys

    # ---- pass 2: write rows ---------------------------------------------------------------
    schema = record_schema
    writers = {s: ShardWriter(out, "data", s, opt.fmt, opt.shard_rows, schema) for s in SPLITS}
    rej_writer = (
        ShardWriter(out, "rejects", "rejects", opt.fmt, opt.shard_rows, reject_schema)
        if opt.include_rejects
        else None
    )
    for ri, run in enumerate(runs):
        for c in iter_cases(ri, run, with_code=True):
            k = kept.get((ri, c.seed))
            sess = run.session(c.session)
            if k is None:
                if rej_writer is not None:
                    reason = reject_reason(c) or unparsable.get((ri, c.seed))
                    if reason is not None:
                        rej_writer.write(build_reject(c, run, sess, reason))
                        stats.rejects_written += 1
                continue
            group = cluster_key[(origin_of_family(k.family), k.source_sha)]
            split = split_of(group, opt.fractions)
            row = build_record(
                c, run, sess, pair=k.pair, source_sha=k.source_sha, builtins=k.builtins, split=split,
                split_group=group[:16], cluster_size=rows_per_cluster[group],
            )  # fmt: skip
            writers[split].write(row)
            _account(stats, row)
    files: list[ShardFile] = []
    for s in SPLITS:
        files += writers[s].close()
    if rej_writer is not None:
        files += rej_writer.close()

    for ri, run in enumerate(runs):
        stats.runs.append(
            {"name": run.name, "path": run.path, "cases": per_run[ri]["cases"], "verified": per_run[ri]["verified"],
             "sessions": len(run.sessions), "notes": run.notes}
        )  # fmt: skip
    figure = None
    if opt.coverage_figure:
        from fuzz.report import coverage_png  # matplotlib: only when asked

        figure = os.path.basename(coverage_png([r.path for r in runs], os.path.join(out, COVERAGE_PNG)))
    with open(os.path.join(out, "README.md"), "w", encoding="utf-8") as f:
        f.write(C.render(stats, record_schema(), opt.fmt, opt.include_rejects, root=out, figure=figure))
    entries = [file_entry(out, sf.path, sf.rows, sf.split) for sf in files]
    entries.append(file_entry(out, "README.md", None, None))
    if figure:
        entries.append(file_entry(out, figure, None, None))
    manifest = {
        "export_format_version": EXPORT_FORMAT_VERSION,
        "format": opt.fmt,
        "created_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "rows": {s: int(stats.rows.get(s, 0)) for s in SPLITS},
        "rejects_rows": stats.rejects_written if opt.include_rejects else None,
        "files": entries,
        "warp_versions": sorted(stats.warp_versions),
        "generator_versions": sorted(stats.generator_versions),
        "devices": sorted(stats.devices),
        "codegen_options": sorted(stats.codegen_options),
        "exporting_warp_version": str(warp.__version__),
        "runs": stats.runs,
        "dedup": {
            "cases": stats.cases,
            "passed_gate": stats.passed_gate,
            "exact_duplicates": stats.exact_duplicates,
            "unique_sources": stats.unique_sources,
            "clusters": stats.clusters,
            "near_dup_rows": stats.near_dup_records,
            "largest_cluster": stats.largest_cluster,
            "minhash": stats.minhash,
            "threshold": stats.near_dup_threshold,
        },
        "split_fractions": list(opt.fractions),
    }
    write_manifest(out, manifest)
    return ExportResult(out, stats, files, manifest, time.perf_counter() - t0)


def _count_reject(stats: C.Stats, verdict: str, reason: str) -> None:
    if verdict == "verified":
        stats.gate_rejects[reason.split(":")[0]] += 1
        stats.rejects["verified (refused by export gate)"] += 1
    else:
        stats.rejects[verdict] += 1


def _account(stats: C.Stats, row: dict[str, Any]) -> None:
    stats.rows[row["split"]] += 1
    stats.family_split[(row["family"], row["split"])] += 1
    stats.builtins.update(row["builtins"])
    stats.python_chars.append(len(row["python"]))
    if row["cpp_forward"]:
        stats.cpp_chars.append(len(row["cpp_forward"]))
    stats.with_backward += bool(row["cpp_backward"] or row["cuda_backward"])
    stats.with_cuda += bool(row["cuda_forward"])
    stats.warp_versions[str(row["warp_version"])] += 1
    stats.generator_versions[str(row["generator_version"])] += 1
    stats.devices.update(ch["device"] for ch in row["checks"])
    stats.codegen_options[json.dumps(row["codegen_options"], sort_keys=True)] += 1
    stats.gradients[str(row["gradient_check"] or "not checked")] += 1
    stats.origin_split[(origin_of_family(row["family"]), row["split"])] += 1
    if row.get("origin"):
        stats.licences[str(row["origin"].get("licence") or "unknown")] += 1
