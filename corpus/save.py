"""Save failing cases as self-contained corpus folders under `RUN_DIR/corpus/`.

Saving is idempotent: a folder whose meta.json exists is left alone, so the campaign may call
`save_failures` after every batch (and again on resume) without duplicating anything.
meta.json, written last, records a sha256 of every other file (`corpus.folder_check`).
"""

from __future__ import annotations

import os
import time
from dataclasses import replace
from importlib import metadata
from typing import Any

import numpy as np

from corpus import folder as F
from corpus.folder import repro_text
from corpus.known import KNOWN
from fuzz.engine import judge as J
from fuzz.engine.result import CaseResult
from fuzz.engine.runner import load_registry
from fuzz.engine.settings import WorkerSettings
from fuzz.engine.signature import signature_of
from fuzz.engine.sweep import blamed_point
from fuzz.engine.verdict import Verdict
from grammar.case import KernelCase

__all__ = [
    "FAILURE_VERDICTS",
    "expected_arrays",
    "refresh_folder",
    "repro_text",
    "save_failures",
    "write_folder",
]

# verdicts that are failures worth a folder; verified, inconclusive and oracle_unsupported are not
FAILURE_VERDICTS = frozenset(
    {
        Verdict.MISMATCH,
        Verdict.GRADIENT_MISMATCH,
        Verdict.SETTING_MISMATCH,
        Verdict.COMPILE_ERROR,
        Verdict.LAUNCH_ERROR,
        Verdict.CRASH,
        Verdict.TIMEOUT,
        Verdict.INVALID_KERNEL,
        Verdict.INTERNAL_ERROR,
    }
)


def corpus_dir(run_dir: str) -> str:
    return os.path.join(run_dir, "corpus")


def folder_name(result: CaseResult) -> str:
    return f"{result.seed}-{result.verdict}"


def warp_version() -> str:
    try:
        return metadata.version("warp-lang")
    except metadata.PackageNotFoundError:
        return "?"


def _campaign_meta(run_dir: str) -> dict[str, Any]:
    if not os.path.exists(os.path.join(run_dir, "campaign.db")):
        return {}
    from fuzz.engine.store import Store

    store = Store(run_dir)
    try:
        return dict(store.get_meta("campaign") or {})
    finally:
        store.close()


def save_failures(
    run_dir: str, results: list[CaseResult], *, settings: WorkerSettings | None = None
) -> list[str]:
    """Write a corpus folder for every failing result; return the folders (new and existing).

    `settings` are the campaign's worker settings (devices, tolerance policy, oracle registry);
    without them the defaults are assumed.
    """
    failing = [r for r in results if r.verdict in FAILURE_VERDICTS]
    if not failing:
        return []
    settings = settings or WorkerSettings(run_dir=run_dir)
    campaign = _campaign_meta(run_dir)
    root = corpus_dir(run_dir)
    os.makedirs(root, exist_ok=True)
    paths = []
    for r in failing:
        path = os.path.join(root, folder_name(r))
        if not F.CorpusFolder.is_folder(path):
            write_folder(path, r, settings, gen_config=campaign.get("gen_config", settings.gen_config))
        paths.append(path)
    return paths


def _worst(result: CaseResult) -> list[dict[str, Any]]:
    out = []
    for c in result.checks:
        for a in c.get("arrays", []):
            if not a.get("passed", True):
                out.append(
                    {
                        "device": c.get("device"),
                        "array": a["name"],
                        "dtype": a.get("dtype"),
                        "index": a.get("worst_index"),
                        "observed": a.get("observed"),
                        "expected": a.get("expected"),
                        "tolerance": a.get("tolerance"),
                        "max_abs_err": a.get("max_abs_err"),
                        "max_ulp": a.get("max_ulp"),
                        "bad": a.get("bad"),
                        "elements": a.get("elements"),
                    }
                )
    return out


