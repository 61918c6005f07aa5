"""Stopping a campaign in order on SIGINT (Ctrl-C) or SIGTERM.

The first signal only asks: nothing new starts, what is in flight gets 2 s, the session is closed
and the summary written (exit 130 after Ctrl-C, 143 after SIGTERM, so a resume knows to redo the
rest). A second Ctrl-C raises KeyboardInterrupt at once.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass
class StopRequest:
    """Set by the signal handlers; read by the scheduler."""

    requested: bool = False
    at: float = 0.0  # time.monotonic() of the first request
    by: str = ""  # "SIGINT" (Ctrl-C) or "SIGTERM": what asked first

    def ask(self, why: str) -> None:
        if self.requested and why == "SIGINT":
            raise KeyboardInterrupt  # Ctrl-C twice: stop now
        self.requested = True
        self.by = self.by or why
        self.at = time.monotonic()


@contextmanager
def stop_on_signals(stop: StopRequest) -> Iterator[StopRequest]:
    """SIGTERM and SIGINT ask `stop` while inside; the previous handlers come back after."""
    old_term = signal.signal(signal.SIGTERM, lambda *_: stop.ask("SIGTERM"))
    old_int = signal.signal(signal.SIGINT, lambda *_: stop.ask("SIGINT"))
    try:
        yield stop
    finally:
        signal.signal(signal.SIGTERM, old_term)
        signal.signal(signal.SIGINT, old_int)
