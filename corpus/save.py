"""Save failing cases as self-contained corpus folders under `RUN_DIR/corpus/`.

Saving is idempotent: a folder whose meta.json exists is left alone, so the campaign may call
`save_failures` after every batch (and again on resume) without duplicating anything.
meta.json, written last, records a sha256 of every other file (`corpus.folder_check`).
"""

from __future__ import annotations

import importlib
import json
import os
import time
from dataclasses import asdict
from importlib import metadata
from typing import Any

import numpy as np

from corpus import entry as E
from corpus import folder_check
from corpus.known import KNOWN
from fuzz.engine import judge as J
from fuzz.engine.result import CaseResult
from fuzz.engine.settings import WorkerSettings
from fuzz.engine.signature import signature_of
from grammar.case import KernelCase

# verdicts that are failures worth a folder; verified, inconclusive and oracle_unsupported are not
GRADIENT_MISMATCH = getattr(J, "GRADIENT_MISMATCH", "gradient_mismatch")
FAILURE_VERDICTS = frozenset(
    {
        J.MISMATCH,
        GRADIENT_MISMATCH,
        J.COMPILE_ERROR,
        J.LAUNCH_ERROR,
        J.CRASH,
        J.TIMEOUT,
        J.INVALID_KERNEL,
        J.INTERNAL_ERROR,
    }
)
# Warp annotations (`wp.array(dtype=...)`) are calls, which type checkers reject
KERNEL_HEADER = "# mypy: ignore-errors\n"
_TEMPLATE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "repro_script.py")
CONFIG_MARKER = "CONFIG: dict[str, Any] = {}  # @CONFIG@ (filled in when the corpus folder is written)"
CHECK_MARKER = "from corpus.folder_check import DAMAGED_EXIT, UnsafeSource, check_source, folder_damage  # @FOLDER_CHECK@"


def corpus_dir(run_dir: str) -> str:
    return os.path.join(run_dir, "corpus")


def folder_name(result: CaseResult) -> str:
    return f"{result.seed}-{result.verdict}"


def warp_version() -> str:
    try:
        return metadata.version("warp-lang")
    except metadata.PackageNotFoundError:
        return "?"


def load_registry(spec: str | None) -> Any:
    """The oracle registry a "module:function" names (None: the oracle's default)."""
    if not spec:
        return None
    mod_name, _, fn = spec.partition(":")
    return getattr(importlib.import_module(mod_name), fn)()


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
        if not os.path.isfile(os.path.join(path, E.META)):
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


def _gradient_target(result: CaseResult, case: KernelCase) -> dict[str, Any] | None:
    """For a gradient mismatch: the input element the checker named and the float outputs."""
    import re

    if result.verdict != GRADIENT_MISMATCH:
        return None
    m = re.search(r"/d(\w+)\[([^\]]*)\]", result.message)
    if not m:
        return None
    index = [int(x) for x in m.group(2).replace(" ", "").split(",") if x.lstrip("-").isdigit()]
    floats = ("float32", "float64", "float16")
    outs = [
        p.name for p in case.params if p.kind == "array" and p.role in ("out", "inout") and p.dtype in floats
    ]
    return {"input": m.group(1), "index": index, "outputs": outs}


def _flat_inputs(args: dict[str, Any]) -> dict[str, np.ndarray]:
    flat: dict[str, np.ndarray] = {}
    for name, v in args.items():
        if isinstance(v, dict):
            for f, fv in v.items():
                flat[f"{name}.{f}"] = np.asarray(fv)
        else:
            flat[name] = np.asarray(v)
    return flat


def expected_arrays(
    case: KernelCase, inputs: dict[str, Any], settings: WorkerSettings
) -> dict[str, np.ndarray]:
    """The oracle's values with the judge's per-element tolerance and unstable mask."""
    import oracle

    orc = oracle.evaluate(
        case.module_source(),
        case.kernel_name,
        inputs,
        case.dim,
        registry=load_registry(settings.registry_factory),
    )
    pol = settings.policy
    out: dict[str, np.ndarray] = {}
    for name, exp in orc.arrays.items():
        exp = np.asarray(exp)
        unst = orc.unstable.get(name)
        unst = np.zeros(exp.shape, bool) if unst is None else np.broadcast_to(unst, exp.shape).copy()
        if exp.dtype.kind == "f":
            b = orc.error_bound.get(name)
            bound = np.zeros(exp.shape) if b is None else np.broadcast_to(b, exp.shape).astype(np.float64)
            unst |= ~np.isfinite(bound)
            with np.errstate(invalid="ignore", over="ignore"):
                ulp = np.spacing(np.abs(exp)).astype(np.float64)
            ulp[~np.isfinite(ulp)] = np.inf
            tol = pol.safety * np.where(np.isfinite(bound), bound, 0.0) + pol.floor_ulps * ulp
        else:
            tol = np.zeros(exp.shape)
        out[name] = exp
        out[name + "__tol"] = tol
        out[name + "__unstable"] = unst
    return out


def repro_text(cfg: dict[str, Any]) -> str:
    """A folder's repro.py: the template with its CONFIG filled in and the folder checker's text
    in place of its import (repro.py must run with warp-lang and numpy alone)."""
    with open(_TEMPLATE, encoding="utf-8") as f:
        template = f.read()
    with open(folder_check.__file__, encoding="utf-8") as f:
        checker = f.read()
    for marker in (CONFIG_MARKER, CHECK_MARKER):
        if marker not in template:
            raise RuntimeError(f"{_TEMPLATE}: the marker line {marker!r} is missing")
    checker = (
        "# ---- copied from corpus/folder_check.py ----\n"
        + checker
        + "# ---- end of corpus/folder_check.py ----\n"
    )
    return template.replace(CHECK_MARKER, checker).replace(
        CONFIG_MARKER, f"CONFIG: dict[str, Any] = json.loads({json.dumps(json.dumps(cfg))})"
    )


