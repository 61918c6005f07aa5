"""Vector / matrix / quaternion / transform productions: not generated yet.

The `vector`, `matrix` and `quaternion` families are registered with default weight 0 and no
production makes a composite type, so `compose` is unreachable from the enabled families.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from grammar.expr import Expr, Rejected
from grammar.production import Production

if TYPE_CHECKING:
    from grammar.gen import Gen

COMPOSITE_CALLS: frozenset[str] = frozenset()


def composite_productions() -> tuple[Production, ...]:
    return ()


def compose(gen: Gen, dtype: str, depth: int) -> Expr:
    raise Rejected(f"composite type {dtype} is not generated yet")


def composite_body(gen: Gen, kind: str) -> list[cst.BaseStatement]:
    raise NotImplementedError(f"the {kind} family is not implemented yet; give it weight 0")
