"""The dataset card (`README.md`): a YAML header loaders read, then statistics people read.

The YAML is emitted by a tiny block-style writer whose scalars are JSON strings/numbers (valid
YAML), so no YAML library is needed to write it. Histograms are text: they render everywhere and
need no plotting dependency.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from fuzz.export.split import SPLITS

LICENSE = "apache-2.0"


@dataclass
class Stats:
    """Everything the card reports, gathered while exporting."""

    runs: list[dict[str, Any]] = field(default_factory=list)
    cases: int = 0
    passed_gate: int = 0
    rejects: Counter[str] = field(default_factory=Counter)
    gate_rejects: Counter[str] = field(default_factory=Counter)
    exact_duplicates: int = 0
    unique_sources: int = 0
    clusters: int = 0
    near_dup_records: int = 0
    largest_cluster: int = 0
    near_dup_threshold: float = 0.0
    minhash: str = ""
    rows: Counter[str] = field(default_factory=Counter)
    family_split: Counter[tuple[str, str]] = field(default_factory=Counter)
    builtins: Counter[str] = field(default_factory=Counter)
    python_chars: list[int] = field(default_factory=list)
    cpp_chars: list[int] = field(default_factory=list)
    with_backward: int = 0
    with_cuda: int = 0
    warp_versions: Counter[str] = field(default_factory=Counter)
    generator_versions: Counter[str] = field(default_factory=Counter)
    devices: Counter[str] = field(default_factory=Counter)
    codegen_options: Counter[str] = field(default_factory=Counter)
    gradients: Counter[str] = field(default_factory=Counter)
    rejects_written: int = 0
    origin_split: Counter[tuple[str, str]] = field(default_factory=Counter)  # (real|generated, split)
    licences: Counter[str] = field(default_factory=Counter)  # licences of the real rows


# ---- YAML ---------------------------------------------------------------------------------
def _scalar(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return json.dumps(v)
    return json.dumps(str(v), ensure_ascii=False)


def to_yaml(value: Any, indent: int = 0) -> str:
    """Block-style YAML for dicts/lists of scalars (keys must be plain identifiers)."""
    pad = " " * indent
    lines: list[str] = []
    if isinstance(value, dict):
        for k, v in value.items():
            if isinstance(v, dict | list) and v:
                lines.append(f"{pad}{k}:")
                lines.append(to_yaml(v, indent + 2))
            else:
                lines.append(f"{pad}{k}: {_scalar(v) if not isinstance(v, dict | list) else json.dumps(v)}")
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, dict) and item:
                body = to_yaml(item, indent + 2).split("\n")
                lines.append(f"{pad}- {body[0].lstrip()}")
                lines.extend(body[1:])
            elif isinstance(item, list) and item:
                lines.append(f"{pad}-")
                lines.append(to_yaml(item, indent + 2))
            else:
                lines.append(
                    f"{pad}- {_scalar(item) if not isinstance(item, dict | list) else json.dumps(item)}"
                )
    else:
        lines.append(pad + _scalar(value))
    return "\n".join(lines)


def _arrow_to_hf(t: Any) -> dict[str, Any]:
    """Hugging Face `features` entry (without the name) for an Arrow type."""
    import pyarrow as pa

    if pa.types.is_list(t):
        inner = t.value_type
        if pa.types.is_struct(inner):
            return {"list": [{"name": f.name, **_arrow_to_hf(f.type)} for f in inner]}
        return {"sequence": _arrow_to_hf(inner).get("dtype", "string")}
    if pa.types.is_struct(t):
        return {"struct": [{"name": f.name, **_arrow_to_hf(f.type)} for f in t]}
    names = {"string": "string", "int64": "int64", "double": "float64", "bool": "bool"}
    return {"dtype": names.get(str(t), str(t))}


def features(schema: Any) -> list[dict[str, Any]]:
    return [{"name": f.name, **_arrow_to_hf(f.type)} for f in schema]


def size_category(n: int) -> str:
    for limit, name in (
        (1_000, "n<1K"),
        (10_000, "1K<n<10K"),
        (100_000, "10K<n<100K"),
        (1_000_000, "100K<n<1M"),
    ):
        if n < limit:
            return name
    return "1M<n<10M"


def split_sizes(root: str, fmt: str) -> dict[str, tuple[int, int]]:
    """(Arrow bytes, file bytes) of each split's shards under `root`/data: `num_bytes` is what the
    split takes in memory once loaded (what `datasets` records), the file bytes what is downloaded."""
    import glob
    import os

    import pyarrow as pa

    out: dict[str, tuple[int, int]] = {}
    for s in SPLITS:
        arrow = files = 0
        for path in sorted(glob.glob(os.path.join(root, "data", f"{s}-*.{fmt}"))):
            files += os.path.getsize(path)
            if fmt == "parquet":
                import pyarrow.parquet as pq

                arrow += pq.read_table(path).nbytes
            else:
                with open(path, encoding="utf-8") as f:
                    rows = [json.loads(line) for line in f if line.strip()]
                arrow += pa.Table.from_pylist(rows).nbytes if rows else 0
        out[s] = (int(arrow), int(files))
    return out


def _loadable(stats: Stats) -> list[str]:
    """Splits the card names: those with rows (`datasets` cannot read an empty split's shard,
    which has no row batch); all of them when the export is empty."""
    have = [s for s in SPLITS if stats.rows.get(s, 0)]
    return have or list(SPLITS)


def code_targets(stats: Stats) -> list[str]:
    """What the export holds besides the Python: C++ always, CUDA only if some row has it."""
    return ["C++", "CUDA"] if stats.with_cuda else ["C++"]


def title(stats: Stats) -> str:
    return f"warpfuzz verified NVIDIA Warp kernels: Python and the {' and '.join(code_targets(stats))} Warp emitted"


def header(
    stats: Stats, schema: Any, fmt: str, rejects: bool, sizes: dict[str, tuple[int, int]] | None = None
) -> dict[str, Any]:
    total = sum(stats.rows.values())
    sizes = sizes or {}
    configs: list[dict[str, Any]] = [
        {
            "config_name": "default",
            "default": True,
            # an empty split's shard has no row batch, which `datasets` cannot read: name only splits with rows
            "data_files": [{"split": s, "path": f"data/{s}-*.{fmt}"} for s in _loadable(stats)],
        }
    ]
    if rejects:
        configs.append(
            {
                "config_name": "rejects",
                "data_files": [{"split": "rejects", "path": f"rejects/rejects-*.{fmt}"}],
            }
        )
    tags = ["code", "nvidia-warp", "cpp"] + (["cuda"] if stats.with_cuda else [])
    info: dict[str, Any] = {
        "config_name": "default",
        "features": features(schema),
        "splits": [
            {"name": s, "num_bytes": sizes.get(s, (0, 0))[0], "num_examples": int(stats.rows.get(s, 0))}
            for s in _loadable(stats)
        ],
    }
    if sizes:
        info["download_size"] = sum(f for _, f in sizes.values())
        info["dataset_size"] = sum(a for a, _ in sizes.values())
    return {
        "license": LICENSE,
        "language": ["code"],
        "pretty_name": title(stats),
        "tags": [*tags, "compilers", "differential-testing"],
        "task_categories": ["text-generation"],
        "size_categories": [size_category(total)],
        "configs": configs,
        "dataset_info": info,
    }


# ---- text statistics -----------------------------------------------------------------------
def _bar(n: int, peak: int, width: int = 30) -> str:
    return "#" * max(1 if n else 0, round(width * n / peak)) if peak else ""


def _percentiles(xs: list[int]) -> str:
    if not xs:
        return "n/a (no rows)"
    s = sorted(xs)

    def q(p: float) -> int:
        return s[min(len(s) - 1, int(p * (len(s) - 1) + 0.5))]

    return f"min {s[0]}, p10 {q(0.1)}, median {q(0.5)}, p90 {q(0.9)}, max {s[-1]} (n={len(s)})"


def length_histogram(xs: list[int], bins: int = 10) -> str:
    """Text histogram over log-spaced bins (lengths span orders of magnitude)."""
    if not xs:
        return "(no rows)"
    import math

    lo, hi = max(1, min(xs)), max(1, max(xs))
    if lo == hi:
        edges = [lo, hi + 1]
    else:
        step = (math.log(hi + 1) - math.log(lo)) / bins
        edges = sorted({int(math.exp(math.log(lo) + i * step)) for i in range(bins)} | {hi + 1})
    counts = [0] * (len(edges) - 1)
    for x in xs:
        for i in range(len(edges) - 1):
            if x < edges[i + 1] or i == len(edges) - 2:
                counts[i] += 1
                break
    peak = max(counts)
    rows = [
        f"{edges[i]:>7}-{edges[i + 1] - 1:<7} {counts[i]:>6} {_bar(counts[i], peak)}"
        for i in range(len(counts))
    ]
    return "\n".join(rows)


def _rate(n: int, d: int) -> str:
    return f"{n} ({100.0 * n / d:.1f}%)" if d else f"{n}"


def render(
    stats: Stats,
    schema: Any,
    fmt: str,
    rejects: bool,
    manifest_name: str = "manifest.json",
    root: str | None = None,
    figure: str | None = None,
) -> str:
    """The card; `root` is the export folder whose shards give the split sizes (written first);
    `figure`: a coverage image beside the card (`export --coverage-figure`), shown under Loading."""
    total = sum(stats.rows.values())
    sizes = split_sizes(root, fmt) if root else None
    targets = " and ".join(code_targets(stats))
    out = ["---", to_yaml(header(stats, schema, fmt, rejects, sizes)), "---", ""]
    out += [
        f"# {title(stats)}",
        "",
        f"Pairs of {_kinds(stats)} NVIDIA Warp kernels (Python) and the {targets} code Warp emitted for them"
        + ("." if stats.with_cuda else " (this export holds no CUDA code: its runs compiled for CPU only)."),
        "Every row passed a differential check: the kernel ran on each listed device and every output",
        "element agreed with an independent NumPy reference interpreter of the kernel's own source, within a",
        "tolerance derived from a per-operation error bound (integers exactly). Cases that failed or could",
        "not be checked are never in these splits"
        + (" (they are in the `rejects` config, with reasons)." if rejects else "."),
        "",
        "Splits are assigned per group (a cluster of near-duplicate kernels, hashed), never per row, so no",
        "near-duplicate pair straddles train and test. See `docs/dataset.md` in warpfuzz for field meanings.",
        "",
        "## Loading",
        "",
        "```python",
        "from datasets import load_dataset",
        'ds = load_dataset("path/to/this/folder")  # splits: train, validation, test',
        "```",
        "",
        "Re-check a sample of rows on this machine's devices: `python -m fuzz export --verify DIR --sample 50`.",
        "",
        *(
            [
                "## Coverage of Warp",
                "",
                f"![Warp builtins, constructs and families the runs reached and verified]({figure})",
                "",
            ]
            if figure
            else []
        ),
        "## Intended use",
        "",
        f"Training and evaluating models that translate or explain Python-to-{targets} lowering in Warp,",
        "compiler-testing research, and as a source of small, checked Warp kernels. Each row says which",
        "Warp release, generator version, devices and codegen options produced it.",
        "",
        "## Limitations",
        "",
        "- Generated kernels are random programs from a grammar (families listed below), not code people",
        "  wrote; their style, names (`k_<seed>`, `v3`) and size distribution differ from real projects.",
        "  Real kernels (family `real`) were checked on inputs synthesized from their signatures, not on",
        "  the data their programs feed them.",
        '- "Verified" means the outputs matched the NumPy reference within its error bounds on the listed',
        "  devices for one input set; it is not a proof of correctness for every input.",
        "- The emitted code belongs to one Warp release each (see Provenance); other releases emit other",
        "  text for the same kernel.",
        "- Near-duplicates are clustered by estimated Jaccard similarity, which can miss some pairs.",
        "",
        "## Licence",
        "",
        f"The card and the generated Python kernels: {LICENSE}. The {targets} text was emitted by",
        "warp-lang's code generator and includes fragments of its templates: it falls under the licence of the",
        "warp-lang release that emitted it (see that release's LICENSE file); check it before redistributing.",
        *(
            ["Real kernels: the licence of their own file, in each row's `origin.licence` (listed below)."]
            if stats.licences
            else []
        ),
        "",
        "## Size",
        "",
        "| split | rows |",
        "| --- | ---: |",
        *[f"| {s} | {stats.rows.get(s, 0)} |" for s in SPLITS],
        f"| total | {total} |",
        "",
        "## How the rows were selected",
        "",
        f"- stored cases read: {stats.cases} from {len(stats.runs)} run(s)",
        f"- passed the verified gate: {_rate(stats.passed_gate, stats.cases)}",
        f"- exact duplicates dropped (same normalized source, Warp version and codegen options): "
        f"{_rate(stats.exact_duplicates, stats.passed_gate)}",
        f"- distinct normalized sources: {stats.unique_sources}",
        f"- near-duplicates ({stats.minhash}, estimated Jaccard >= {stats.near_dup_threshold:g}): "
        f"{_rate(stats.near_dup_records, total)} rows share a cluster with another row; "
        f"{stats.clusters} clusters, the largest has {stats.largest_cluster} rows",
        f"- rows with backward code: {_rate(stats.with_backward, total)}; with CUDA code: {_rate(stats.with_cuda, total)}",
        "- gradient checks (backward code against finite differences of the oracle): "
        + ", ".join(f"{k} {_rate(v, total)}" for k, v in stats.gradients.most_common()),
        "",
    ]
    if stats.rejects:
        out += [
            "Not verified (kept out of the splits), by verdict:",
            "",
            "| verdict | cases |",
            "| --- | ---: |",
        ]
        out += [f"| {k} | {v} |" for k, v in stats.rejects.most_common()]
        out.append("")
    if stats.gate_rejects:
        out += ["Stored as verified but refused by the export gate:", ""]
        out += [f"- {k}: {v}" for k, v in stats.gate_rejects.most_common()]
        out.append("")
    fams = sorted({f for f, _ in stats.family_split})
    out += ["## Families", "", "| family | " + " | ".join(SPLITS) + " | total |", "| --- |" + " ---: |" * 4]
    for f in fams:
        per = [stats.family_split.get((f, s), 0) for s in SPLITS]
        out.append(f"| {f} | " + " | ".join(str(x) for x in per) + f" | {sum(per)} |")
    out.append("")
    out += _origins(stats)
    top = stats.builtins.most_common(40)
    peak = top[0][1] if top else 0
    out += ["## Builtins (rows that call each, top 40)", "", "```"]
    out += [f"{name:<22} {n:>6} {_bar(n, peak)}" for name, n in top] or ["(none)"]
    out += ["```", ""]
    out += [
        "## Lengths (characters)",
        "",
        f"Python source: {_percentiles(stats.python_chars)}",
        "",
        "```",
        length_histogram(stats.python_chars),
        "```",
        "",
        f"C++ forward: {_percentiles(stats.cpp_chars)}",
        "",
        "```",
        length_histogram(stats.cpp_chars),
        "```",
        "",
        "## Provenance",
        "",
        "- Warp versions: " + ", ".join(f"{k} ({v})" for k, v in stats.warp_versions.most_common()),
        "- generator versions: " + ", ".join(f"{k} ({v})" for k, v in stats.generator_versions.most_common()),
        "- devices checked: " + ", ".join(f"{k} ({v})" for k, v in stats.devices.most_common()),
        "- codegen options: " + ", ".join(f"`{k}` ({v})" for k, v in stats.codegen_options.most_common()),
        "- runs: " + ", ".join(f"{r['name']} ({r['cases']} cases)" for r in stats.runs),
        "",
        f"File hashes and row counts: `{manifest_name}`.",
        "",
    ]
    return "\n".join(out)


def _kinds(stats: Stats) -> str:
    """What the rows are: generated, real (harvested) or both."""
    real = sum(n for (o, _), n in stats.origin_split.items() if o == "real")
    if real == 0:
        return "generated"
    everything = sum(stats.origin_split.values())
    return "real (harvested)" if real == everything else "generated and real (harvested)"


def _origins(stats: Stats) -> list[str]:
    """Real (harvested from source files) and generated pairs apart, with the real rows' licences."""
    out = [
        "## Real and generated pairs",
        "",
        "Real pairs are kernels people wrote, harvested from source files (`python -m fuzz harvest`; family",
        "`real`, with `origin`: file, line, licence); generated pairs come from the grammar. The two are",
        "clustered apart, so a real and a generated kernel never share a split group.",
        "",
        "| origin | " + " | ".join(SPLITS) + " | total |",
        "| --- |" + " ---: |" * 4,
    ]
    for origin in ("real", "generated"):
        per = [stats.origin_split.get((origin, s), 0) for s in SPLITS]
        out.append(f"| {origin} | " + " | ".join(str(x) for x in per) + f" | {sum(per)} |")
    out.append("")
    if stats.licences:
        out += [
            "Licences of the real pairs, as found beside each kernel (an SPDX header, else the nearest",
            "LICENSE/COPYING file up the tree); a real row's Python falls under its file's licence:",
            "",
        ]
        out += [f"- {k}: {v}" for k, v in stats.licences.most_common()]
        out.append("")
    return out


def split_front_matter(text: str) -> tuple[str, str]:
    """(YAML header, body) of a card; raises ValueError when there is no `---` header."""
    if not text.startswith("---\n"):
        raise ValueError("dataset card does not start with a '---' YAML header")
    end = text.find("\n---\n", 4)
    if end < 0:
        raise ValueError("dataset card's YAML header is not closed by '---'")
    return text[4:end], text[end + 5 :]
