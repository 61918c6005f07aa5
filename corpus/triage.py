"""Group a run's failures by signature: unique signatures, counts, one representative each."""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from corpus import entry as E
from corpus.save import FAILURE_VERDICTS, corpus_dir, folder_name
from corpus.signature import Signature, signature_of
from fuzz.result import CaseResult


@dataclass
class Group:
    """Failures sharing one signature; `representative` is the lowest seed."""

    signature: Signature
    count: int = 0
    seeds: list[int] = field(default_factory=list)
    families: Counter[str] = field(default_factory=Counter)
    representative: CaseResult | None = None
    folder: str | None = None
    reduced: bool = False

    def to_json(self) -> dict[str, Any]:
        r = self.representative
        return {
            "signature": self.signature.to_json(),
            "count": self.count,
            "seeds": self.seeds,
            "families": dict(self.families),
            "representative": None if r is None else {"seed": r.seed, "message": r.message},
            "folder": self.folder,
            "reduced": self.reduced,
        }


def _results(run_dir: str) -> list[tuple[CaseResult, str | None]]:
    """(result, corpus folder or None): from the campaign database, else from corpus folders."""
    if os.path.exists(os.path.join(run_dir, "campaign.db")):
        from fuzz.store import Store

        store = Store(run_dir)
        try:
            results = list(store.results("verdict != ?", ("verified",)))
        finally:
            store.close()
        root = corpus_dir(run_dir)
        out: list[tuple[CaseResult, str | None]] = []
        for r in results:
            p = os.path.join(root, folder_name(r))
            out.append((r, p if os.path.isfile(os.path.join(p, E.META)) else None))
        return out
    # no campaign database: the corpus folders themselves (e.g. the committed corpus/seeds)
    out = []
    for path in E.find_entries([run_dir]):
        ent = E.load_entry(path)
        m = ent.meta
        r = CaseResult(
            seed=ent.seed, kernel_name=m.get("kernel_name", ""), family=m.get("family", ""),
            generator_version=m.get("generator_version", ""),
            case=ent.case.to_json() if ent.case else {}, verdict=m["verdict"], stage=m.get("stage", ""),
            device=m.get("device", ""), message=m.get("message", ""), checks=m.get("checks", []),
        )  # fmt: skip
        out.append((r, path))
    return out


def triage(run_dir: str, *, include_all: bool = False, coarse: bool = False) -> list[Group]:
    """Unique signatures of the run's failures, most frequent first.

    include_all: also group oracle_unsupported and inconclusive cases (gaps, not failures).
    coarse: group by signature bucket only (stage, devices, verdict, kind), ignoring constructs.
    """
    groups: dict[str, Group] = {}
    for r, folder in _results(run_dir):
        if r.verdict not in FAILURE_VERDICTS and not include_all:
            continue
        sig = signature_of(r)
        if coarse:
            sig = Signature(sig.stage, sig.devices, sig.verdict, sig.kind, ())
        g = groups.setdefault(sig.key(), Group(sig))
        g.count += 1
        g.seeds.append(r.seed)
        g.families[r.family] += 1
        if g.representative is None or r.seed < g.representative.seed:
            g.representative = r
            g.folder = folder
    for g in groups.values():
        g.seeds.sort()
        if g.folder:
            g.reduced = os.path.isfile(os.path.join(g.folder, E.REDUCED, E.META))
    return sorted(groups.values(), key=lambda g: (-g.count, g.seeds[0] if g.seeds else 0))


def format_groups(groups: list[Group], limit: int | None = None) -> str:
    if not groups:
        return "no failures"
    total = sum(g.count for g in groups)
    lines = [f"{len(groups)} unique signature(s) over {total} failing case(s)", ""]
    for k, g in enumerate(groups[:limit] if limit else groups, 1):
        rep = g.representative
        seeds = ", ".join(map(str, g.seeds[:6])) + (" ..." if len(g.seeds) > 6 else "")
        lines.append(
            f"#{k}  {g.count} x  [{g.signature.digest()}]  {g.signature.verdict} at {g.signature.stage}"
        )
        lines.append(f"    signature: {g.signature.key()}")
        lines.append(
            f"    seeds: {seeds}   families: {', '.join(f'{f}={n}' for f, n in g.families.most_common())}"
        )
        if rep is not None:
            msg = rep.message.splitlines()[0][:160] if rep.message else ""
            lines.append(f"    representative: seed {rep.seed}  {msg}")
        if g.folder:
            lines.append(f"    folder: {g.folder}{'  (reduced/ inside)' if g.reduced else ''}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
