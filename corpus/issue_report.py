"""Upstream-ready reports for new triage groups: one folder per group holding `issue.md` (title,
minimal kernel, inputs, observed vs expected, releases affected, environment) beside a copy of
the reduced corpus folder, whose `repro.py` runs with only warp-lang and numpy installed."""

from __future__ import annotations

import os
import platform
import shutil
from dataclasses import dataclass
from typing import Any

import numpy as np

from corpus.folder import CorpusError, CorpusFolder
from corpus.triage import Group

ISSUE = "issue.md"


@dataclass(frozen=True)
class Releases:
    """Which releases a group's reduced kernel fails on (from `fuzz.bisect`), or only where found."""

    found_on: tuple[str, ...]
    failing: tuple[str, ...] = ()
    passing: tuple[str, ...] = ()
    other: tuple[tuple[str, str], ...] = ()  # (release, status) for different/skipped/error
    bisected: bool = False

    def text(self) -> str:
        found = ", ".join(self.found_on) or "?"
        if not self.bisected:
            return f"found on warp-lang {found}; not bisected (run `python -m fuzz triage --report DIR --bisect`)"
        lines = [
            f"found on warp-lang {found}; replayed on {len(self.failing) + len(self.passing) + len(self.other)} releases:"
        ]
        lines.append(f"- failing: {', '.join(self.failing) or 'none'}")
        lines.append(f"- passing: {', '.join(self.passing) or 'none'}")
        for v, status in self.other:
            lines.append(f"- {v}: {status}")
        return "\n".join(lines)


def title(g: Group) -> str:
    sig = g.root if g.root is not None else g.signature
    rep = g.reduced_result or g.representative  # the reduced kernel's own message
    what = {
        "gradient_mismatch": "wrong gradient",
        "mismatch": "wrong result",
        "setting_mismatch": "result changes with a setting",
    }.get(sig.verdict, sig.verdict)
    src = g.reduced_source()
    calls = sorted(
        {w.split("(")[0] for w in src.replace("wp.tid()", "").split() if w.startswith("wp.") and "(" in w}
    )
    about = ", ".join(c for c in calls if not c.startswith("wp.array") and c != "wp.kernel")
    device = sig.devices.split("~")[0].replace("+", "/")
    head = f"{what} on {device}" + (f" with {about}" if about else "")
    if rep is not None and rep.message:
        return f"{head}: {rep.message.splitlines()[0][:120]}"
    return head


def _inputs(folder: str, case: dict[str, Any]) -> list[str]:
    rows = ["| parameter | kind | dtype | shape | role | values (first 6) |", "|---|---|---|---|---|---|"]
    try:
        data = CorpusFolder.read(folder).inputs()
    except CorpusError:  # no folder, or one without inputs: the case's own values only
        data = {}
    for p in case.get("params", []):
        name = str(p.get("name"))
        vals = ""
        if name in data:
            a = np.asarray(data[name]).reshape(-1)[:6]
            vals = np.array2string(a, precision=6, separator=", ", threshold=6)
        elif "value" in p:
            vals = str(p.get("value"))
        rows.append(
            f"| `{name}` | {p.get('kind', '')} | {p.get('dtype', '')} | {tuple(p.get('shape') or ())} "
            f"| {p.get('role', '')} | `{vals}` |"
        )
    rows.append(f"\nlaunch dim: `{tuple(case.get('dim') or ())}`")
    return rows


def _observed(meta: dict[str, Any]) -> list[str]:
    out = []
    for c in meta.get("checks") or []:
        for a in c.get("arrays", []):
            if not a.get("passed", True):
                out.append(
                    f"- {c.get('device')}: `{a.get('name')}`[{a.get('worst_index')}] observed "
                    f"`{a.get('observed')}`, expected `{a.get('expected')}` (tolerance {a.get('tolerance')}, "
                    f"{a.get('bad')} of {a.get('checked')} elements differ)"
                )
    for g in meta.get("gradient_check") or []:
        if g.get("status") == "mismatch":
            out.append(f"- {g.get('device')} backward: {str(g.get('message', '')).splitlines()[0]}")
    if not out and meta.get("message"):
        out.append("```\n" + str(meta["message"]).strip()[:2000] + "\n```")
    return out or ["- (no values recorded)"]


