"""Coverage of Warp: how many kernels used each builtin, construct and family, and how many of
those verified; what was never reached."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from fuzz.report.collect import RunData
from fuzz.report.warp_builtins import (
    Builtin,
    builtin_table,
    composite_types,
    operator_builtins,
    python_operators,
)

VERIFIED = "verified"


@dataclass
class Tally:
    """Kernels that used one name, and how many of them verified."""

    name: str
    group: str = ""
    hidden: bool = False
    used: int = 0
    verified: int = 0

    @property
    def share(self) -> float | None:
        return None if not self.used else self.verified / self.used


@dataclass
class Coverage:
    warp_version: str  # the installed release whose builtin table is listed
    builtins: dict[str, Tally] = field(default_factory=dict)
    constructs: dict[str, Tally] = field(default_factory=dict)
    families: dict[str, Tally] = field(default_factory=dict)
    kernels: int = 0

    @staticmethod
    def never(tallies: dict[str, Tally]) -> list[Tally]:
        return [t for t in tallies.values() if not t.used]

    def groups(self) -> dict[str, list[Tally]]:
        """Builtins by Warp's documentation group, in the table's group order."""
        out: dict[str, list[Tally]] = {}
        for t in self.builtins.values():
            out.setdefault(t.group, []).append(t)
        return out


def _families() -> tuple[str, ...]:
    from grammar.families import FAMILIES

    return FAMILIES


def compute(runs: Iterable[RunData], table: tuple[str, dict[str, Builtin]] | None = None) -> Coverage:
    """Tally every case of every run against the installed builtin table, the construct universe
    (Python operators and Warp's composite types) and the generator's families. A Python operator
    also counts for the builtin Warp lowers it to (`a + b` uses `add`). A name a case used that none
    of these knows is still tallied (as a construct), so nothing used goes missing."""
    version, builtins = table or builtin_table()
    lowered = operator_builtins()
    cov = Coverage(warp_version=version)
    for b in sorted(builtins.values(), key=lambda b: (b.group, b.name)):
        cov.builtins[b.name] = Tally(b.name, b.group, b.hidden)
    for name in python_operators():
        cov.constructs[name] = Tally(name, "Python operator")
    for name in composite_types():
        cov.constructs.setdefault(name, Tally(name, "Warp type constructor"))
    for name in _families():
        cov.families[name] = Tally(name, "family")
    for run in runs:
        for row in run.cases:
            cov.kernels += 1
            ok = row.verdict == VERIFIED
            names = set(row.constructs)
            names |= {lowered[n] for n in row.constructs if lowered.get(n) in cov.builtins}
            for name in names:
                where = cov.builtins if name in cov.builtins else cov.constructs
                t = where.setdefault(name, Tally(name, "other"))
                t.used += 1
                t.verified += ok
            f = cov.families.setdefault(row.family, Tally(row.family, "family"))
            f.used += 1
            f.verified += ok
    return cov
