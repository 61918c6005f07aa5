"""Order-dependence (race) detection while interpreting: every load, plain store and atomic
update by active lanes is recorded per element (see `oracle.access`) and checked against what
other lanes of the same launch did to that element. All checks are vectorised over lanes."""

from __future__ import annotations

import ast

import numpy as np

from oracle.access import Access, LaunchLog
from oracle.astwalk import walk_nodes
from oracle.errors import OrderDependent
from oracle.types import wp_attr
from oracle.values import ArrayRef

ATOMIC_CALLS = frozenset(f"atomic_{k}" for k in ("add", "sub", "min", "max", "and", "or", "xor"))


def atomic_results_used(fns: list[ast.FunctionDef]) -> bool:
    """Whether any atomic call's return value is used (anything but a bare expression statement;
    `a[i] += v` lowers to an atomic whose result is discarded)."""
    discarded: set[int] = set()
    calls: list[ast.Call] = []
    for fn in fns:
        for node in walk_nodes(fn):
            if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
                discarded.add(id(node.value))
            elif isinstance(node, ast.Call) and wp_attr(node.func) in ATOMIC_CALLS:
                calls.append(node)
    return any(id(c) not in discarded for c in calls)


def access_of(arr: ArrayRef) -> Access:
    if arr.access is None:
        arr.access = Access.empty(arr.elements)
    return arr.access


def element_name(arr: ArrayRef, flat: int) -> str:
    """`name[i, j]` of a storage index, in the coordinates of the launch that owns it."""
    per = max(int(np.prod(arr.shape)), 1)
    idx = np.unravel_index(int(flat) % per, arr.shape) if all(arr.shape) else (0,)
    return f"{arr.name}[{', '.join(str(int(i)) for i in idx)}]"


def _raise(
    arr: ArrayRef, f: np.ndarray, lanes: np.ndarray, other: np.ndarray, what: str, lineno: int
) -> None:
    bad = np.nonzero(other >= 0)[0]
    if not bad.size:
        return
    k = int(bad[0])
    log = arr.log
    dim = log if log is not None else LaunchLog((max(int(lanes.max()) + 1, 1),), False)
    t1, t2 = dim.tid(int(lanes[k])), dim.tid(int(other[k]))
    el = element_name(arr, int(f[k]))
    raise OrderDependent(what.format(el=el, t1=t1, t2=t2), el.partition("[")[0], el, (t1, t2), lineno)


def same_values(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per lane (leading axis): equal in every component, NaN equal to NaN."""
    eq = a == b
    if np.issubdtype(a.dtype, np.floating):
        eq = eq | (np.isnan(a) & np.isnan(b))
    return eq.reshape(eq.shape[0], -1).all(axis=1) if eq.ndim > 1 else eq


def record_load(arr: ArrayRef, f: np.ndarray, lanes: np.ndarray, lineno: int) -> None:
    """Active `lanes` read elements `f`: another lane's store or atomic there is a race."""
    if arr.log is None or not lanes.size:
        return
    acc = access_of(arr)
    _raise(arr, f, lanes, acc.stores.other(f, lanes),
           "thread {t1} reads {el}, which thread {t2} stores to", lineno)  # fmt: skip
    _raise(arr, f, lanes, acc.atomics.other(f, lanes),
           "thread {t1} reads {el}, which thread {t2} updates atomically", lineno)  # fmt: skip
    acc.reads.add(f, lanes)


def record_store(
    arr: ArrayRef, f: np.ndarray, lanes: np.ndarray, vals: np.ndarray, prev: np.ndarray, lineno: int
) -> None:
    """Active `lanes` plain-store `vals` to elements `f` (`prev`: the elements before this store)."""
    if arr.log is None or not lanes.size:
        return
    acc = access_of(arr)
    _raise(arr, f, lanes, acc.reads.other(f, lanes),
           "thread {t2} reads {el}, which thread {t1} stores to", lineno)  # fmt: skip
    _raise(arr, f, lanes, acc.atomics.other(f, lanes),
           "thread {t1} stores to {el}, which thread {t2} updates atomically", lineno)  # fmt: skip
    earlier = acc.stores.other(f, lanes)
    _raise(arr, f, lanes, np.where(same_values(vals, prev), -1, earlier),
           "threads {t1} and {t2} store different values to {el}", lineno)  # fmt: skip
    if lanes.size > 1:
        # lanes of this very store hitting one element: each must store what the highest one does
        last = np.full(arr.elements, -1, np.int64)
        np.maximum.at(last, f, lanes)
        ref_pos = np.searchsorted(lanes, last[f])  # lanes come sorted (np.nonzero of the mask)
        differ = ~same_values(vals, vals[ref_pos])
        _raise(arr, f, lanes, np.where(differ, last[f], -1),
               "threads {t1} and {t2} store different values to {el}", lineno)  # fmt: skip
    acc.stores.add(f, lanes)


def record_atomic(arr: ArrayRef, f: np.ndarray, lanes: np.ndarray, lineno: int) -> None:
    """Active `lanes` update elements `f` atomically: another lane's load or plain store is a race
    (atomics among themselves commute; their returned values are checked by the re-run)."""
    if arr.log is None or not lanes.size:
        return
    acc = access_of(arr)
    _raise(arr, f, lanes, acc.reads.other(f, lanes),
           "thread {t2} reads {el}, which thread {t1} updates atomically", lineno)  # fmt: skip
    _raise(arr, f, lanes, acc.stores.other(f, lanes),
           "thread {t1} updates {el} atomically, which thread {t2} stores to", lineno)  # fmt: skip
    acc.atomics.add(f, lanes)


def written(arr: ArrayRef) -> np.ndarray:
    """Storage elements some active lane stored to or updated atomically."""
    return np.zeros(arr.elements, bool) if arr.access is None else arr.access.written()
