"""The builtin record (`wp.<name>`'s lane semantics and where they come from) and the name -> builtin
table the interpreter looks calls up in. Every builtin module builds `Builtin`s; `oracle.builtins`
assembles the default table from all of them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from oracle.numeric import OpCtx

BuiltinFn = Callable[[list[Any], OpCtx], Any]


@dataclass(frozen=True)
class Builtin:
    """One Warp builtin: `fn(args, ctx)` on lane values; `rule` says where its semantics come from."""

    name: str
    fn: BuiltinFn
    rule: str
    static: bool = False  # takes type arguments / keywords (TypeArg, Keyword) besides lane values


@dataclass(frozen=True)
class Registry:
    """Builtins by name after `wp.`; immutable, so a test extends it with `with_entries`."""

    entries: dict[str, Builtin]

    def get(self, name: str) -> Builtin | None:
        return self.entries.get(name)

    def names(self) -> frozenset[str]:
        return frozenset(self.entries)

    def with_entries(self, extra: list[Builtin]) -> Registry:
        d = dict(self.entries)
        d.update({b.name: b for b in extra})
        return Registry(d)
