"""Group failures by root cause: the reduced kernel's key, the known-differences table's label,
or (for a failure not reduced yet) today's signature, shown as such.

- a failure whose folder has `reduced/` groups by `corpus.rootcause.root_key` of the reduced
  kernel, unless `corpus.known.KNOWN` explains the reduced failure: then by that label (every
  failure a known entry explains is one group, whatever kernel found it);
- near keys merge: when a one-step reduction of one group's kernel has another group's shape and
  (with `confirm`) still fails the same way when judged, the first group joins the second;
- an unreduced failure groups by its signature (`GroupBy.SIGNATURE`).

Several run folders triage together: their failures are pooled before grouping.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from corpus.folder import CorpusError, CorpusFolder, find_folders
from corpus.known import KNOWN, KnownEntry, KnownKind, release_key
from corpus.rootcause import RootKey, root_key
from corpus.save import FAILURE_VERDICTS, corpus_dir, folder_name
from fuzz.engine.result import CaseResult
from fuzz.engine.signature import Signature, signature_of
from grammar.case import KernelCase


class GroupBy(StrEnum):
    """What a group's members share."""

    ROOT_CAUSE = "root-cause"  # the reduced kernels' key
    KNOWN = "known"  # a known-differences entry explains every reduced member
    SIGNATURE = "signature"  # not reduced: today's signature


@dataclass
class Failure:
    """One failing case, with its reduced version when its folder has one."""

    result: CaseResult
    folder: str | None
    run: str
    reduced: CaseResult | None = None
    reduced_folder: str | None = None
    warp_version: str = ""
    labels: tuple[str, ...] = ()  # the reduced meta.json's known.label (a confirmed known gap)


def meta_labels(meta: dict[str, Any]) -> tuple[str, ...]:
    label = (meta.get("known") or {}).get("label") or ""
    return tuple(x for x in str(label).split("+") if x)


@dataclass
class Group:
    """Failures with one root cause; `representative` is the lowest seed (of the reduced members
    when there are any), `signature` its original signature."""

    signature: Signature
    by: GroupBy = GroupBy.SIGNATURE
    key: str = ""
    root: RootKey | None = None
    known: list[KnownEntry] = field(default_factory=list)
    count: int = 0
    seeds: list[int] = field(default_factory=list)
    families: Counter[str] = field(default_factory=Counter)
    runs: Counter[str] = field(default_factory=Counter)
    representative: CaseResult | None = None
    folder: str | None = None
    reduced: bool = False
    reduced_folder: str | None = None
    reduced_result: CaseResult | None = None
    unreduced: int = 0
    warp_versions: set[str] = field(default_factory=set)
    merged: list[str] = field(default_factory=list)  # digests of near groups merged into this one
    # release-window labels checked by replaying the reduced kernel on the release that fixed
    # them (`confirm_known`): None when not checked, else the release and its replay status
    confirmation: tuple[str, str] | None = None
    unconfirmed: list[KnownEntry] = field(default_factory=list)  # labels the replay refuted

    @property
    def label(self) -> str:
        return "+".join(e.label for e in self.known)

    @property
    def is_new(self) -> bool:
        return not self.known

    def digest(self) -> str:
        if self.by is GroupBy.KNOWN:
            return self.label
        return self.root.digest() if self.root is not None else self.signature.digest()

    def reduced_source(self) -> str:
        r = self.reduced_result
        return str((r.case or {}).get("source", "")) if r is not None else ""

    def to_json(self) -> dict[str, Any]:
        r = self.representative
        return {
            "by": str(self.by),
            "key": self.key,
            "digest": self.digest(),
            "new": self.is_new,
            "label": self.label,
            "known": [e.to_json() for e in self.known],
            "root": None if self.root is None else self.root.to_json(),
            "signature": self.signature.to_json(),
            "count": self.count,
            "seeds": self.seeds,
            "families": dict(self.families),
            "runs": dict(self.runs),
            "representative": None if r is None else {"seed": r.seed, "message": r.message},
            "folder": self.folder,
            "reduced": self.reduced,
            "reduced_folder": self.reduced_folder,
            "reduced_kernel": self.reduced_source() or None,
            "unreduced": self.unreduced,
            "warp_versions": sorted(self.warp_versions),
            "merged": self.merged,
            "confirmation": None if self.confirmation is None else list(self.confirmation),
            "unconfirmed": [e.label for e in self.unconfirmed],
        }


def _from_meta(meta: dict[str, Any], case: KernelCase | None) -> CaseResult:
    return CaseResult(
        seed=int(meta["seed"]), kernel_name=meta.get("kernel_name", ""), family=meta.get("family", ""),
        generator_version=meta.get("generator_version", ""), case=case.to_json() if case else {},
        verdict=meta["verdict"], stage=meta.get("stage", ""), device=meta.get("device", ""),
        message=meta.get("message", ""), checks=meta.get("checks", []),
        gradient_check=meta.get("gradient_check") or [],
    )  # fmt: skip


