"""The report's figures, drawn with matplotlib's Agg canvas (no display, no pyplot state) and
returned as PNG bytes; the HTML page inlines them and `--png-dir` writes the same bytes."""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from fuzz.report.collect import RunData
from fuzz.report.coverage import Coverage, Tally
from fuzz.report.timeline import rates

VERDICT_COLOURS: Mapping[str, str] = MappingProxyType(
    {
        "verified": "#1a9850",
        "inconclusive": "#bdbdbd",
        "oracle_unsupported": "#e0e0e0",
        "mismatch": "#d73027",
        "gradient_mismatch": "#fc8d59",
        "setting_mismatch": "#f46d43",
        "compile_error": "#7b3294",
        "launch_error": "#c2a5cf",
        "crash": "#252525",
        "timeout": "#8c510a",
    }
)
EXTRA_COLOURS = ("#4575b4", "#91bfdb", "#fee090", "#762a83", "#01665e", "#b35806")


@dataclass(frozen=True)
class Png:
    """One figure: file name for --png-dir, caption, PNG bytes."""

    name: str
    title: str
    data: bytes


def _png(fig: Figure) -> bytes:
    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
    return buf.getvalue()


def verdict_colour(verdict: str, order: list[str]) -> str:
    if verdict in VERDICT_COLOURS:
        return VERDICT_COLOURS[verdict]
    extra = [v for v in order if v not in VERDICT_COLOURS]
    return EXTRA_COLOURS[extra.index(verdict) % len(EXTRA_COLOURS)] if verdict in extra else "#999999"


def coverage_figure(cov: Coverage) -> Png:
    """Per builtin group (plus constructs and families): names verified at least once, used but
    never verified, never reached."""
    rows: list[tuple[str, int, int, int]] = []
    for group, tallies in sorted(cov.groups().items()):
        rows.append(_split(f"{group} ({len(tallies)})", tallies))
    for label, named in (("constructs", cov.constructs), ("families", cov.families)):
        rows.append(_split(f"{label} ({len(named)})", list(named.values())))
    fig = Figure(figsize=(8, 0.32 * len(rows) + 1.2))
    ax = fig.add_subplot()
    labels = [r[0] for r in rows][::-1]
    left: list[int] = [0] * len(rows)
    for k, (what, colour) in enumerate(
        (
            ("verified at least once", "#1a9850"),
            ("used, never verified", "#fc8d59"),
            ("never reached", "#d9d9d9"),
        )
    ):
        vals = [int(r[k + 1]) for r in rows][::-1]
        ax.barh(labels, vals, left=left, color=colour, label=what)
        left = [a + b for a, b in zip(left, vals, strict=True)]
    ax.set_xlabel("names")
    ax.set_title(
        f"Coverage of warp {cov.warp_version}'s builtins, constructs and families ({cov.kernels} kernels)"
    )
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)
    ax.tick_params(axis="y", labelsize=8)
    return Png("coverage.png", "Coverage of Warp", _png(fig))


def _split(label: str, tallies: list[Tally]) -> tuple[str, int, int, int]:
    ok = sum(1 for t in tallies if t.verified)
    used = sum(1 for t in tallies if t.used and not t.verified)
    return label, ok, used, len(tallies) - ok - used


def _stacked(title: str, name: str, xlabel: str, table: dict[str, Counter[str]]) -> Png:
    cats = sorted(table)
    verdicts = sorted({v for c in table.values() for v in c}, key=lambda v: (v != "verified", v))
    fig = Figure(figsize=(max(5.0, 0.55 * len(cats) + 2), 4))
    ax = fig.add_subplot()
    bottom = [0] * len(cats)
    for v in verdicts:
        vals = [table[c][v] for c in cats]
        ax.bar(cats, vals, bottom=bottom, color=verdict_colour(v, verdicts), label=v)
        bottom = [a + b for a, b in zip(bottom, vals, strict=True)]
    ax.set_ylabel("kernels")
    ax.set_xlabel(xlabel)
    ax.set_title(title)
    ax.tick_params(axis="x", labelrotation=45, labelsize=8)
    if verdicts:
        ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    else:
        ax.text(0.5, 0.5, "no cases stored", ha="center", va="center", transform=ax.transAxes)
    return Png(name, title, _png(fig))


