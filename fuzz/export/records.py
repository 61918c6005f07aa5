"""Dataset records: read stored cases, decide which are verified, and shape each as one row.

The gate is strict on purpose: a case enters the verified splits only when its stored verdict
is `verified` *and* it carries at least one device check, every device check passed, every
device-vs-oracle check compared enough of the elements the launch wrote (`written_evidence`), and
emitted code was stored for it. Anything else is a reject with a reason (written only on request).
Stores from before the written-element rule lack the counts: their cases are rejected as not
provably compared (re-run the campaign, or `replay` the seeds, to export them).
"""

from __future__ import annotations

import json
import math
import os
import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from fuzz.engine import judge as J
from fuzz.engine.verdict import Verdict
from fuzz.export.runs import RunInfo, SessionInfo
from fuzz.nativenames import canonical_function_ids
from grammar.case import MODULE_HEADER

CODE_KEYS = ("cpp_forward", "cpp_backward", "cuda_forward", "cuda_backward")


@dataclass
class StoredCase:
    """One row of a run's `cases` table (plus its code when asked for)."""

    run: int
    seed: int
    kernel_name: str
    family: str
    generator_version: str
    verdict: str
    stage: str
    device: str
    message: str
    case: dict[str, Any]
    checks: list[dict[str, Any]]
    unstable_fraction: float
    oracle_ops: int
    session: int | None
    has_code: bool
    code: dict[str, str | None]
    gradient: list[dict[str, Any]]


def iter_cases(run_index: int, run: RunInfo, with_code: bool) -> Iterator[StoredCase]:
    """Stream a run's cases in seed order (read-only; safe while a campaign is writing)."""
    db = sqlite3.connect(f"file:{os.path.join(run.path, 'campaign.db')}?mode=ro", uri=True)
    cols = {r[1] for r in db.execute("PRAGMA table_info(cases)")}
    grad_col = "gradient_json" if "gradient_json" in cols else "NULL"  # runs from before gradient checks
    code_cols = ", ".join(f"code.{k}" for k in CODE_KEYS) if with_code else "NULL, NULL, NULL, NULL"
    sql = (
        "SELECT cases.seed, kernel_name, family, generator_version, verdict, stage, device, message,"
        " case_json, checks_json, unstable_fraction, oracle_ops, session, " + grad_col + ","
        " (code.cpp_forward IS NOT NULL OR code.cuda_forward IS NOT NULL), " + code_cols + " FROM cases"
        " LEFT JOIN code ON code.seed = cases.seed ORDER BY cases.seed"
    )
    try:
        for row in db.execute(sql):
            yield StoredCase(
                run=run_index, seed=int(row[0]), kernel_name=row[1], family=row[2],
                generator_version=row[3], verdict=row[4], stage=row[5] or "", device=row[6] or "",
                message=row[7] or "", case=_loads(row[8], {}), checks=_loads(row[9], []),
                unstable_fraction=float(row[10] or 0.0), oracle_ops=int(row[11] or 0),
                session=row[12], gradient=_loads(row[13], []), has_code=bool(row[14]),
                code=dict(zip(CODE_KEYS, row[15:19], strict=True)) if with_code else {},
            )  # fmt: skip
    finally:
        db.close()


def _loads(text: str | None, default: Any) -> Any:
    if not text:
        return default
    try:
        return json.loads(text)
    except ValueError:
        return default


def written_evidence(device: str, arrays: list[dict[str, Any]] | None) -> str | None:
    """Why a device check does not prove its written elements were compared (None if it does):
    per array with written elements, at least one and at least (1 - max_unstable_fraction of the
    default policy) of them compared. `arrays` holds dicts with name/written/compared (a stored
    ArrayCheck or a record's `written_arrays`); missing counts mean a store from before the rule."""
    if arrays is None or any(a.get("written") is None or a.get("compared") is None for a in arrays):
        return (
            f"{device}: the stored check does not record which elements the launch wrote "
            "(a store from before that rule), so they are not provably compared"
        )
    out = [a for a in arrays if int(a["written"]) > 0]
    if not out:
        return f"{device}: the launch wrote no element, so nothing was compared"
    need = 1.0 - J.TolerancePolicy().max_unstable_fraction
    for a in out:
        w, k = int(a["written"]), int(a["compared"])
        if k == 0 or k < need * w:
            return f"{device}: {a.get('name', '?')}: {k} of {w} written elements compared"
    return None


