"""Builds the production registry (explicitly, per call) and the emittable call/operator sets."""

from __future__ import annotations

import dataclasses

from grammar.composite import vec_type
from grammar.dtypes import BOOL, FLOATS, INTS
from grammar.gen import CompositeLeaves
from grammar.production import Production, Registry
from grammar.rand import SeededChooser

# call and operator names emitted by statements and layouts rather than expression productions
STRUCTURAL_CALLS = frozenset({"tid", "range", "clamp", "abs", "max", "min", "float32", "int32"})
STRUCTURAL_OPERATORS = frozenset({"Add", "Sub", "Mult", "Mod", "USub", "Lt", "LtE", "Gt", "GtE"})

ALL_TYPES: tuple[str, ...] = (
    *FLOATS,
    *INTS,
    BOOL,
    *(vec_type(n, s) for n in (2, 3, 4) for s in ("float32", "float64", "float16", "int32")),
    *(f"mat{n}{n}{s}" for n in (2, 3, 4) for s in ("f", "d")),
    "quatf",
    "quatd",
    "transformf",
    "transformd",
)


class _Probe:
    """Stands in for a `Gen` when asking a production which result types it can make."""

    def __init__(self) -> None:
        self.rng = SeededChooser(0)
        self.dtypes = [t for t in ALL_TYPES if t != BOOL]
        self.wave2 = True


def with_makes(p: Production) -> Production:
    """Resolve the result types a production can make (kept where it declares them itself)."""
    if p.makes:
        return p
    probe = _Probe()
    makes = frozenset(t for t in ALL_TYPES if p.args(probe, t) is not None)  # type: ignore[arg-type]
    return dataclasses.replace(p, makes=makes)


def build_registry(extra: tuple[Production, ...] = ()) -> Registry:
    """Every production, with result types resolved; `extra` lets a test add its own."""
    from grammar.bits import bit_productions
    from grammar.composite_ops import ccap, compose, composite_productions, read_input
    from grammar.extras import helper_call_production
    from grammar.math_ext_ops import math_ext_scalar_productions, math_ext_spatial_productions
    from grammar.random_ops import random_productions
    from grammar.scalar_ops import scalar_productions
    from grammar.spatial_ops import spatial_productions

    prods = (
        *scalar_productions(),
        *bit_productions(),
        *composite_productions(),
        helper_call_production(),
        *random_productions(),
        *spatial_productions(),
        *math_ext_scalar_productions(),
        *math_ext_spatial_productions(),
        *extra,
    )
    return Registry(
        productions=tuple(with_makes(p) for p in prods),
        leaves=CompositeLeaves(compose=compose, read_input=read_input, component_cap=ccap),
        extra_calls=STRUCTURAL_CALLS | _other_calls(),
        extra_operators=STRUCTURAL_OPERATORS | _reach_operators(),
    )


def _other_calls() -> frozenset[str]:
    from grammar.atomics import ATOMIC_CALLS
    from grammar.composite_ops import COMPOSITE_CALLS
    from grammar.geometry_family import GEOMETRY_CALLS
    from grammar.reach import REACH_CALLS
    from grammar.tile_families import TILE_CALLS

    return ATOMIC_CALLS | COMPOSITE_CALLS | GEOMETRY_CALLS | REACH_CALLS | TILE_CALLS | frozenset({"bool"})


def _reach_operators() -> frozenset[str]:
    from grammar.reach import REACH_OPERATORS

    return REACH_OPERATORS
