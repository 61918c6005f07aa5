"""Live progress (kernels/s, verified, failures by kind, elapsed/remaining) and the final table."""

from __future__ import annotations

import sys
import time
from typing import Any

from rich.console import Console
from rich.live import Live
from rich.table import Table

from fuzz.accounting import Snapshot
from fuzz.budget import format_duration


def _per_device(s: Snapshot) -> str:
    """Kernels each device ran, as "cpu 40 (2.1/s, 2 failed), cuda:0 20 (1.0/s, 1 failed)"."""
    parts = []
    for c in s.per_device():
        rate = f"{c.kernels / s.elapsed_s:.2f}/s, " if s.elapsed_s else ""
        parts.append(f"{c.device} {c.kernels} ({rate}{c.failures} failed)")
    return ", ".join(parts)


def _table(s: Snapshot, title: str) -> Table:
    t = Table(title=title, show_header=False, box=None, pad_edge=False)
    rate = s.kernels / s.elapsed_s if s.elapsed_s else 0.0
    vrate = s.verified / s.elapsed_s if s.elapsed_s else 0.0
    remaining = max(0.0, s.budget_s - s.elapsed_s)
    t.add_row("elapsed / remaining", f"{format_duration(s.elapsed_s)} / {format_duration(remaining)}")
    t.add_row("kernels (this session)", f"{s.kernels}  ({rate:.2f}/s)")
    t.add_row("verified (this session)", f"{s.verified}  ({vrate:.2f}/s)")
    t.add_row("in store (all sessions)", f"{s.total_kernels} kernels, {s.total_verified} verified")
    fails = {k: v for k, v in s.verdicts.items() if k != "verified"}
    t.add_row("not verified", ", ".join(f"{k}={v}" for k, v in sorted(fails.items())) or "none")
    t.add_row("per device (this session)", _per_device(s) or "none yet")
    t.add_row("in flight / worker restarts", f"{s.in_flight} / {s.restarts}")
    if s.worker_rss_kb:
        t.add_row("worker RSS (MiB)", ", ".join(f"w{w} {kb / 1024:.0f}" for w, kb in s.worker_rss_kb.items()))
    if s.phase != "fuzzing":
        t.add_row("phase", s.phase)
    return t


class Progress:
    """A rich live panel on a terminal; a plain line every `interval` seconds otherwise."""

    def __init__(self, enabled: bool = True, interval: float = 15.0) -> None:
        self.console = Console(stderr=True)
        self.live: Live | None = None
        self.enabled = enabled
        self.tty = sys.stderr.isatty()
        self.interval = interval
        self._last = 0.0

    def __enter__(self) -> Progress:
        if self.enabled and self.tty:
            self.live = Live(console=self.console, refresh_per_second=4, transient=False)
            self.live.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.live is not None:
            self.live.__exit__(*exc)

    def update(self, s: Snapshot) -> None:
        if not self.enabled:
            return
        if self.live is not None:
            self.live.update(_table(s, "warpfuzz campaign"))
            return
        now = time.monotonic()
        if now - self._last >= self.interval:
            self._last = now
            rate = s.kernels / s.elapsed_s if s.elapsed_s else 0.0
            fails = ", ".join(f"{k}={v}" for k, v in sorted(s.verdicts.items()) if k != "verified")
            print(
                f"[{format_duration(s.elapsed_s)}/{format_duration(s.budget_s)}] kernels {s.kernels} "
                f"({rate:.2f}/s) verified {s.verified} | {fails or 'no failures'}"
                + (f" | {_per_device(s)}" if s.device_kernels else "")
                + (
                    " | RSS MiB " + "/".join(f"{kb / 1024:.0f}" for kb in s.worker_rss_kb.values())
                    if s.worker_rss_kb
                    else ""
                ),
                file=sys.stderr,
                flush=True,
            )


def print_summary(summary: dict[str, Any]) -> None:
    """The final table printed after a campaign (summary.json has the same figures)."""
    console = Console()
    title = f"warpfuzz summary: {summary['run_dir']}"
    if summary.get("interrupted"):
        title += f" (INTERRUPTED by {summary['interrupted']}: resume with the same command)"
    t = Table(title=title)
    t.add_column("what")
    t.add_column("value", justify="right")
    for key in ("kernels", "verified", "verified_per_s", "kernels_per_s", "elapsed_s", "warp_version"):
        t.add_row(key, str(summary[key]))
    t.add_row("devices", ",".join(summary["devices"]))
    for dev, c in summary.get("per_device", {}).items():
        t.add_row(
            f"device {dev}", f"{c['kernels']} kernels ({c['kernels_per_s']}/s), {c['failures']} failures"
        )
    for k, v in summary["verdicts"].items():
        t.add_row(f"verdict {k}", str(v))
    for k, v in summary["families"].items():
        t.add_row(f"family {k}", str(v))
    mem = summary.get("session", {}).get("worker_memory", {})
    for w, start in mem.get("start", {}).items():
        end = mem["end"][w]
        t.add_row(
            f"worker {w} memory (MiB)",
            f"peak {start['peak_kb'] / 1024:.0f} -> {end['peak_kb'] / 1024:.0f}, "
            f"rss {start['rss_kb'] / 1024:.0f} -> {end['rss_kb'] / 1024:.0f}",
        )
    if summary.get("interrupted"):
        t.add_row("interrupted", f"yes ({summary['interrupted']})")
    if "corpus_dir" in summary:
        t.add_row(
            "failures saved in", f"{summary['corpus_dir']} ({summary.get('corpus_folders', 0)} folders)"
        )
        t.add_row("next", str(summary.get("next_command", "")))
    console.print(t)
    if "corpus_dir" in summary:
        # plain lines too: a narrow terminal wraps the table's cells
        print(f"failures saved in {summary['corpus_dir']} ({summary.get('corpus_folders', 0)} folders)")
        print(f"next: {summary.get('next_command')}  (unique failure signatures with counts)")
