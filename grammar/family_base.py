"""The steps every family layout starts and ends with: a 1-D launch, scalar dtypes, input arrays,
and the final store to each output. The family modules (grammar.families, extras,
composite_families, random_family, spatial_family) share them from here, below all of them."""

from __future__ import annotations

import libcst as cst

from grammar.dtypes import FLOATS, INTS, Interval
from grammar.gen import Gen
from grammar.scope import Var


def dim1(gen: Gen) -> None:
    """A 1-D launch of 16..256 threads; `i` is the thread index."""
    gen.dim = (gen.rng.pick((16, 32, 64, 100, 128, 256)),)
    gen.idx = [gen.scope.add(Var("i", "int32", Interval(0, gen.dim[0] - 1), 0, True, False))]


def any_dtypes(gen: Gen) -> None:
    """One to three scalar dtypes, int32/float32 drawn more often than the others."""
    pool = ("float32", "float32", "int32", "int32") + FLOATS + INTS
    gen.dtypes = [gen.rng.pick(pool)]
    for _ in range(gen.rng.integer(0, 2)):
        t = gen.rng.pick(pool)
        if t not in gen.dtypes:
            gen.dtypes.append(t)


def inputs(gen: Gen, n: int) -> None:
    """`n` input arrays of the case's scalar dtypes."""
    for _ in range(n):
        t = gen.rng.pick(gen.dtypes)
        gen.add_array(t, "in", gen.input_interval(t))


def finish(gen: Gen, body: list[cst.BaseStatement]) -> list[cst.BaseStatement]:
    """Every output gets a final unconditional store, so each kernel produces data."""
    for a in gen.arrays:
        if a.role == "out":
            body.append(gen.store(a))
    return body
