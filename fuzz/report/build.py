"""Put the report together: load the runs, count, draw, render, write (and the PNGs)."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

from fuzz.report.collect import CollectError, RunData, load_runs


class ReportError(RuntimeError):
    """The report cannot be made as asked; the message names the path and what to do."""


@dataclass(frozen=True)
class ReportSummary:
    """What was written, for the command's closing lines."""

    path: str
    runs: int
    kernels: int
    findings: int
    new_findings: int
    builtins_reached: int
    builtins: int
    pngs: list[str]


def _runs(run_dirs: list[str]) -> list[RunData]:
    for d in run_dirs:
        if not os.path.isdir(d):
            raise ReportError(f"{d}: no such directory (pass a campaign's --out directory)")
    try:
        return load_runs(run_dirs)
    except CollectError as e:
        raise ReportError(str(e)) from e


def write_report(run_dirs: list[str], out: str, png_dir: str | None = None) -> ReportSummary:
    """Write the self-contained page to `out` (and every figure to `png_dir` when given)."""
    import fuzz.report.figures as F
    from fuzz.report.coverage import compute
    from fuzz.report.findings import collect
    from fuzz.report.html import Page, render

    runs = _runs(run_dirs)
    cov = compute(runs)
    share = F.written_share(runs)
    missing = sum(1 for run in runs for r in run.cases if r.written is None and r.verdict != "compile_error")
    pngs = [F.coverage_figure(cov), *F.verdict_figures(runs)]
    for extra in (F.written_figure(share), F.throughput_figure(runs), F.memory_figure(runs)):
        if extra is not None:
            pngs.append(extra)
    figs = {os.path.splitext(p.name)[0]: p for p in pngs}
    out_dir = os.path.dirname(os.path.abspath(out))
    page = Page(runs=runs, coverage=cov, findings=collect(runs), figures=figs, out_dir=out_dir)
    text = render(page, share, missing, time.time())
    os.makedirs(out_dir, exist_ok=True)
    tmp = f"{out}.tmp{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, out)
    written: list[str] = []
    if png_dir:
        os.makedirs(png_dir, exist_ok=True)
        for p in pngs:
            path = os.path.join(png_dir, p.name)
            with open(path, "wb") as fb:
                fb.write(p.data)
            written.append(path)
    return ReportSummary(
        path=out, runs=len(runs), kernels=cov.kernels, findings=len(page.findings),
        new_findings=sum(1 for f in page.findings if f.new),
        builtins_reached=sum(1 for t in cov.builtins.values() if t.used), builtins=len(cov.builtins),
        pngs=written,
    )  # fmt: skip


def coverage_png(run_dirs: list[str], path: str) -> str:
    """Write the coverage figure (builtins, constructs, families reached and verified, against the
    installed Warp's builtin table) of these runs to `path`, for the dataset card; returns `path`."""
    from fuzz.report.coverage import compute
    from fuzz.report.figures import coverage_figure

    png = coverage_figure(compute(_runs(run_dirs)))
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "wb") as f:
        f.write(png.data)
    return path
