"""Replay corpus folders on the installed Warp: still failing, fixed, or changed?

A folder is re-run from its recipe: regenerated from (seed, generator settings) when the installed
generator has the version that produced it (and the regenerated case is identical), otherwise
from the stored source, with a message saying so. Reduced cases always use their stored source.

Nothing of a folder is imported before its files match meta.json's sha256 and its kernel source
passes the allow-list (`corpus.folder_check`); a folder that fails either is reported as damaged
or refused, never as fixed or failing. A failure recorded on several devices is replayed on the
ones this machine has and compared on those alone (`restrict_signature`).
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from corpus.candidates import CandidateRunner, Runner, SubprocessRunner, rename
from corpus.device_subset import restrict_signature
from corpus.folder import CorpusFolder, find_folders
from corpus.reduce import settings_for
from corpus.save import FAILURE_VERDICTS
from fuzz.engine.result import CaseResult
from fuzz.engine.settings import WorkerSettings
from fuzz.engine.signature import Signature, signature_of
from fuzz.engine.sweep import not_sweepable
from fuzz.engine.verdict import Verdict
from grammar.case import KernelCase

STILL_FAILING = "still failing"
FIXED = "fixed"
CHANGED = "changed"
SKIPPED = "skipped"
DAMAGED = "damaged"  # files missing or changed since the folder was written
REFUSED = "refused"  # its kernel source holds code outside the allow-list: never imported


@dataclass
class Outcome:
    path: str
    seed: int
    status: str
    old: Signature
    new: Signature | None = None
    verdict: str = ""
    message: str = ""
    note: str = ""

    @property
    def failing(self) -> bool:
        """Counts toward exit status 1: the failure is still there, or another failure replaced it."""
        return self.status == STILL_FAILING or (self.status == CHANGED and self.verdict in FAILURE_VERDICTS)

    @property
    def unusable(self) -> bool:
        """Counts toward exit status 3: the folder is damaged or its source was refused."""
        return self.status in (DAMAGED, REFUSED)

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["old"] = self.old.key()
        d["new"] = None if self.new is None else self.new.key()
        return d


def _case_for(ent: CorpusFolder) -> tuple[KernelCase | None, str]:
    """The case to replay and a note on where it came from."""
    import grammar

    stored = ent.case
    have = str(ent.meta.get("generator_version", "?"))
    if have != grammar.GENERATOR_VERSION:
        return stored, (
            f"generator version mismatch: saved by generator {have}, installed generator is "
            f"{grammar.GENERATOR_VERSION}; replaying the stored source instead of regenerating seed {ent.seed}"
        )
    if ent.reduced or stored is None:
        return stored, ""
    try:
        # the campaign generated for its own release (grammar.gates): regenerate for that release
        cfg = dict(ent.meta.get("gen_config") or {})
        recorded = ent.meta.get("warp_version")
        regen = grammar.generate(ent.seed, grammar.GenConfig(**cfg, warp_version=recorded and str(recorded)))
    except Exception as e:
        return (
            stored,
            f"regenerating seed {ent.seed} failed ({type(e).__name__}: {e}); replaying the stored source",
        )
    if regen.dumps() != stored.dumps():
        return stored, (
            f"seed {ent.seed} regenerates to a different case under the same generator version "
            f"{have} (the generator changed without a version bump, or is nondeterministic); "
            "replaying the stored source"
        )
    return regen, "regenerated from seed"


def _settings_key(st: WorkerSettings) -> str:
    return json.dumps(
        [
            st.devices,
            st.enable_backward,
            st.cuda_arch,
            st.cpu_opt_level,
            st.sweep,
            st.gradients,
            asdict(st.policy),
            st.registry_factory,
        ],
        default=str,
    )


def replay(
    paths: list[str],
    *,
    devices: tuple[str, ...] | None = None,
    registry: str | None = None,
    timeout_s: float = 120.0,
    log: Callable[[Outcome], None] | None = None,
) -> list[Outcome]:
    """Re-run every corpus folder under `paths` and classify it.

    devices: where to run (default: each folder's recorded devices).
    registry: "module:function" of the oracle registry (default: the installed oracle's, so a
    failure caused by an oracle error shows as fixed once the oracle is corrected).
    """
    entries = [CorpusFolder.read(p) for p in find_folders(paths)]
    outcomes: dict[str, Outcome] = {}
    jobs: dict[str, tuple[WorkerSettings, list[tuple[CorpusFolder, KernelCase, str]]]] = {}
    for ent in entries:
        old = ent.signature
        if not ent.usable:
            status = DAMAGED if ent.damaged else REFUSED
            outcomes[ent.path] = Outcome(ent.path, ent.seed, status, old, note=ent.problem())
            continue
        case, note = _case_for(ent)
        if case is None:
            outcomes[ent.path] = Outcome(ent.path, ent.seed, SKIPPED, old, note="no stored case to replay")
            continue
        note = "; ".join(n for n in (ent.note, note) if n)
        st = settings_for(ent.meta, devices=devices, registry=registry or "")
        why = not_sweepable(st.sweep, st.devices, st.cuda_arch, st.cpu_opt_level) if st.sweep else ""
        if why:  # a setting_mismatch whose point this release or machine cannot build
            outcomes[ent.path] = Outcome(ent.path, ent.seed, SKIPPED, old, note=why)
            continue
        part = restrict_signature(old, st.devices, st.cuda_arch)
        if part is None:
            outcomes[ent.path] = Outcome(
                ent.path, ent.seed, SKIPPED, old, note=f"needs a CUDA device ({old.devices})"
            )
            continue
        if part.devices != old.devices:
            missing = sorted(set(old.devices.split("+")) - set(part.devices.split("+")))
            note = "; ".join(
                n
                for n in (note, f"replayed {part.devices} only; not reproducible here: {'+'.join(missing)}")
                if n
            )
        jobs.setdefault(_settings_key(st), (st, []))[1].append((ent, case, note))
    for st, items in jobs.values():
        work = tempfile.mkdtemp(prefix="warpfuzz-replay-")
        try:
            inproc = [it for it in items if it[0].signature.verdict not in (Verdict.CRASH, Verdict.TIMEOUT)]
            isolated = [it for it in items if it[0].signature.verdict in (Verdict.CRASH, Verdict.TIMEOUT)]
            if inproc:
                _run(CandidateRunner(st, work, tag="replay"), inproc, outcomes, st.devices)
            if isolated:
                _run(SubprocessRunner(st, work, timeout_s=timeout_s), isolated, outcomes, st.devices)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    out = [outcomes[e.path] for e in entries]
    if log:
        for o in out:
            log(o)
    return out


def _run(
    runner: Runner,
    items: list[tuple[CorpusFolder, KernelCase, str]],
    outcomes: dict[str, Outcome],
    devices: tuple[str, ...],
) -> None:
    # kernel names must be unique in one module: an original and its reduction share theirs
    named = [rename(case, f"{case.kernel_name}_r{k}") for k, (_, case, _) in enumerate(items)]
    results = runner.run_candidates(named)
    for (ent, _case, note), res in zip(items, results, strict=True):
        outcomes[ent.path] = classify(ent, res, note, devices)


def classify(
    ent: CorpusFolder, res: CaseResult, note: str = "", devices: tuple[str, ...] | None = None
) -> Outcome:
    """Compare the replay's signature with the recorded one (its part on `devices`, if given)."""
    new = signature_of(res)
    old = (restrict_signature(ent.signature, devices) if devices else None) or ent.signature
    if new.key() == old.key():
        status = STILL_FAILING
    elif res.verdict == Verdict.VERIFIED:
        status = FIXED
    else:
        status = CHANGED
    return Outcome(ent.path, ent.seed, status, old, new, res.verdict, res.message, note)


def format_outcome(o: Outcome) -> str:
    head = f"{o.status:<13} seed {o.seed:<8} {o.path}"
    lines = [head]
    if o.note and o.unusable:
        lines.append(f"    {o.note}")
    elif o.note:
        lines.append(f"    note: {o.note}")
    if o.status == STILL_FAILING:
        lines.append(f"    signature: {o.old.key()}")
    elif o.status == CHANGED:
        lines.append(f"    was: {o.old.key()}")
        lines.append(f"    now: {o.new.key() if o.new else '?'}")
        if o.message:
            lines.append(f"    message: {o.message.splitlines()[0][:200]}")
    return "\n".join(lines)
