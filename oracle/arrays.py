"""Array element addressing shared by loads, stores and atomics: OOB on an active lane is UB."""

from __future__ import annotations

import numpy as np

from oracle.errors import UndefinedBehavior, Unsupported
from oracle.values import ArrayRef, Value


def flat_index(arr: ArrayRef, idx: list[Value], m: np.ndarray, lineno: int) -> tuple[np.ndarray, np.ndarray]:
    """Flat element index per lane (0 where out of bounds) and the in-bounds flag."""
    if len(idx) != arr.t.ndim:
        raise Unsupported("array indexed with a different number of indices than its ndim", lineno, arr.name)
    lanes = m.shape[0]
    shape = arr.shape
    ok = np.ones(lanes, bool)
    cols = []
    for ax, (iv, n) in enumerate(zip(idx, shape, strict=True)):
        if iv.t.shape or not iv.t.is_int:
            raise Unsupported("index that is not an integer", lineno, str(iv.t))
        i = iv.data.astype(object) if iv.t.name == "uint64" else iv.data.astype(np.int64)
        inb = np.asarray((i >= 0) & (i < n), dtype=bool)
        if (m & ~inb).any():
            bad = int(np.asarray(i)[m & ~inb][0])
            raise UndefinedBehavior(
                f"index {bad} out of bounds for axis {ax} of size {n} (array {arr.name!r})", lineno
            )
        ok &= inb
        cols.append(np.where(inb, i, 0).astype(np.int64))
    flat = np.ravel_multi_index(tuple(cols), shape) if all(shape) else np.zeros(lanes, np.int64)
    return arr.offset(np.asarray(flat, dtype=np.int64)), ok
