"""Findings: the failure groups of `corpus.triage.triage` over every run, merged by signature,
new ones first, each with its (reduced) kernel, observed vs expected, bisect result and folders.

"New" means the signature first appeared in the latest session of every run that has it (no
earlier session of any of them saw it). Bisect results are read where `python -m fuzz bisect
FOLDER --json` output was saved: `bisect.json` inside the corpus folder, or `RUN_DIR/bisect.json`
(one object or a list, matched by its `seed_path`).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from typing import Any

from fuzz.report.collect import RunData

BISECT_FILE = "bisect.json"
GRADIENT_VALUES = re.compile(r"Warp (\S+) vs finite differences (\S+?)[ ,;(]")


@dataclass
class RunPart:
    """One run's share of a finding."""

    run: str
    count: int
    seeds: list[int]
    first_session: int
    new: bool
    folder: str | None
    reduced: bool


@dataclass
class Finding:
    key: str
    digest: str
    verdict: str
    stage: str
    devices: str
    kind: str
    constructs: tuple[str, ...]
    count: int = 0
    families: dict[str, int] = field(default_factory=dict)
    parts: list[RunPart] = field(default_factory=list)
    first_seen: float = 0.0
    seed: int | None = None  # representative (lowest seed of the first run that has it)
    message: str = ""
    source: str = ""
    source_is_reduced: bool = False
    observed: list[dict[str, Any]] = field(default_factory=list)  # failing arrays: observed vs expected
    gradient: list[dict[str, Any]] = field(default_factory=list)  # failing gradient checks, per device
    known: list[dict[str, Any]] = field(default_factory=list)  # known-difference labels from meta.json
    evidence_reduced: bool = False  # observed/gradient values are the reduced kernel's (the message is not)
    bisect: list[dict[str, Any]] = field(default_factory=list)

    @property
    def new(self) -> bool:
        return all(p.new for p in self.parts)


def _read(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except OSError:
        return ""


def _json(path: str) -> Any:
    text = _read(path)
    try:
        return json.loads(text) if text else None
    except json.JSONDecodeError:
        return None


def _failing_arrays(checks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for c in checks:
        if c.get("passed", True):
            continue
        for a in c.get("arrays", []):
            if not a.get("passed", True):
                out.append({"device": c.get("device", "")} | a)
    return out


def _failing_gradients(entries: Any) -> list[dict[str, Any]]:
    """Gradient checks that did not verify, with Warp's and the finite differences' values read
    from the check's own message ("Warp X vs finite differences Y")."""
    out = []
    for g in entries if isinstance(entries, list) else []:
        if not isinstance(g, dict) or g.get("status") in (None, "verified", "skipped"):
            continue
        m = GRADIENT_VALUES.search(str(g.get("message", "")))
        out.append(g | ({"warp": m.group(1), "fd": m.group(2)} if m else {}))
    return out


def _known(meta: Any) -> list[dict[str, Any]]:
    known = meta.get("known") if isinstance(meta, dict) else None
    entries = known.get("entries") if isinstance(known, dict) else None
    return [e for e in entries if isinstance(e, dict)] if isinstance(entries, list) else []


def saved_bisects(run_dir: str, folder: str) -> list[dict[str, Any]]:
    """Saved bisect results for this folder (or its reduced/ one)."""
    from corpus.folder import CorpusFolder

    wanted = {os.path.realpath(folder), os.path.realpath(CorpusFolder.reduction_of(folder))}
    found: list[dict[str, Any]] = []
    for path in (os.path.join(folder, BISECT_FILE), os.path.join(run_dir, BISECT_FILE)):
        data = _json(path)
        items = data if isinstance(data, list) else [data] if isinstance(data, dict) else []
        for d in items:
            if not isinstance(d, dict) or not isinstance(d.get("rows"), list):
                continue
            sp = str(d.get("seed_path", ""))
            if path.startswith(folder) or os.path.realpath(sp) in wanted:
                found.append(d)
    return found


def collect(runs: list[RunData]) -> list[Finding]:
    """Every run's triage groups, merged by signature key; new first, then by first seen."""
    from corpus.folder import CorpusFolder
    from corpus.triage import triage

    merged: dict[str, Finding] = {}
    for run in runs:
        by_seed = {r.seed: r for r in run.cases}
        last_session = max((s.id for s in run.sessions), default=0)
        for g in triage(run.run_dir):
            sig = g.signature
            key = sig.key()
            f = merged.get(key)
            if f is None:
                f = merged[key] = Finding(
                    key=key, digest=sig.digest(), verdict=sig.verdict, stage=sig.stage,
                    devices=sig.devices, kind=sig.kind, constructs=tuple(sig.constructs),
                )  # fmt: skip
            rows = [by_seed[s] for s in g.seeds if s in by_seed]
            first_session = min((r.session for r in rows), default=last_session)
            first_seen = min((r.created for r in rows), default=0.0)
            f.first_seen = first_seen if not f.parts else min(f.first_seen, first_seen)
            f.count += g.count
            for fam, n in g.families.items():
                f.families[fam] = f.families.get(fam, 0) + n
            f.parts.append(
                RunPart(run.name, g.count, list(g.seeds), first_session, first_session >= last_session,
                        g.folder, g.reduced)
            )  # fmt: skip
            if f.seed is not None or g.representative is None:
                continue
            rep = g.representative
            f.seed = rep.seed
            f.message = rep.message
            f.observed = _failing_arrays(rep.checks)
            f.gradient = _failing_gradients(rep.gradient_check)
            f.source = str((rep.case or {}).get("source", ""))
            if g.folder:
                reduced = CorpusFolder.reduction_of(g.folder)
                reduced_source = CorpusFolder.kernel_text(reduced) if g.reduced else None
                if reduced_source is not None:
                    f.source = reduced_source or f.source
                    f.source_is_reduced = True
                    meta = CorpusFolder.meta_of(reduced)
                    if isinstance(meta, dict) and _failing_arrays(meta.get("checks", [])):
                        f.observed = _failing_arrays(meta["checks"])
                        f.evidence_reduced = True
                    if isinstance(meta, dict) and _failing_gradients(meta.get("gradient_check")):
                        f.gradient = _failing_gradients(meta["gradient_check"])
                        f.evidence_reduced = True
                elif (source := CorpusFolder.kernel_text(g.folder)) is not None:
                    f.source = source or f.source
                f.bisect = saved_bisects(run.run_dir, g.folder)
                f.known = _known(CorpusFolder.meta_of(g.folder))
    return sorted(merged.values(), key=lambda f: (not f.new, f.first_seen, -f.count))