def reject_reason(c: StoredCase) -> str | None:
    """Why this case must not be exported as verified; None when it may."""
    if c.verdict != Verdict.VERIFIED:
        first = c.message.splitlines()[0][:300] if c.message else ""
        where = " ".join(x for x in (c.stage and f"at {c.stage}", c.device and f"on {c.device}") if x)
        return f"{c.verdict}{' ' + where if where else ''}{': ' + first if first else ''}"
    if not c.case.get("source"):
        return "verified verdict but no kernel source stored"
    if not c.checks:
        return "verified verdict but no device check stored"
    failed = [str(ch.get("device", "?")) for ch in c.checks if ch.get("passed") is not True]
    if failed:
        return f"verified verdict but device check failed on {', '.join(failed)}"
    for ch in c.checks:
        device = str(ch.get("device", "?"))
        if "~" not in device:
            why = written_evidence(device, ch.get("arrays"))
            if why:
                return f"verified verdict but {why}"
    bad_grad = [str(g.get("device", "?")) for g in c.gradient if g.get("status") == "mismatch"]
    if bad_grad:
        return f"verified verdict but gradient check failed on {', '.join(bad_grad)}"
    if not c.has_code:
        return "verified verdict but no emitted C++/CUDA code stored"
    return None


_LINE_MARK = re.compile(r"<L (\d+)>")


def rebase_line_markers(code: str | None, kernel_name: str, python: str) -> str | None:
    """Renumber Warp's `<L n>` source-line comments to lines of the record's own `python` text.

    Warp numbers them by line of the file it compiled, which for a batch is the kernel's position
    in the batch module; the same kernel then gets other comments in every batch. The offset is
    read from the kernel's `// def <name>(` line; code without it is returned unchanged.
    """
    if not code:
        return code
    m = re.search(r"// def " + re.escape(kernel_name) + r"\(.*?<L (\d+)>", code)
    want = next(
        (i + 1 for i, ln in enumerate(python.splitlines()) if ln.startswith(f"def {kernel_name}(")), None
    )
    if m is None or want is None:
        return code
    shift = want - int(m.group(1))
    if shift == 0:
        return code
    return _LINE_MARK.sub(lambda g: f"<L {int(g.group(1)) + shift}>", code)


def record_code(code: str | None, kernel_name: str, python: str) -> str | None:
    """A record's code: line comments of its own `python`, helper names free of the process's
    counters (`fuzz.nativenames`), so `emit` prints the same text."""
    return canonical_function_ids(rebase_line_markers(code, kernel_name, python), python)


def _finite(x: Any) -> float | None:
    """Non-finite floats become null: Parquet and JSON readers disagree about them."""
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def summarize_check(ch: dict[str, Any]) -> dict[str, Any]:
    """One device's check as a record field: device, passed, max ULP/abs error, tolerance, trials.

    `trials` is the number of input sets launched on that device; the batch runner launches each
    case once per device, so a stored check without the field counts one.
    """
    arrays = ch.get("arrays") or []
    tols = [_finite(a.get("tolerance")) for a in arrays]
    return {
        "device": str(ch.get("device", "")),
        "passed": ch.get("passed") is True,
        "max_ulp": _finite(ch.get("max_ulp")),
        "max_abs_err": _finite(ch.get("max_abs_err")),
        "tolerance": str(ch.get("tolerance_rule") or ""),
        "worst_tolerance": max((t for t in tols if t is not None), default=None),
        "trials": int(ch.get("trials", 1)),
        "elements": int(sum(int(a.get("elements", 0)) for a in arrays)),
        "checked": int(sum(int(a.get("checked", 0)) for a in arrays)),
        "unstable": int(sum(int(a.get("unstable", 0)) for a in arrays)),
        "written_arrays": _written_arrays(arrays),
    }


def _written_arrays(arrays: list[dict[str, Any]]) -> list[dict[str, Any]] | None:
    """Per array the launch wrote: its written and compared element counts (None: not recorded)."""
    if any(a.get("written") is None or a.get("compared") is None for a in arrays):
        return None
    return [
        {"name": str(a.get("name", "")), "written": int(a["written"]), "compared": int(a["compared"])}
        for a in arrays
        if int(a["written"]) > 0
    ]


