"""What a kernel body can refer to: parameters, locals, loop variables, with types and intervals."""

from __future__ import annotations

from dataclasses import dataclass, field

from grammar.dtypes import Interval


@dataclass
class Var:
    """A local (or loop/tid) variable. Intervals only widen, so every use stays sound.

    readable=False while a loop body may reassign it (its loop-carried bound is not known yet);
    assignable=False for tid indices, loop counters and while counters.
    """

    name: str
    dtype: str
    iv: Interval
    loop_level: int
    readable: bool = True
    assignable: bool = True


@dataclass
class ArrayParam:
    """An array parameter: every element of an input lies in `iv`; outputs are written only."""

    name: str
    dtype: str
    shape: tuple[int, ...]
    role: str
    iv: Interval | None


@dataclass
class Scope:
    """Block-structured variable scopes: names defined in a block vanish when it closes."""

    blocks: list[list[Var]] = field(default_factory=lambda: [[]])

    def push(self) -> None:
        self.blocks.append([])

    def pop(self) -> None:
        self.blocks.pop()

    def add(self, v: Var) -> Var:
        self.blocks[-1].append(v)
        return v

    def all(self) -> list[Var]:
        return [v for b in self.blocks for v in b]

    def readable(self, dtype: str) -> list[Var]:
        return [v for v in self.all() if v.readable and v.dtype == dtype]

    def assignable(self) -> list[Var]:
        return [v for v in self.all() if v.assignable and v.readable]

    def lookup(self, name: str) -> Var:
        for v in self.all():
            if v.name == name:
                return v
        raise KeyError(name)