def _with_reduced(f: Failure) -> Failure:
    """Attach `folder/reduced/` when it is a usable reduced case."""
    if f.folder is None:
        return f
    red = CorpusFolder.reduction_of(f.folder)
    if not CorpusFolder.is_folder(red):
        return f
    try:
        ent = CorpusFolder.read(red)
    except CorpusError:
        return f
    if ent.usable and ent.case is not None:
        f.reduced = _from_meta(ent.meta, ent.case)
        f.reduced_folder = red
        f.warp_version = f.warp_version or str(ent.meta.get("warp_version", ""))
        f.labels = meta_labels(ent.meta)
    return f


def failures(run_dir: str) -> list[Failure]:
    """A run's failing cases: from the campaign database, else from corpus folders."""
    run = os.path.abspath(run_dir)
    out: list[Failure] = []
    if os.path.exists(os.path.join(run_dir, "campaign.db")):
        from fuzz.engine.store import Store

        store = Store(run_dir)
        try:
            results = list(store.results("verdict != ?", ("verified",)))
        finally:
            store.close()
        root = corpus_dir(run_dir)
        for r in results:
            p = os.path.join(root, folder_name(r))
            folder = p if CorpusFolder.is_folder(p) else None
            out.append(_with_reduced(Failure(r, folder, run)))
        return out
    # no campaign database: the corpus folders themselves (e.g. the committed corpus/seeds)
    for path in find_folders([run_dir]):
        if CorpusFolder.is_reduction(path):
            continue
        ent = CorpusFolder.read(path)
        if ent.reduced and CorpusFolder.holds_case(path):
            # a committed reduced seed is its own reduced case
            r = _from_meta(ent.meta, ent.case)
            f = Failure(r, path, run, warp_version=str(ent.meta.get("warp_version", "")))
            if ent.usable and ent.case is not None:
                f.reduced, f.reduced_folder, f.labels = r, path, meta_labels(ent.meta)
            out.append(f)
            continue
        f = Failure(
            _from_meta(ent.meta, ent.case), path, run, warp_version=str(ent.meta.get("warp_version", ""))
        )
        out.append(_with_reduced(f))
    return out


def _classify(f: Failure, coarse: bool) -> tuple[str, GroupBy, RootKey | None, list[KnownEntry], Signature]:
    sig = signature_of(f.result)
    if coarse:
        sig = Signature(sig.stage, sig.devices, sig.verdict, sig.kind, ())
        return "sig:" + sig.key(), GroupBy.SIGNATURE, None, [], sig
    if f.reduced is None:
        # a gradient gap the check's re-check confirmed on the original labels it unreduced too
        # and a compile error in a known entry's own words (with its pattern in the kernel) too
        known = KNOWN.label_result(f.result, f.warp_version) or KNOWN.label_by_message(
            f.result, f.warp_version
        )
        if known:
            return "known:" + "+".join(e.label for e in known), GroupBy.KNOWN, None, known, sig
        return "sig:" + sig.key(), GroupBy.SIGNATURE, None, [], sig
    rsig = signature_of(f.reduced)
    case = f.reduced.case or {}
    rk = root_key(rsig, str(case.get("source", "")), str(case.get("kernel_name", f.reduced.kernel_name)))
    known = KNOWN.match_reduced(f.reduced, f.warp_version, f.labels)
    if known:
        return "known:" + "+".join(e.label for e in known), GroupBy.KNOWN, rk, known, sig
    return "root:" + rk.key(), GroupBy.ROOT_CAUSE, rk, [], sig


def _add(g: Group, f: Failure) -> None:
    r = f.result
    g.count += 1
    g.seeds.append(r.seed)
    g.families[r.family] += 1
    g.runs[f.run] += 1
    if f.warp_version:
        g.warp_versions.add(f.warp_version)
    if f.reduced is None:
        g.unreduced += 1
    # representative: the lowest reduced seed (else the lowest seed)
    cur = g.representative
    better = (
        cur is None
        or (f.reduced is not None and g.reduced_result is None)
        or ((f.reduced is not None) == (g.reduced_result is not None) and r.seed < cur.seed)
    )
    if better:
        g.representative, g.folder = r, f.folder
        g.reduced_result, g.reduced_folder = f.reduced, f.reduced_folder
        g.reduced = f.reduced is not None


Confirm = Callable[[KernelCase, "Group"], bool]


