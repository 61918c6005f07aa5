"""The oracle's answer for one launch."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class OracleResult:
    """arrays: final contents of every array parameter (same shape/dtype as given).
    error_bound: per element, absolute forward-error bound (float64) vs exact math; zeros for ints.
    unstable: per element, true when the value depends on a decision taken within rounding error
    (the judge skips and counts these). ops: interpreted float operations on active lanes.
    written: per element (same layout as `unstable`), true when an active lane stored to it or
    updated it atomically; the judge decides stability over these elements only."""

    arrays: dict[str, np.ndarray]
    error_bound: dict[str, np.ndarray]
    unstable: dict[str, np.ndarray]
    ops: int
    written: dict[str, np.ndarray] = field(default_factory=dict)
