"""A planted setting difference for the settings-sweep tests, installed as a worker plugin
(`WorkerSettings.worker_plugins`), so shipped code carries no plant:

- "tests.support.sweep_plants:perturb_under:POINT": after every launch under the swept point
  POINT (e.g. "max_unroll=0"), element 0 of the first written array of the launch's outputs (in
  name order) is changed: a float gets 1.0 added, an integer 1, a bool flipped. Launches of the
  baseline and of every other point are left alone, so exactly POINT must be blamed.
- "tests.support.sweep_plants:raise_under:POINT": every launch under POINT raises RuntimeError
  (a launch error only that point has).
"""

from __future__ import annotations

from typing import Any

import numpy as np


def perturb_under(runner: Any, point: str) -> None:
    outs = None

    def plant(case: Any, device: str, observed: dict[str, np.ndarray]) -> None:
        if runner.sweep_point != point:
            return
        names = outs or sorted(
            p.name for p in case.params if p.kind == "array" and p.role in ("out", "inout")
        )
        for name in names:
            a = observed.get(name)
            if a is None or a.size == 0:
                continue
            flat = a.reshape(-1)
            if a.dtype == np.bool_:
                flat[0] = not flat[0]
            else:
                flat[0] = flat[0] + 1
            return

    runner.after_launch.append(plant)


def raise_under(runner: Any, point: str) -> None:
    """Every launch under the swept point POINT raises (a launch error only that point has)."""

    def fail(case: Any, device: str) -> None:
        if runner.sweep_point == point:
            raise RuntimeError(f"planted launch failure under {point}")

    runner.before_launch.append(fail)