def expected_arrays(
    case: KernelCase, inputs: dict[str, Any], settings: WorkerSettings
) -> dict[str, F.ExpectedArray]:
    """The oracle's values with the judge's per-element tolerance (`judge.element_tolerance`)
    and unstable mask: expected.npz of a mismatch. The oracle runs again here because a
    worker's result carries only the worst element of each array, not the oracle's arrays."""
    import oracle

    orc = oracle.evaluate(
        case.module_source(),
        case.kernel_name,
        inputs,
        case.dim,
        registry=load_registry(settings.registry_factory),
    )
    out: dict[str, F.ExpectedArray] = {}
    for name, exp in orc.arrays.items():
        exp = np.asarray(exp)
        unst = orc.unstable.get(name)
        unst = np.zeros(exp.shape, bool) if unst is None else np.broadcast_to(unst, exp.shape).copy()
        if exp.dtype.kind == "f":
            b = orc.error_bound.get(name)
            bound = np.zeros(exp.shape) if b is None else np.broadcast_to(b, exp.shape).astype(np.float64)
            unst |= ~np.isfinite(bound)
            tol = J.element_tolerance(exp, bound, settings.policy)
        else:
            tol = np.zeros(exp.shape)
        out[name] = F.ExpectedArray(exp, tol, unst)
    return out


def write_folder(
    path: str,
    result: CaseResult,
    settings: WorkerSettings,
    *,
    gen_config: dict[str, Any] | None = None,
    extra: dict[str, Any] | None = None,
) -> str:
    """Write (or overwrite) one corpus folder for `result` (`corpus.folder.CorpusFolder.write`)."""
    case = KernelCase.from_json(result.case) if result.case else None
    notes: list[str] = []
    inputs: dict[str, Any] | None = None
    expected: dict[str, F.ExpectedArray] | None = None
    code: dict[str, str] = {}
    if case is not None:
        try:
            import grammar

            inputs = grammar.make_inputs(case)
            if result.verdict in (Verdict.MISMATCH, Verdict.SETTING_MISMATCH):
                expected = expected_arrays(case, inputs, settings)
        except Exception as e:  # the folder still records the failure; repro cannot run
            notes.append(f"inputs/expected values could not be rebuilt: {type(e).__name__}: {e}")
        for key, fname in F.CODE_FILES.items():
            text = result.code.get(key) if result.code else None
            if text:
                back = result.code.get(key.replace("forward", "backward")) or ""
                code[fname] = text + ("\n\n" + back if back else "")
    meta: dict[str, Any] = {
        "seed": result.seed,
        "kernel_name": result.kernel_name,
        "family": result.family,
        "verdict": result.verdict,
        "stage": result.stage,
        "device": result.device,
        "message": result.message,
        "signature": signature_of(result).to_json(),
        "generator_version": result.generator_version,
        "warp_version": warp_version(),
        "worst": _worst(result),
        "unstable_fraction": result.unstable_fraction,
        "checks": result.checks,
        "gradient_check": getattr(result, "gradient_check", []),
        "known": KNOWN.meta_for(result, warp_version()) or {"status": "open", "issue": None, "note": ""},
        "reduced_from": None,
        "saved_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "notes": notes,
    }
    if extra:
        meta.update(extra)
    if result.verdict == Verdict.SETTING_MISMATCH:
        # the folder sweeps the blamed point alone: replay, reduce, bisect and repro.py rebuild it
        point = blamed_point(result.message)
        settings = replace(settings, sweep=(point,) if point else settings.sweep)
    elif settings.sweep:
        # any other failure was decided before the sweep (only verified cases are swept): its
        # folder sweeps nothing, so a reduction shares modules with the other failures and does
        # not build every candidate once more per point (a 1.12.0 sweep campaign ran out of
        # reduction time on 9 of 20 failures that way)
        settings = replace(settings, sweep=())
    F.CorpusFolder.write(
        path, meta, settings, gen_config=meta.pop("gen_config", gen_config), case=case, inputs=inputs,
        expected=expected, code=code,
    )  # fmt: skip
    return path


def refresh_folder(path: str) -> bool:
    """Regenerate a trusted folder's repro.py from the current template and re-record its hashes
    (`CorpusFolder.refresh_repro`; `scripts/refresh_repro.py` does it for the committed seeds)."""
    return F.CorpusFolder.read(path).refresh_repro()