def near_shapes(case: KernelCase) -> dict[str, KernelCase]:
    """Shape -> a one-step reduction of `case` (every pass's proposals) having it."""
    from corpus.passes import PASSES
    from corpus.rootcause import kernel_shape

    out: dict[str, KernelCase] = {}
    for _, p in PASSES:
        for cand in p(case):
            out.setdefault(kernel_shape(cand.case.source, cand.case.kernel_name), cand.case)
    return out


def merge_near(groups: list[Group], confirm: Confirm | None) -> list[Group]:
    """Merge group A into group B when a one-step reduction of A's reduced kernel has B's shape
    (same stage, devices, verdict and kind) and `confirm(candidate, A)` says it still fails the
    same way. Without `confirm` nothing merges: a shape alone is a proposal, not evidence."""
    if confirm is None:
        return groups
    roots = [g for g in groups if g.by is GroupBy.ROOT_CAUSE and g.root is not None and g.reduced_result]
    gone: set[int] = set()
    for a in sorted(roots, key=lambda g: -len(g.root.shape if g.root else "")):
        if id(a) in gone or a.root is None or a.reduced_result is None:
            continue
        peers = {
            b.root.shape: b
            for b in roots
            if b is not a and id(b) not in gone and b.root is not None and b.root.bucket() == a.root.bucket()
        }
        if not peers:
            continue
        case = KernelCase.from_json(a.reduced_result.case)
        for shape, cand in near_shapes(case).items():
            b = peers.get(shape)
            if b is not None and confirm(cand, a):
                _absorb(b, a)
                gone.add(id(a))
                break
    return [g for g in groups if id(g) not in gone]


def _absorb(into: Group, g: Group) -> None:
    into.count += g.count
    into.seeds = sorted(into.seeds + g.seeds)
    into.families.update(g.families)
    into.runs.update(g.runs)
    into.unreduced += g.unreduced
    into.warp_versions |= g.warp_versions
    into.merged.append(g.digest())
    into.merged += g.merged


def judge_confirm(case: KernelCase, group: Group) -> bool:
    """Judge a candidate like the reducer does (the group's recorded settings, real Warp): does it
    fail with the group's reduced signature (constructs only removed, cause kept)?"""
    import tempfile

    from corpus.candidates import CandidateRunner, rename
    from corpus.reduce import settings_for
    from fuzz.engine.signature import same_failure

    if group.reduced_folder is None or group.reduced_result is None:
        return False
    meta = CorpusFolder.read(group.reduced_folder).meta
    target = signature_of(group.reduced_result)
    with tempfile.TemporaryDirectory(prefix="warpfuzz-triage-") as wdir:
        st = settings_for(meta, run_dir=wdir)
        runner = CandidateRunner(st, wdir, tag="tri")
        try:
            res = runner.run_candidates([rename(case, f"{case.kernel_name}_near")])[0]
        finally:
            runner.close()
    return same_failure(target, signature_of(res))


def triage(
    run_dir: str | list[str],
    *,
    include_all: bool = False,
    coarse: bool = False,
    confirm: Confirm | None = None,
) -> list[Group]:
    """Root-cause groups of the failures of one or several runs; new groups first (reduced ones,
    then unreduced signature groups), then known ones; most frequent first within each.

    include_all: also group oracle_unsupported and inconclusive cases (gaps, not failures).
    coarse: group by signature bucket only (stage, devices, verdict, kind), ignoring constructs.
    confirm: judge near-key merges (`judge_confirm`); None: no near merge.
    """
    runs = [run_dir] if isinstance(run_dir, str) else list(run_dir)
    groups: dict[str, Group] = {}
    for run in runs:
        for f in failures(run):
            if f.result.verdict not in FAILURE_VERDICTS and not include_all:
                continue
            key, by, rk, known, sig = _classify(f, coarse)
            g = groups.get(key)
            if g is None:
                g = groups[key] = Group(sig, by, key, rk, known)
            _add(g, f)
    out = list(groups.values())
    for g in out:
        g.seeds.sort()
        if g.representative is not None:
            g.signature = signature_of(g.representative) if not coarse else g.signature
    out = merge_near(out, confirm)
    order = {GroupBy.ROOT_CAUSE: 0, GroupBy.SIGNATURE: 1, GroupBy.KNOWN: 2}
    return sorted(out, key=lambda g: (order[g.by], -g.count, g.seeds[0] if g.seeds else 0))


Replay = Callable[[list[str], str], dict[str, str]]  # (folders, release) -> folder -> bisect status


def _window_entries(g: Group) -> list[KnownEntry]:
    """The group's labels when every one is a release window (no gradient re-check confirms it)."""
    window = [e for e in g.known if e.fixed_in and not e.gap and e.kind is not KnownKind.LIMITATION]
    return window if window and len(window) == len(g.known) else []


