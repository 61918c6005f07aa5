"""Throughput over the campaign from cases.created. A batch is stored in one transaction, so its
cases share a timestamp: rates are taken over a trailing window of whole batches (a window of
fixed seconds would alias with the batch rhythm), sessions placed back to back (the gap between a
stopped and a resumed session is not campaign time)."""

from __future__ import annotations

from dataclasses import dataclass

from fuzz.report.collect import RunData

MIN_BATCHES = 4  # batches per rate window at least
POINTS = 40  # about this many windows over a long campaign


@dataclass(frozen=True)
class RatePoint:
    t_s: float  # end of the window, campaign time
    kernels_per_s: float
    verified_per_s: float
    kernels: int  # cumulative, up to t_s
    verified: int


def campaign_times(run: RunData) -> list[tuple[float, bool]]:
    """(campaign time of each case, verified) in time order."""
    offset: dict[int, tuple[float, float]] = {}
    acc = 0.0
    for s in run.sessions:
        offset[s.id] = (s.started, acc)
        acc += s.elapsed_s
    out = []
    for r in run.cases:
        started, before = offset.get(r.session, (run.sessions[0].started if run.sessions else r.created, 0.0))
        out.append((before + max(0.0, r.created - started), r.verdict == "verified"))
    return sorted(out)


def rates(run: RunData) -> list[RatePoint]:
    """One point per stored batch: kernels/s and verified/s over the last few batches."""
    batches: list[list[float]] = []  # [t, kernels, verified]
    for t, ok in campaign_times(run):
        if batches and t - batches[-1][0] < 1e-3:
            batches[-1][1] += 1
            batches[-1][2] += ok
        else:
            batches.append([t, 1, int(ok)])
    k = max(MIN_BATCHES, len(batches) // POINTS)
    out: list[RatePoint] = []
    done = verified = 0
    for i, (t, n, v) in enumerate(batches):
        done += int(n)
        verified += int(v)
        j = max(0, i - k + 1)
        start = batches[j - 1][0] if j > 0 else 0.0
        span = t - start
        if span <= 0:
            continue
        window = batches[j : i + 1]
        out.append(
            RatePoint(t, sum(b[1] for b in window) / span, sum(b[2] for b in window) / span, done, verified)
        )
    return out
