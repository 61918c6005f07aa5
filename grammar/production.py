"""The declaration shape shared by every expression production, and the registry holding them.

A `Production` names the construct, says which result types it can make and from which argument
types (`args`), how it brings arguments into its domain (`guard`: clamp/shift them, or raise
`Rejected`), the interval of its result (`interval`) and its libcst emitter (`emit`). The one
generic `build` below applies them in that order and checks the result interval, so a production
cannot skip its guard unnoticed. Productions build on `grammar.gen.Gen`, which sits below them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import libcst as cst

from grammar.composite import component_scalar
from grammar.dtypes import Interval, widen
from grammar.expr import Expr, Rejected, checked

if TYPE_CHECKING:
    from grammar.gen import CompositeLeaves, Gen

ArgsFn = Callable[["Gen", str], "tuple[str, ...] | None"]
GuardFn = Callable[["Gen", str, "list[Expr]"], "list[Expr]"]
IntervalFn = Callable[[str, "list[Expr]"], Interval]
EmitFn = Callable[[list[cst.BaseExpression]], cst.BaseExpression]
TypedEmitFn = Callable[["Gen", str, "list[Expr]"], cst.BaseExpression]
AvailableFn = Callable[["Gen"], bool]
BuildFn = Callable[["Gen", "Production", str, int], Expr]


def no_guard(gen: Gen, dtype: str, args: list[Expr]) -> list[Expr]:
    return args


@dataclass(frozen=True)
class Production:
    """One expression production: signature, domain guard, result interval and emitter together.

    name: the construct as it appears in `KernelCase.constructs` ("sin", "Add", "vec3f", ...).
    tag: the weight group a family scales it by ("arith", "math", "cmp", "cast", "bits", ...).
    calls/operators: every call name / operator node the production (with its guard) can emit.
    """

    name: str
    tag: str
    args: ArgsFn
    interval: IntervalFn
    emit: EmitFn
    guard: GuardFn = no_guard
    calls: frozenset[str] = frozenset()
    operators: frozenset[str] = frozenset()
    weight: float = 1.0
    makes: frozenset[str] = frozenset()  # result dtypes; filled by `with_makes` at registry build
    rounds: bool = True  # False for exact results (select, min/max, clamp, abs, negation)
    # composite emitters need the result type, the argument types and a few choices (an index)
    emit_typed: TypedEmitFn | None = None
    # False where this case cannot use the production at all (no helper function defined yet)
    available: AvailableFn | None = None
    # replaces `build` for productions whose node depends on the result type (casts)
    builder: BuildFn | None = None

    def build(self, gen: Gen, dtype: str, depth: int) -> Expr:
        if self.builder is not None:
            return self.builder(gen, self, dtype, depth)
        arg_types = self.args(gen, dtype)
        if arg_types is None:
            raise Rejected(f"{self.name} cannot make {dtype}")
        args = [gen.expr(t, depth) for t in arg_types]
        args = self.guard(gen, dtype, args)
        iv = self.interval(dtype, args)
        if self.rounds:
            iv = widen(component_scalar(dtype), iv)
        if self.emit_typed is not None:
            node = self.emit_typed(gen, dtype, args)
        else:
            node = self.emit([a.node for a in args])
        return checked(Expr(node, dtype, iv))


@dataclass(frozen=True)
class Registry:
    """All productions the generator may draw from, and its composite leaves; built by a function
    (grammar.registry.build_registry), passed explicitly."""

    productions: tuple[Production, ...]
    leaves: CompositeLeaves
    extra_calls: frozenset[str] = frozenset()
    extra_operators: frozenset[str] = frozenset()
    by_tag: Mapping[str, tuple[Production, ...]] = field(default_factory=dict)

    def calls(self) -> frozenset[str]:
        out = set(self.extra_calls)
        for p in self.productions:
            out |= p.calls
        return frozenset(out)

    def operators(self) -> frozenset[str]:
        out = set(self.extra_operators)
        for p in self.productions:
            out |= p.operators
        return frozenset(out)