def confirm_known(groups: list[Group], replay: Replay) -> list[Group]:
    """Check release-window labels: a known group whose entries all name a `fixed_in` release
    is confirmed when its reduced kernel passes on that release (the latest of them) and refuted
    when it still fails there: the label moves to `unconfirmed` and the group is new again,
    grouped by its reduced kernel. Any other outcome (replay error, another verdict) leaves the
    label, marked not confirmed. `replay` runs folders on a release (`fuzz.bisect.bisect_replay`,
    which sits above this package). Gradient gaps are confirmed by their own re-check and are not replayed."""
    by_release: dict[str, list[Group]] = {}
    for g in groups:
        window = _window_entries(g)
        if window and g.reduced_folder:
            fix = max((e.fixed_in or "" for e in window), key=release_key)
            by_release.setdefault(fix, []).append(g)
    for release, gs in sorted(by_release.items()):
        status = replay([g.reduced_folder for g in gs if g.reduced_folder], release)
        for g in gs:
            st = status.get(g.reduced_folder or "", "error")
            g.confirmation = (release, st)
            if st != "failing":  # passing confirms; an error, skip or other verdict refutes nothing
                continue
            g.unconfirmed, g.known = g.known, []
            g.by = GroupBy.ROOT_CAUSE
            g.key = "root:" + (g.root.key() if g.root else g.signature.key())
    merged: dict[str, Group] = {}
    for g in groups:
        if g.key in merged and g.by is GroupBy.ROOT_CAUSE:
            _absorb(merged[g.key], g)
        else:
            merged.setdefault(g.key, g)
    order = {GroupBy.ROOT_CAUSE: 0, GroupBy.SIGNATURE: 1, GroupBy.KNOWN: 2}
    return sorted(merged.values(), key=lambda g: (order[g.by], -g.count, g.seeds[0] if g.seeds else 0))


def _indent(text: str, pad: str = "        ") -> list[str]:
    return [
        pad + line for line in text.rstrip().splitlines() if line.strip() and not line.startswith("# mypy")
    ]


def format_groups(groups: list[Group], limit: int | None = None) -> str:
    if not groups:
        return "no failures"
    total = sum(g.count for g in groups)
    unreduced = sum(g.unreduced for g in groups)
    new = sum(1 for g in groups if g.is_new)
    runs = {r for g in groups for r in g.runs}
    lines = [
        f"{len(groups)} group(s) ({new} new, {len(groups) - new} known) over {total} failing case(s) "
        f"in {len(runs)} run(s); {total - unreduced} reduced, {unreduced} not reduced",
        "",
    ]
    for k, g in enumerate(groups[:limit] if limit else groups, 1):
        rep = g.representative
        seeds = ", ".join(map(str, g.seeds[:8])) + (" ..." if len(g.seeds) > 8 else "")
        tag = "KNOWN" if not g.is_new else "NEW"
        how = {
            GroupBy.ROOT_CAUSE: "grouped by reduced kernel",
            GroupBy.KNOWN: f"known: {g.label}",
            GroupBy.SIGNATURE: "not reduced: grouped by signature",
        }[g.by]
        sig = g.root if g.root is not None else g.signature
        lines.append(
            f"#{k} {tag}  {g.count} x  [{g.digest()}]  {sig.verdict} at {sig.stage} ({sig.devices})  {how}"
        )
        for e in g.known:
            lines.append(f"    {e.label}: {e.title} ({e.releases()}; {e.reference})")
        if g.confirmation is not None:
            rel, st = g.confirmation
            verdict = "refuted" if g.unconfirmed else "confirmed" if st == "passing" else "not confirmed"
            lines.append(f"    label {verdict}: the reduced kernel is {st} on warp-lang {rel}")
        if g.unconfirmed:
            lines.append(
                f"    not {', '.join(e.label for e in g.unconfirmed)} (still failing where it was fixed)"
            )
        if g.by is GroupBy.SIGNATURE:
            lines.append(f"    signature: {g.signature.key()}")
        lines.append(
            f"    seeds: {seeds}   families: {', '.join(f'{f}={n}' for f, n in g.families.most_common())}"
        )
        if g.unreduced and g.by is not GroupBy.SIGNATURE:
            lines.append(f"    {g.unreduced} member(s) not reduced (grouped here by their label)")
        if g.merged:
            lines.append(f"    merged near group(s): {', '.join(g.merged)}")
        if len(g.runs) > 1:
            lines.append(f"    runs: {', '.join(f'{r}={n}' for r, n in g.runs.most_common())}")
        if rep is not None:
            msg = rep.message.splitlines()[0][:160] if rep.message else ""
            lines.append(f"    representative: seed {rep.seed}  {msg}")
        src = g.reduced_source()
        if src:
            lines.append(f"    reduced kernel ({g.reduced_folder}):")
            lines += _indent(src)
        elif g.folder:
            lines.append(f"    folder: {g.folder}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