def gradient_status(grads: list[dict[str, Any]]) -> str | None:
    """One word for the gradient checks: null when none ran, the shared status, or "mixed"."""
    statuses = {str(g.get("status")) for g in grads}
    if not statuses:
        return None
    if "mismatch" in statuses:
        return "mismatch"
    return statuses.pop() if len(statuses) == 1 else "mixed"


def summarize_gradient(g: dict[str, Any]) -> dict[str, Any]:
    return {
        "device": str(g.get("device", "")),
        "status": str(g.get("status", "")),
        "max_rel_err": _finite(g.get("max_rel_err")),
        "tolerance": _finite(g.get("tolerance")),
        "checked": int(g.get("checked", 0)),
        "message": str(g.get("message", "")),
    }


def input_spec(case: dict[str, Any]) -> dict[str, Any]:
    """What rebuilds the inputs: `grammar.make_inputs` is a function of exactly these fields."""
    return {
        "recipe": "grammar.make_inputs(KernelCase)",
        "seed": case.get("seed"),
        "generator_version": case.get("generator_version"),
        "params": case.get("params", []),
        "dim": case.get("dim", []),
    }


def build_record(
    c: StoredCase,
    run: RunInfo,
    session: SessionInfo,
    *,
    pair: str,
    source_sha: str,
    builtins: tuple[str, ...],
    split: str,
    split_group: str,
    cluster_size: int,
) -> dict[str, Any]:
    """The exported row of a verified case."""
    case = c.case
    python = MODULE_HEADER + str(case["source"])
    return {
        "pair_id": pair,
        "kernel_name": c.kernel_name,
        "family": c.family,
        "seed": c.seed,
        "generator_version": c.generator_version,
        "python": python,
        **{k: record_code(c.code.get(k), c.kernel_name, python) for k in CODE_KEYS},
        "warp_version": session.warp_version,
        "codegen_options": session.codegen_options,
        "input_spec": json.dumps(input_spec(case), sort_keys=True),
        "constructs": [str(x) for x in case.get("constructs", [])],
        "checks": [summarize_check(ch) for ch in c.checks],
        "gradient_check": gradient_status(c.gradient),
        "gradient_checks": [summarize_gradient(g) for g in c.gradient],
        "builtins": list(builtins),
        "source_sha": source_sha,
        "unstable_fraction": _finite(c.unstable_fraction),
        "oracle_ops": c.oracle_ops,
        "devices": list(session.devices),
        "run": run.name,
        "split": split,
        "split_group": split_group,
        "near_dup_cluster_size": cluster_size,
        "origin": origin_of(case),
    }


ORIGIN_KEYS = ("file", "line", "kernel", "licence", "licence_source", "file_sha256", "source_sha256")


def origin_of(case: dict[str, Any]) -> dict[str, Any] | None:
    """A harvested case's origin (file, line, licence, hashes: `fuzz.harvest`); None for generated ones."""
    o = case.get("origin")
    if not isinstance(o, dict):
        return None
    return {k: o.get(k) for k in ORIGIN_KEYS}


def build_reject(c: StoredCase, run: RunInfo, session: SessionInfo, reason: str) -> dict[str, Any]:
    """A case kept out of the verified splits, with the reason (only written with --include-rejects)."""
    src = c.case.get("source")
    return {
        "kernel_name": c.kernel_name,
        "family": c.family,
        "seed": c.seed,
        "generator_version": c.generator_version,
        "verdict": c.verdict,
        "stage": c.stage,
        "device": c.device,
        "reason": reason,
        "message": c.message,
        "python": MODULE_HEADER + str(src) if src else None,
        **{k: c.code.get(k) for k in CODE_KEYS},
        "warp_version": session.warp_version,
        "codegen_options": session.codegen_options,
        "input_spec": json.dumps(input_spec(c.case), sort_keys=True) if c.case else None,
        "checks": [summarize_check(ch) for ch in c.checks],
        "gradient_check": gradient_status(c.gradient),
        "run": run.name,
    }
