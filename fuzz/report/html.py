"""HTML rendering of the report: one page, styles inline, figures as base64 PNG data URLs, no
script and no external reference, so it opens the same offline, attached to an issue or mailed."""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
from collections import Counter
from dataclasses import dataclass
from html import escape
from typing import Any

from fuzz.report.collect import RunData
from fuzz.report.coverage import Coverage, Tally
from fuzz.report.figures import Png
from fuzz.report.findings import Finding

SECTIONS = (
    ("coverage", "Coverage of Warp"),
    ("verdicts", "Verdicts"),
    ("findings", "Findings"),
    ("throughput", "Throughput and memory"),
    ("settings", "Settings, Warp, devices, machine"),
)

CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:0 auto;max-width:1200px;padding:0 20px 40px;color:#222}
h1{margin:18px 0 4px} h2{border-bottom:2px solid #ddd;padding-bottom:3px;margin-top:34px}
h3{margin:18px 0 6px} nav a{margin-right:14px} .muted{color:#666}
table{border-collapse:collapse;margin:6px 0 12px;font-size:13px}
td,th{border:1px solid #ddd;padding:3px 7px;text-align:left;vertical-align:top}
th{background:#f4f4f4} td.n{text-align:right;font-variant-numeric:tabular-nums}
.cells{display:flex;flex-wrap:wrap;gap:3px;margin:4px 0 10px}
.cell{border:1px solid #bbb;border-radius:3px;padding:1px 5px;font:12px ui-monospace,monospace}
.cell .c{color:#333;margin-left:4px;font-size:11px} .cell.hidden{font-style:italic}
.cell.unused{background:#f3f3f3;color:#999;border-style:dashed}
.legend span{display:inline-block;width:12px;height:12px;border:1px solid #999;vertical-align:middle}
code,pre{font:12px ui-monospace,monospace} pre.msg{white-space:pre-wrap} pre{background:#f7f7f7;border:1px solid #e3e3e3;padding:8px;overflow:auto}
.never code{margin-right:6px;display:inline-block}
.finding{border:1px solid #ddd;border-radius:4px;padding:4px 12px 10px;margin:14px 0}
.badge{border-radius:3px;padding:0 6px;font-size:12px;color:#fff;background:#777}
.badge.new{background:#d73027} img{max-width:100%}
"""


@dataclass(frozen=True)
class Page:
    runs: list[RunData]
    coverage: Coverage
    findings: list[Finding]
    figures: dict[str, Png]
    out_dir: str  # where the page is written: corpus links are relative to it


def _img(png: Png | None) -> str:
    if png is None:
        return ""
    b64 = base64.b64encode(png.data).decode("ascii")
    return f'<figure><img alt="{escape(png.title)}" src="data:image/png;base64,{b64}"></figure>'


def _table(head: list[str], rows: list[list[Any]], num: set[int] | None = None, attrs: str = "") -> str:
    num = num or set()
    h = "".join(f"<th>{escape(x)}</th>" for x in head)
    body = []
    for r in rows:
        cells = "".join(f"<td{' class=n' if i in num else ''}>{_cell(v)}</td>" for i, v in enumerate(r))
        body.append(f"<tr>{cells}</tr>")
    return f"<table{attrs}><thead><tr>{h}</tr></thead><tbody>{''.join(body)}</tbody></table>"


class Raw(str):
    """Already-escaped HTML for a table cell."""


def _cell(v: Any) -> str:
    if isinstance(v, Raw):
        return str(v)
    if isinstance(v, float):
        return escape(f"{v:.4g}")
    return escape("" if v is None else str(v))


def _when(t: float | None) -> str:
    if t is None:
        return ""
    return dt.datetime.fromtimestamp(t, dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _colour(t: Tally, top: int) -> str:
    """matplotlib's RdYlGn at the verified share (red: none verified, green: all), paler for
    fewer kernels (log scale up to the most used name)."""
    import math

    from matplotlib import colormaps

    r, g, b, _ = colormaps["RdYlGn"](0.1 + 0.8 * (t.share or 0.0))
    strength = 0.35 + 0.65 * (math.log1p(t.used) / math.log1p(max(top, 1)))
    rgb = [round(255 + (255 * c - 255) * strength) for c in (r, g, b)]
    return f"rgb({rgb[0]},{rgb[1]},{rgb[2]})"


def _cells(tallies: list[Tally], kind: str, top: int) -> str:
    out = []
    for t in sorted(tallies, key=lambda t: t.name):
        cls = "cell" + (" hidden" if t.hidden else "") + ("" if t.used else " unused")
        style = f' style="background:{_colour(t, top)}"' if t.used else ""
        tip = f"{t.name}: {t.used} kernel(s) used it, {t.verified} verified" + (
            " (internal to Warp's codegen)" if t.hidden else ""
        )
        out.append(
            f'<span class="{cls}" data-kind="{kind}" data-name="{escape(t.name)}" data-used="{t.used}" '
            f'data-verified="{t.verified}" title="{escape(tip)}"{style}>{escape(t.name)}'
            f'<span class="c">{t.used}/{t.verified}</span></span>'
        )
    return f'<div class="cells">{"".join(out)}</div>'


def _never(tallies: list[Tally], ident: str, what: str) -> str:
    """The names no kernel used, listed (what: the plural, e.g. "families")."""
    names = sorted(t.name for t in tallies if not t.used)
    if not names:
        return f'<p id="{ident}" class="never">All {len(tallies)} {what} were reached.</p>'
    items = ", ".join(f"<code>{escape(n)}</code>" for n in names)
    return f'<p id="{ident}" class="never"><b>{len(names)} {what} never reached:</b> {items}</p>'


def coverage_section(p: Page) -> str:
    cov = p.coverage
    parts = [
        f"<p>{cov.kernels} kernels against the builtin table of the installed warp {escape(cov.warp_version)} "
        f"({len(cov.builtins)} builtins). Each cell reads <code>name used/verified</code>: how many kernels "
        "used it and how many of those verified. Colour: green when all of them verified, red when none "
        "did, paler for fewer kernels; grey dashed: never reached. Italic names are Warp's hidden builtins "
        "(codegen internals such as <code>assign_inplace</code>).</p>",
        _img(p.figures.get("coverage")),
    ]
    top = max((t.used for t in cov.builtins.values()), default=1)
    parts.append("<h3>Builtins</h3>")
    for group, tallies in sorted(cov.groups().items()):
        used = sum(1 for t in tallies if t.used)
        parts.append(f"<h4>{escape(group)} <span class=muted>({used} of {len(tallies)} reached)</span></h4>")
        parts.append(_cells(tallies, "builtin", top))
    public = [t for t in cov.builtins.values() if not t.hidden]
    hidden = [t for t in cov.builtins.values() if t.hidden]
    parts.append(_never(public, "never-builtins", "public builtins"))
    parts.append(_never(hidden, "never-hidden", "hidden (internal) builtins"))
    ctop = max((t.used for t in cov.constructs.values()), default=1)
    parts.append("<h3>Constructs</h3><p class=muted>Python operators and Warp type constructors.</p>")
    by_group: dict[str, list[Tally]] = {}
    for t in cov.constructs.values():
        by_group.setdefault(t.group, []).append(t)
    for group, tallies in sorted(by_group.items()):
        parts.append(f"<h4>{escape(group)}</h4>" + _cells(tallies, "construct", ctop))
    parts.append(_never(list(cov.constructs.values()), "never-constructs", "constructs"))
    ftop = max((t.used for t in cov.families.values()), default=1)
    parts.append("<h3>Families</h3>" + _cells(list(cov.families.values()), "family", ftop))
    parts.append(_never(list(cov.families.values()), "never-families", "families"))
    return "".join(parts)


def verdicts_section(p: Page, share: dict[str, tuple[int, int]], missing_counts: int) -> str:
    fams: dict[str, Counter[str]] = {}
    for run in p.runs:
        for r in run.cases:
            fams.setdefault(r.family, Counter())[r.verdict] += 1
    verdicts = sorted({v for c in fams.values() for v in c}, key=lambda v: (v != "verified", v))
    rows = [[f, *(c[v] for v in verdicts), sum(c.values())] for f, c in sorted(fams.items())]
    total = Counter[str]()
    for c in fams.values():
        total.update(c)
    rows.append([Raw("<b>all</b>"), *(total[v] for v in verdicts), sum(total.values())])
    parts = [
        _img(p.figures.get("verdicts_family")),
        _img(p.figures.get("verdicts_device")),
        _table(
            ["family", *verdicts, "kernels"], rows, set(range(1, len(verdicts) + 2)), ' id="verdict-table"'
        ),
        "<h3>Written elements compared</h3>",
    ]
    w = sum(x for x, _ in share.values())
    k = sum(y for _, y in share.values())
    if w:
        parts.append(
            f'<p id="written-share">{k} of {w} written elements compared ({100.0 * k / w:.2f}%); the rest '
            "were unstable under rounding and skipped. Elements a launch only reads are not counted.</p>"
        )
        parts.append(_img(p.figures.get("written_compared")))
        rows2 = [
            [f, sw, sc, f"{100.0 * sc / sw:.2f}%" if sw else ""] for f, (sw, sc) in sorted(share.items())
        ]
        parts.append(_table(["family", "written", "compared", "share"], rows2, {1, 2, 3}))
    else:
        parts.append('<p id="written-share">No check in these stores records written/compared counts.</p>')
    if missing_counts:
        parts.append(
            f"<p>{missing_counts} case(s) carry no written/compared counts: their store predates those "
            "counts (or nothing was compared), so they are left out of the share.</p>"
        )
    return "".join(parts)


def _link(path: str, out_dir: str, text: str) -> Raw:
    rel = os.path.relpath(path, out_dir).replace(os.sep, "/")
    return Raw(f'<a href="{escape(rel)}">{escape(text)}</a>')


def _finding(k: int, f: Finding, out_dir: str) -> str:
    badge = '<span class="badge new">new</span> ' if f.new else '<span class="badge">seen before</span> '
    fams = ", ".join(f"{a}={n}" for a, n in sorted(f.families.items(), key=lambda x: -x[1]))
    head = (
        f"<h3>#{k} {badge}{escape(f.verdict)} at {escape(f.stage)} "
        f"<span class=muted>[{escape(f.digest)}] {f.count} case(s)</span></h3>"
        f"<p>devices <code>{escape(f.devices or '-')}</code>; kind <code>{escape(f.kind or '-')}</code>; "
        f"families {escape(fams)}; first seen {_when(f.first_seen)}<br>constructs on the failing path: "
        f"<code>{escape(', '.join(f.constructs) or '-')}</code></p>"
    )
    rows = []
    for part in f.parts:
        seeds = ", ".join(map(str, part.seeds[:8])) + (" ..." if len(part.seeds) > 8 else "")
        links: list[str] = []
        if part.folder:
            links.append(_link(part.folder, out_dir, "folder"))
            links.append(_link(os.path.join(part.folder, "repro.py"), out_dir, "repro.py"))
            if part.reduced:
                links.append(_link(os.path.join(part.folder, "reduced"), out_dir, "reduced/"))
                links.append(
                    _link(os.path.join(part.folder, "reduced", "repro.py"), out_dir, "reduced/repro.py")
                )
        rows.append([part.run, part.count, seeds, part.first_session, "yes" if part.new else "no",
                     Raw(" ".join(links) or "no corpus folder")])  # fmt: skip
    body = [head, _table(["run", "cases", "seeds", "first session", "new", "corpus"], rows, {1, 3})]
    of = " of the reduced kernel" if f.evidence_reduced else ""
    if f.observed:
        obs = [
            [a.get("device", ""), a.get("name", ""), a.get("dtype", ""), json.dumps(a.get("worst_index")),
             json.dumps(a.get("observed")), json.dumps(a.get("expected")), a.get("max_abs_err"),
             a.get("tolerance"), f"{a.get('bad', '?')} of {a.get('checked', '?')}"]
            for a in f.observed
        ]  # fmt: skip
        body.append(f"<p><b>observed vs expected</b>{of} (worst element of each differing array):</p>")
        body.append(
            _table(
                ["device", "array", "dtype", "index", "observed", "expected", "|err|", "tolerance", "bad"],
                obs,
            )
        )
    if f.gradient:
        grad = [
            [g.get("device", ""), g.get("where", ""), g.get("warp", ""), g.get("fd", ""), g.get("error"),
             g.get("tolerance"), ", ".join(g.get("known_gaps") or []) or g.get("limitation") or ""]
            for g in f.gradient
        ]  # fmt: skip
        body.append(
            f"<p><b>observed vs expected</b>{of} (gradient: Warp's adjoint vs finite differences of the oracle):</p>"
        )
        body.append(
            _table(["device", "at", "Warp", "finite differences", "|err|", "tolerance", "known gap"], grad)
        )
    for known in f.known:
        body.append(
            f"<p><b>known difference</b> <code>{escape(str(known.get('label', '')))}</code>: "
            f"{escape(str(known.get('title', '')))}; releases: {escape(str(known.get('releases', '')))}; "
            f"reference: {escape(str(known.get('reference', '')))}</p>"
        )
    if f.message:
        body.append(f"<p><b>message</b> (seed {f.seed})</p><pre class=msg>{escape(f.message[:4000])}</pre>")
    if f.bisect:
        for b in f.bisect:
            brow = [[r.get("version", ""), r.get("status", ""), r.get("verdict", ""), r.get("note", "")]
                    for r in b.get("rows", [])]  # fmt: skip
            failing = [r[0] for r in brow if r[1] == "failing"]
            body.append(
                f"<p><b>affected releases</b> (bisect): failing on {escape(', '.join(failing) or 'none')}; "
                f"first failing {escape(str(b.get('first_failing')))}, last failing "
                f"{escape(str(b.get('last_failing')))}</p>"
            )
            body.append(_table(["warp", "result", "verdict", "note"], brow))
    else:
        body.append("<p class=muted>not bisected (no bisect.json saved with this finding).</p>")
    label = "reduced kernel" if f.source_is_reduced else "kernel"
    body.append(f"<p><b>{label}</b> (seed {f.seed})</p><pre><code>{escape(f.source)}</code></pre>")
    return f'<article class="finding" id="finding-{escape(f.digest)}">{"".join(body)}</article>'


def findings_section(p: Page) -> str:
    if not p.findings:
        return "<p>No failures: every case verified, or was a gap (inconclusive, oracle_unsupported).</p>"
    new = sum(1 for f in p.findings if f.new)
    total = sum(f.count for f in p.findings)
    intro = (
        f"<p>{len(p.findings)} unique signature(s) over {total} failing case(s); {new} new (first seen in "
        "the latest session of their run). Groups from <code>python -m fuzz triage</code>, merged across "
        "runs by signature; links are relative to this page.</p>"
    )
    return intro + "".join(_finding(k, f, p.out_dir) for k, f in enumerate(p.findings, 1))


def throughput_section(p: Page) -> str:
    rows = []
    for run in p.runs:
        elapsed = sum(s.elapsed_s for s in run.sessions)
        n = len(run.cases)
        ok = sum(1 for r in run.cases if r.verdict == "verified")
        rows.append([run.name, len(run.sessions), n, ok, f"{elapsed:.1f}",
                     f"{n / elapsed:.3f}" if elapsed else "", f"{ok / elapsed:.3f}" if elapsed else ""])  # fmt: skip
    parts = [
        _table(
            ["run", "sessions", "kernels", "verified", "elapsed s", "kernels/s", "verified/s"],
            rows,
            {1, 2, 3, 4, 5, 6},
        ),  # fmt: skip
        _img(p.figures.get("throughput")) or "<p>No stored cases, so no throughput.</p>",
        "<h3>Worker memory</h3>",
    ]
    if p.figures.get("worker_memory"):
        parts.append(_img(p.figures["worker_memory"]))
    else:
        parts.append("<p>No worker memory history in summary.json (missing, or written before it).</p>")
    return "".join(parts)


def _pretty(v: Any) -> Raw:
    text = v if isinstance(v, str) else json.dumps(v, indent=1, sort_keys=True)
    return Raw(f"<pre>{escape(text)}</pre>" if "\n" in text else f"<code>{escape(text)}</code>")


def settings_section(p: Page) -> str:
    parts = [f"<p>Builtin table of the installed warp {escape(p.coverage.warp_version)}.</p>"]
    for run in p.runs:
        parts.append(
            f"<h3>{escape(run.name)} <span class=muted>{escape(os.path.abspath(run.run_dir))}</span></h3>"
        )
        parts.append(_table(["meta", "value"], [[k, _pretty(v)] for k, v in run.meta.items()]))
        srows = [[s.id, _when(s.started), _when(s.ended), f"{s.elapsed_s:.1f}", s.budget_s, s.kernels,
                  s.warp_version, ", ".join(s.devices), Raw(f"<code>{escape(' '.join(s.argv))}</code>")]
                 for s in run.sessions]  # fmt: skip
        parts.append(
            _table(
                [
                    "session",
                    "started",
                    "ended",
                    "elapsed s",
                    "budget s",
                    "kernels",
                    "warp",
                    "devices",
                    "argv",
                ],
                srows,
                {0, 3, 4, 5},
            )  # fmt: skip
        )
        if run.summary is None:
            parts.append("<p>No readable summary.json in this run directory.</p>")
            continue
        s = run.summary
        sess = s.get("session") or {}
        facts: list[list[Any]] = [
            ["warp version", s.get("warp_version")],
            ["devices", ", ".join(s.get("devices") or [])],
            ["device facts (machine)", _pretty(s.get("device_facts"))],
            ["generator version", s.get("generator_version")],
            ["workers / restarts / recycled",
             f"{sess.get('workers')} / {sess.get('worker_restarts')} / {sess.get('workers_recycled')}"],
            ["batch", sess.get("batch")],
            ["settings", _pretty(sess.get("settings"))],
            ["stage seconds", _pretty(sess.get("stage_seconds"))],
        ]  # fmt: skip
        parts.append("<p>summary.json (last session):</p>" + _table(["", "value"], facts))
    return "".join(parts)


def render(p: Page, share: dict[str, tuple[int, int]], missing_counts: int, made: float) -> str:
    names = ", ".join(escape(r.name) for r in p.runs)
    bodies = {
        "coverage": coverage_section(p),
        "verdicts": verdicts_section(p, share, missing_counts),
        "findings": findings_section(p),
        "throughput": throughput_section(p),
        "settings": settings_section(p),
    }
    nav = "".join(f'<a href="#{i}">{escape(t)}</a>' for i, t in SECTIONS)
    sections = "".join(f'<section id="{i}"><h2>{escape(t)}</h2>{bodies[i]}</section>' for i, t in SECTIONS)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="data:,">'
        f"<title>warpfuzz report: {names}</title><style>{CSS}</style></head><body>"
        f"<h1>warpfuzz campaign report</h1><p class=muted>runs: {names}; rendered {_when(made)}</p>"
        f"<nav>{nav}</nav>{sections}</body></html>\n"
    )