def verdict_figures(runs: list[RunData]) -> list[Png]:
    by_family: dict[str, Counter[str]] = {}
    by_device: dict[str, Counter[str]] = {}
    for run in runs:
        for r in run.cases:
            by_family.setdefault(r.family, Counter())[r.verdict] += 1
            by_device.setdefault(run.case_device(r), Counter())[r.verdict] += 1
    return [
        _stacked("Verdicts per family", "verdicts_family.png", "family", by_family),
        _stacked("Verdicts per device (where the verdict arose)", "verdicts_device.png", "device", by_device),
    ]


def written_share(runs: list[RunData]) -> dict[str, tuple[int, int]]:
    """family -> (written, compared) over cases whose checks carry the counts."""
    out: dict[str, tuple[int, int]] = {}
    for run in runs:
        for r in run.cases:
            if r.written is None or r.compared is None:
                continue
            w, c = out.get(r.family, (0, 0))
            out[r.family] = (w + r.written, c + r.compared)
    return out


def written_figure(share: dict[str, tuple[int, int]]) -> Png | None:
    fams = sorted(f for f, (w, _) in share.items() if w)
    if not fams:
        return None
    fig = Figure(figsize=(max(5.0, 0.55 * len(fams) + 2), 3.5))
    ax = fig.add_subplot()
    vals = [100.0 * share[f][1] / share[f][0] for f in fams]
    ax.bar(fams, vals, color="#4575b4")
    ax.set_ylim(0, 105)
    ax.set_ylabel("% of written elements compared")
    ax.set_title("Written elements compared (the rest: unstable under rounding)")
    ax.tick_params(axis="x", labelrotation=45, labelsize=8)
    return Png("written_compared.png", "Share of written elements compared", _png(fig))


def throughput_figure(runs: list[RunData]) -> Png | None:
    series = [(run.name, rates(run)) for run in runs]
    series = [(n, s) for n, s in series if s]
    if not series:
        return None
    fig = Figure(figsize=(10, 3.6))
    cum, rate = fig.subplots(1, 2)
    for name, pts in series:
        t = [p.t_s for p in pts]
        (line,) = cum.plot([0.0, *t], [0, *(p.kernels for p in pts)], label=f"{name}: kernels")
        cum.plot([0.0, *t], [0, *(p.verified for p in pts)], linestyle="--", color=line.get_color(),
                 label=f"{name}: verified")  # fmt: skip
        rate.plot(
            t, [p.kernels_per_s for p in pts], marker=".", color=line.get_color(), label=f"{name}: kernels/s"
        )
        rate.plot(t, [p.verified_per_s for p in pts], marker=".", linestyle="--", color=line.get_color(),
                  label=f"{name}: verified/s")  # fmt: skip
    cum.set_title("Kernels done")
    rate.set_title("Throughput (trailing window of batches)")
    for ax, ylabel in ((cum, "kernels"), (rate, "per second")):
        ax.set_xlabel("campaign time (s, sessions back to back)")
        ax.set_ylabel(ylabel)
        ax.set_xlim(left=0)
        ax.set_ylim(bottom=0)
        ax.legend(fontsize=8)
    fig.tight_layout()
    return Png("throughput.png", "Throughput", _png(fig))


def memory_history(run: RunData) -> dict[str, list[list[float]]]:
    """worker -> [[t_s, batch, peak_kb, rss_kb], ...] from summary.json (the last session)."""
    mem = ((run.summary or {}).get("session") or {}).get("worker_memory") or {}
    hist = mem.get("history") or {}
    return {str(w): pts for w, pts in hist.items() if isinstance(pts, list) and pts}


def memory_figure(runs: list[RunData]) -> Png | None:
    series = [(run.name, memory_history(run)) for run in runs]
    if not any(h for _, h in series):
        return None
    fig = Figure(figsize=(8, 3.5))
    ax = fig.add_subplot()
    for name, hist in series:
        for w, pts in sorted(hist.items()):
            t = [p[0] for p in pts]
            (line,) = ax.plot(
                t, [p[3] / 1024 for p in pts], marker="o", ms=3, label=f"{name} worker {w}: RSS"
            )
            ax.plot(t, [p[2] / 1024 for p in pts], linestyle=":", color=line.get_color(),
                    label=f"{name} worker {w}: batch peak")  # fmt: skip
    ax.set_xlabel("session time (s)")
    ax.set_ylabel("MiB")
    ax.set_title("Worker memory (summary.json, last session)")
    ax.legend(fontsize=8)
    return Png("worker_memory.png", "Worker memory", _png(fig))
