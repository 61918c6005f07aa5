"""Deliberately wrong oracle registries, to prove that every verification path can say no.

Used by tests and by `--oracle-registry tests.support.wrong_oracles:wrong_clamp` on the command
line (from the repository root); a campaign or check run with one of these must report
mismatches, never verified pairs, wherever the planted fault shows.
"""

from __future__ import annotations

from typing import Any


def wrong_clamp() -> Any:
    """`wp.clamp(x, lo, hi)` modelled as `max(x, lo)`: wrong wherever x > hi."""
    from oracle import default_registry
    from oracle.builtins import Builtin

    reg = default_registry()
    mx = reg.get("max")
    assert mx is not None
    return reg.with_entries([Builtin("clamp", lambda args, ctx: mx.fn(args[:2], ctx), "deliberately wrong")])


def wrong_sin() -> Any:
    """`wp.sin` modelled as `wp.cos`: wrong almost everywhere."""
    from oracle import default_registry
    from oracle.builtins import Builtin

    reg = default_registry()
    cos = reg.get("cos")
    assert cos is not None
    return reg.with_entries([Builtin("sin", cos.fn, "deliberately wrong")])


def wrong_cos() -> Any:
    """`wp.cos` modelled as `wp.sin`: wrong almost everywhere (cos is among the most drawn unary builtins)."""
    from oracle import default_registry
    from oracle.builtins import Builtin

    reg = default_registry()
    sin = reg.get("sin")
    assert sin is not None
    return reg.with_entries([Builtin("cos", sin.fn, "deliberately wrong")])


def wrong_closest_point() -> Any:
    """`wp.mesh_query_point[_no_sign]` answered with the nearest *vertex* of each triangle instead
    of its nearest point: a plausible brute-force slip, wrong wherever the answer lies inside a
    face or on an edge."""
    import numpy as np

    from oracle import default_registry
    from oracle.builtins import Builtin
    from oracle.geometry import point_query_builtin

    def nearest_vertex(p: Any, a: Any, b: Any, c: Any) -> tuple[Any, Any, Any]:
        P = p[:, None, :]
        dist = np.stack([np.linalg.norm(P - v[None], axis=-1) for v in (a, b, c)])  # (3, L, T)
        k = dist.argmin(axis=0)
        return (k == 0).astype(float), (k == 1).astype(float), dist.min(axis=0)

    return default_registry().with_entries(
        [
            Builtin(n, point_query_builtin(n, n == "mesh_query_point", nearest_vertex), "deliberately wrong")
            for n in ("mesh_query_point", "mesh_query_point_no_sign")
        ]
    )