def write_folder(
    path: str,
    result: CaseResult,
    settings: WorkerSettings,
    *,
    gen_config: dict[str, Any] | None = None,
    extra: dict[str, Any] | None = None,
) -> str:
    """Write (or overwrite) one corpus folder for `result`."""
    from fuzz.engine.runner import elem_ndim

    os.makedirs(path, exist_ok=True)
    sig = signature_of(result)
    case = KernelCase.from_json(result.case) if result.case else None
    files = [E.META]
    notes: list[str] = []
    if case is not None:
        E.write_json(os.path.join(path, E.CASE), case.to_json())
        with open(os.path.join(path, E.KERNEL), "w", encoding="utf-8") as f:
            f.write(KERNEL_HEADER + case.module_source())
        files += [E.CASE, E.KERNEL]
        try:
            import grammar

            inputs = grammar.make_inputs(case)
            np.savez(os.path.join(path, E.INPUTS), **_flat_inputs(inputs))  # type: ignore[arg-type]
            files.append(E.INPUTS)
            if result.verdict == J.MISMATCH:
                np.savez(os.path.join(path, E.EXPECTED), **expected_arrays(case, inputs, settings))  # type: ignore[arg-type]
                files.append(E.EXPECTED)
        except Exception as e:  # the folder still records the failure; repro cannot run
            notes.append(f"inputs/expected values could not be rebuilt: {type(e).__name__}: {e}")
        for key, fname in (("cpp_forward", "kernel.cpp"), ("cuda_forward", "kernel.cu")):
            code = result.code.get(key) if result.code else None
            if code:
                back = result.code.get(key.replace("forward", "backward")) or ""
                with open(os.path.join(path, fname), "w", encoding="utf-8") as f:
                    f.write(code + ("\n\n" + back if back else ""))
                files.append(fname)
    devices = list(settings.devices)
    meta: dict[str, Any] = {
        "format": E.FORMAT,
        "seed": result.seed,
        "kernel_name": result.kernel_name,
        "family": result.family,
        "verdict": result.verdict,
        "stage": result.stage,
        "device": result.device,
        "message": result.message,
        "signature": sig.to_json(),
        "generator_version": result.generator_version,
        "gen_config": gen_config if gen_config is not None else settings.gen_config,
        "warp_version": warp_version(),
        "devices": devices,
        "enable_backward": settings.enable_backward,
        "cuda_arch": settings.cuda_arch,
        "cpu_opt_level": settings.cpu_opt_level,
        "tolerance": {"rule": settings.policy.describe(), **asdict(settings.policy)},
        # recorded for the reader only: no command imports what a folder names (--oracle-registry does)
        "oracle_registry": settings.registry_factory,
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
    if case is not None and E.INPUTS in files:
        cfg = {
            "seed": result.seed,
            "kernel": case.kernel_name,
            "verdict": result.verdict,
            "stage": result.stage,
            "signature": sig.key(),
            "title": f"seed {result.seed} ({result.family}): {result.verdict} at {result.stage or '?'}",
            "dim": list(case.dim),
            "devices": devices,
            "cuda_arch": settings.cuda_arch,
            "enable_backward": settings.enable_backward,
            "cpu_opt_level": settings.cpu_opt_level,
            "elem_ndim": {p.name: elem_ndim(p.dtype) for p in case.params if p.kind == "array"},
            "timeout_s": 60,
            "gradient": _gradient_target(result, case),
        }
        with open(os.path.join(path, E.REPRO), "w", encoding="utf-8") as f:
            f.write(repro_text(cfg))
        files.append(E.REPRO)
    meta["files"] = sorted(files)
    meta["sha256"] = folder_check.folder_hashes(path, files)
    E.write_json(os.path.join(path, E.META), meta)  # last: its presence marks a complete folder
    return path


def refresh_folder(path: str) -> None:
    """Rewrite a trusted folder's repro.py from the current template (same CONFIG) and record
    its files' hashes: for the committed corpus/seeds/* when corpus/repro_script.py changes.
    Never for folders from elsewhere: it keeps whatever their files hold."""
    import ast

    meta_path = os.path.join(path, E.META)
    with open(meta_path, encoding="utf-8") as f:
        meta = json.load(f)
    repro = os.path.join(path, E.REPRO)
    if os.path.isfile(repro):
        with open(repro, encoding="utf-8") as f:
            tree = ast.parse(f.read(), filename=repro)
        node = next(
            n for n in tree.body
            if isinstance(n, ast.AnnAssign) and isinstance(n.target, ast.Name) and n.target.id == "CONFIG"
        )  # fmt: skip
        assert isinstance(node.value, ast.Call)
        cfg = json.loads(ast.literal_eval(node.value.args[0]))
        with open(repro, "w", encoding="utf-8") as f:
            f.write(repro_text(cfg))
    if "registry_factory" in meta:  # folders from before the rename
        meta["oracle_registry"] = meta.pop("registry_factory")
    meta["sha256"] = folder_check.folder_hashes(path, meta.get("files") or [])
    E.write_json(meta_path, meta)
