"""Vector / matrix / quaternion / transform productions (filled in below)."""

from __future__ import annotations

from grammar.production import Production

COMPOSITE_CALLS: frozenset[str] = frozenset()


def composite_productions() -> tuple[Production, ...]:
    return ()
