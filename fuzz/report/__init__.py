"""Campaign report: one self-contained HTML page (coverage of Warp, verdicts, findings, throughput,
memory, settings) from one or more run directories, and its figures as PNG files.

`write_report` renders the page; `coverage_png` writes the coverage figure alone, for the
dataset card.
"""

from __future__ import annotations

from fuzz.report.build import ReportError, coverage_png, write_report

__all__ = ["ReportError", "coverage_png", "write_report"]
