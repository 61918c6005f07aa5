"""Deterministic group splits: a record's split is a function of its group key alone.

Hashing the key (not a random draw, not the row position) keeps every member of a near-duplicate
cluster in one split, and keeps a record's split stable when more runs are merged in later (as
long as its cluster does not grow into another one).
"""

from __future__ import annotations

import hashlib

SPLITS = ("train", "validation", "test")
DEFAULT_FRACTIONS = (0.8, 0.1, 0.1)


def split_of(group_key: str, fractions: tuple[float, float, float] = DEFAULT_FRACTIONS) -> str:
    """train/validation/test for `group_key` with the given fractions (they must sum to 1)."""
    if abs(sum(fractions) - 1.0) > 1e-9 or min(fractions) < 0:
        raise ValueError(f"split fractions {fractions} must be non-negative and sum to 1")
    u = int.from_bytes(hashlib.sha256(group_key.encode()).digest()[:8], "big") / 2.0**64
    acc = 0.0
    for name, frac in zip(SPLITS, fractions, strict=True):
        acc += frac
        if u < acc:
            return name
    return SPLITS[-1]