def _environment(meta: dict[str, Any]) -> list[str]:
    return [
        f"- warp-lang {meta.get('warp_version', '?')}, devices {', '.join(meta.get('devices') or [])}"
        + (f", CUDA arch {meta['cuda_arch']}" if meta.get("cuda_arch") else ""),
        f"- found by warpfuzz (generator {meta.get('generator_version', '?')}, seed {meta.get('seed')}, "
        f"family {meta.get('family', '?')}); reduced from {(meta.get('reduction') or {}).get('statements_before', '?')} "
        f"to {(meta.get('reduction') or {}).get('statements_after', '?')} statements",
        f"- report written on Python {platform.python_version()}, {platform.platform()}",
    ]


def issue_markdown(g: Group, meta: dict[str, Any], releases: Releases) -> str:
    case = (g.reduced_result.case if g.reduced_result is not None else None) or {}
    expected = {
        "gradient_mismatch": "Warp's adjoint equal to central finite differences of the forward kernel "
        "within the stated tolerance",
        "mismatch": "Warp's output equal to the reference interpreter's (the documented semantics of each "
        "operation) within the stated tolerance",
        "setting_mismatch": "the same output under the named setting as under Warp's defaults, within the "
        "stated tolerance (bit exact for integers)",
    }.get(g.signature.verdict, f"no {g.signature.verdict}")
    lines = [
        f"# {title(g)}",
        "",
        f"{g.count} failing kernel(s) of a warpfuzz campaign reduce to this one "
        f"(seeds {', '.join(map(str, g.seeds[:12]))}{' ...' if len(g.seeds) > 12 else ''}).",
        "",
        "## Minimal kernel",
        "",
        "```python",
        g.reduced_source().replace("# mypy: ignore-errors\n", "").strip(),
        "```",
        "",
        "## Inputs",
        "",
        *_inputs(g.reduced_folder or "", case),
        "",
        "## Observed vs expected",
        "",
        *_observed(meta),
        "",
        f"Expected: {expected}.",
        "",
        "## Releases affected",
        "",
        releases.text(),
        "",
        "## Environment",
        "",
        *_environment(meta),
        "",
        "## Reproduce",
        "",
        "`python repro.py` in this folder (needs warp-lang and numpy only; exit status 1: the failure "
        "reproduces, 0: it does not).",
        "",
    ]
    return "\n".join(lines)


def releases_of(g: Group, bisect: dict[str, Any] | None) -> Releases:
    """`bisect`: a `fuzz.bisect.BisectResult` (as JSON) for the group's reduced folder, or None."""
    found = tuple(sorted(g.warp_versions))
    if not bisect:
        return Releases(found)
    failing: list[str] = []
    passing: list[str] = []
    other: list[str] = []
    for r in bisect.get("rows", []):
        {"failing": failing, "passing": passing}.get(r["status"], other).append(r["version"])
    statuses = {r["version"]: r["status"] for r in bisect.get("rows", [])}
    return Releases(found, tuple(failing), tuple(passing), tuple((v, statuses[v]) for v in other), True)


def write_reports(
    groups: list[Group], out_dir: str, bisects: dict[str, dict[str, Any]] | None = None
) -> list[str]:
    """One folder per new reduced group under `out_dir`; returns their paths. Groups that are
    known or not reduced get none (a report needs a minimal kernel)."""
    os.makedirs(out_dir, exist_ok=True)
    written = []
    k = 0
    for g in groups:
        if not g.is_new or g.reduced_folder is None:
            continue
        k += 1
        dest = os.path.join(out_dir, f"{k:02d}-{g.digest()}")
        if os.path.isdir(dest):
            shutil.rmtree(dest)
        shutil.copytree(g.reduced_folder, dest)
        meta = CorpusFolder.read(dest).meta
        rel = releases_of(g, (bisects or {}).get(g.reduced_folder))
        with open(os.path.join(dest, ISSUE), "w", encoding="utf-8") as f:
            f.write(issue_markdown(g, meta, rel))
        written.append(dest)
    return written
