"""The default builtin table: every Warp builtin the oracle models, each the NumPy semantics of
`wp.<name>` (as defined by Warp's native headers, builtin.h / vec.h / mat.h / quat.h / spatial.h)
together with its error rule. The table is an explicit object built by `default_registry()`; tests
may build their own (`Registry.with_entries`)."""

from __future__ import annotations

import functools

from oracle.atomics import atomic_builtins
from oracle.builtin_table import Builtin, BuiltinFn, Registry
from oracle.composite_builtins import composite_builtins
from oracle.geometry import geometry_builtins
from oracle.geometry_queries import query_builtins
from oracle.linalg import linalg_builtins
from oracle.math_ext import math_ext_builtins
from oracle.noise import noise_builtins
from oracle.random import random_builtins
from oracle.scalar_builtins import scalar_builtins
from oracle.spatial import spatial_builtins
from oracle.volumes import volume_builtins

__all__ = [
    "Builtin",
    "BuiltinFn",
    "Registry",
    "default_registry",
    "scalar_builtins",
    "shared_default_registry",
]


def default_registry() -> Registry:
    """Every builtin the oracle models, keyed by its name after `wp.` (plus bare int/float)."""
    entries: list[Builtin] = (
        (
            scalar_builtins()
            + atomic_builtins()
            + composite_builtins()
            + linalg_builtins()
            + spatial_builtins()
        )
        + random_builtins()
        + noise_builtins()
        + geometry_builtins()
        + query_builtins()
        + volume_builtins()
        + math_ext_builtins()
    )
    return Registry({b.name: b for b in entries})


@functools.lru_cache(maxsize=1)
def shared_default_registry() -> Registry:
    """`default_registry()` built once per process, for callers that pass no registry: building
    it (~1 ms) once per oracle pass cost a worker as much as several statements' interpretation.
    Registries are immutable (`with_entries` copies) and no builtin keeps state between calls."""
    return default_registry()
