"""Harvest real kernels: every `@wp.kernel` of some files, checked as `check` does, stored as cases.

Each kernel becomes one case of family `real` in a run store (`fuzz.engine.store`), so `export`,
`triage` and the corpus treat it like a generated one. Its seed is a stable id derived from the
file's hash and the kernel's name and line, in a seed space of its own (`REAL_SEED_BASE` and up:
campaigns count up from their first seed, far below it), so a re-run resumes by skipping the seeds
already stored and a harvested case never collides with a generated one in a merged export.
The case JSON carries the kernel's origin: file, line, licence found beside it, hashes.
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import io
import json
import os
import re
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

FAMILY = "real"
HARVEST_VERSION = "harvest-1"
REAL_SEED_BASE = 1 << 62  # harvested seeds: [2**62, 2**62 + 2**60); generated seeds count up from 0
WARP_EXAMPLE_GROUPS = ("core", "tile", "optim", "geometry")  # the wheel's runnable examples (~98 kernels)
LICENCE_FILES = ("LICENSE", "LICENSE.txt", "LICENSE.md", "LICENCE", "COPYING", "COPYING.txt", "LICENSE.rst")
_SPDX = re.compile(r"SPDX-License-Identifier:\s*([A-Za-z0-9.+\-() ]+?)\s*(?:\*/|-->|$)", re.MULTILINE)
# first words of common licence texts -> SPDX id (a file that matches none is named by its path)
_LICENCE_TEXTS = (
    ("Apache License", "Apache-2.0"),
    ("MIT License", "MIT"),
    ("Permission is hereby granted, free of charge", "MIT"),
    ("BSD 3-Clause", "BSD-3-Clause"),
    ("Redistribution and use in source and binary forms", "BSD"),
    ("GNU GENERAL PUBLIC LICENSE", "GPL"),
    ("GNU LESSER GENERAL PUBLIC LICENSE", "LGPL"),
    ("Mozilla Public License", "MPL-2.0"),
    ("NVIDIA Software License", "NVIDIA-Software-License"),
)


class Outcome(StrEnum):
    """How one harvested kernel ended, as the closing table counts it."""

    VERIFIED = "verified"
    REFUSED = "refused"  # the check could not judge it (unsupported input or construct, inconclusive)
    FAILED = "failed"  # a finding: mismatch, compile or launch error, crash (saved to the corpus)


@dataclass(frozen=True)
class Licence:
    """The licence of a file: an SPDX id (or "unknown") and where it was read."""

    spdx: str
    source: str  # "SPDX header" or the licence file's path

    def to_json(self) -> dict[str, str]:
        return asdict(self)


@dataclass
class Summary:
    """What a harvest found and did, per outcome and per reason."""

    files: int = 0
    found: int = 0
    skipped_stored: int = 0
    checked: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    verdicts: Counter[str] = field(default_factory=Counter)
    refusals: Counter[str] = field(default_factory=Counter)  # reason kind -> kernels
    notes: list[str] = field(default_factory=list)
    corpus_folders: int = 0

    def to_json(self) -> dict[str, Any]:
        # asdict would rebuild each Counter from its (key, value) pairs, counting the pairs
        return {k: dict(v) if isinstance(v, Counter) else v for k, v in vars(self).items()}


def real_seed(file_sha: str, kernel: str, line: int) -> int:
    """The seed of one kernel of one file version: stable across runs and machines."""
    h = hashlib.sha256(f"{file_sha}\0{kernel}\0{line}".encode()).hexdigest()
    return REAL_SEED_BASE + (int(h[:15], 16))


def is_real_seed(seed: int) -> bool:
    return seed >= REAL_SEED_BASE


def licence_of(path: str) -> Licence:
    """An SPDX header in the file's first lines, else the nearest licence file up the tree."""
    with open(path, encoding="utf-8", errors="replace") as f:
        head = f.read(4096)
    m = _SPDX.search(head)
    if m:
        return Licence(m.group(1).strip(), "SPDX header")
    folder = os.path.dirname(os.path.abspath(path))
    while True:
        for name in LICENCE_FILES:
            cand = os.path.join(folder, name)
            if os.path.isfile(cand):
                return Licence(_licence_id(cand), cand)
        parent = os.path.dirname(folder)
        if parent == folder:
            return Licence("unknown", "no SPDX header and no LICENSE/COPYING file up the tree")
        folder = parent


def _licence_id(path: str) -> str:
    with open(path, encoding="utf-8", errors="replace") as f:
        text = f.read(8192)
    m = _SPDX.search(text)
    if m:
        return m.group(1).strip()
    for words, spdx in _LICENCE_TEXTS:
        if words.lower() in text.lower():
            return spdx
    return "unknown"


def warp_package_dir() -> str:
    import warp

    return os.path.dirname(os.path.abspath(warp.__file__))


def warp_paths(examples: bool, tests: bool) -> list[str]:
    """The installed wheel's example files (the groups `scripts/check_examples.py` runs) and tests."""
    root = warp_package_dir()
    out: list[str] = []
    if examples:
        for g in WARP_EXAMPLE_GROUPS:
            folder = os.path.join(root, "examples", g)
            out += [
                os.path.join(folder, f)
                for f in sorted(os.listdir(folder))
                if f.startswith("example_") and f.endswith(".py")
            ]
    if tests:
        out.append(os.path.join(root, "tests"))
    return out


def python_files(paths: Iterable[str]) -> list[str]:
    """Every .py file under `paths` (files as given, folders walked in sorted order), once each."""
    out: list[str] = []
    seen: set[str] = set()
    for p in paths:
        if os.path.isdir(p):
            for folder, dirs, files in os.walk(p):
                dirs[:] = sorted(d for d in dirs if not d.startswith((".", "__pycache__")))
                out += [os.path.join(folder, f) for f in sorted(files) if f.endswith(".py")]
        elif os.path.isfile(p):
            out.append(p)
        else:
            raise FileNotFoundError(f"{p}: no such file or folder")
    uniq = []
    for p in out:
        a = os.path.abspath(p)
        if a not in seen:
            seen.add(a)
            uniq.append(a)
    return uniq


def display_path(path: str) -> str:
    """The path a record names: inside the installed wheel `warp/...`, else relative to the cwd
    when below it, else absolute."""
    a = os.path.abspath(path)
    pkg = warp_package_dir()
    if a.startswith(pkg + os.sep):
        return "warp/" + os.path.relpath(a, pkg)
    cwd = os.getcwd()
    if a.startswith(cwd + os.sep):
        return os.path.relpath(a, cwd)
    return a


def _kernel_text(source: str, tree: ast.Module, name: str, line: int) -> str:
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name == name and node.lineno == line:
            start = min([d.lineno for d in node.decorator_list] + [node.lineno])
            end = node.end_lineno or node.lineno
            return "\n".join(source.splitlines()[start - 1 : end]) + "\n"
    return ""


def refusal_kind(reason: str) -> str:
    """A refusal's reason without the kernel's own names and lines, to count refusals by kind."""
    text = re.sub(r"\bline \d+", "line N", reason)
    text = re.sub(r"kernel \w+:", "kernel K:", text)
    text = re.sub(r"[`'\"][^`'\"]*[`'\"]", "'…'", text)
    for sep in (" (", "; "):
        if sep in text:
            text = text.split(sep)[0]
    return text[:120]


@dataclass(frozen=True)
class HarvestOptions:
    devices: tuple[str, ...] = ("cpu",)
    oracle_registry: str | None = None
    limit: int | None = None
    argv: tuple[str, ...] = ()


def harvest(paths: list[str], out: str, opts: HarvestOptions, progress: Any = None) -> Summary:
    """Check and store every kernel of `paths` not yet stored in `out`; see the module docstring."""
    from corpus.save import save_failures
    from fuzz import extract as X
    from fuzz.engine import warpcompat
    from fuzz.engine.runner import BatchRunner
    from fuzz.engine.settings import WorkerSettings
    from fuzz.engine.store import Store
    from fuzz.runlock import run_lock

    os.makedirs(out, exist_ok=True)
    summary = Summary()
    files = python_files(paths)
    with run_lock(out, "harvest"):
        store = Store(out)
        try:
            store.close_stale_sessions()
            done = store.done_seeds()
            plan: list[tuple[str, str, str, list[Any]]] = []  # (path, source, sha, kernels to check)
            budget = opts.limit
            for path in files:
                try:
                    with open(path, encoding="utf-8") as f:
                        source = f.read()
                except (OSError, UnicodeDecodeError) as e:
                    summary.notes.append(f"{path}: unreadable ({e})")
                    continue
                if "kernel" not in source:
                    continue
                try:
                    defs = X.kernel_defs(source, path)
                except X.ExtractError as e:
                    summary.notes.append(str(e))
                    continue
                if not defs:
                    continue
                summary.files += 1
                summary.found += len(defs)
                sha = hashlib.sha256(source.encode()).hexdigest()
                todo = []
                for d in defs:
                    if real_seed(sha, d.name, d.lineno) in done:
                        summary.skipped_stored += 1
                    elif budget is None or budget > 0:
                        todo.append(d)
                        budget = None if budget is None else budget - 1
                if todo:
                    plan.append((path, source, sha, todo))
            settings = WorkerSettings(
                run_dir=out, devices=opts.devices, registry_factory=opts.oracle_registry
            )
            # the session's argv starts with `harvest`: export reads the codegen options from it
            argv = list(opts.argv) if opts.argv[:1] == ("harvest",) else ["harvest", *opts.argv]
            session = store.begin_session(0.0, argv, warpcompat.warp_version(), list(opts.devices))
            t0 = time.monotonic()
            runner = BatchRunner(settings, os.path.join(out, "work"), tag="harvest") if plan else None
            for path, source, sha, todo in plan:
                results = _harvest_file(path, source, sha, todo, runner, opts, summary)
                store.add_results(results, session)
                try:
                    summary.corpus_folders += len(save_failures(out, results, settings=settings))
                except Exception as e:  # a folder that cannot be written must not lose the stored verdicts
                    summary.notes.append(f"{path}: corpus folder not written: {type(e).__name__}: {e}")
                store.update_session(session, time.monotonic() - t0, summary.checked)
                if progress is not None:
                    progress(path, results)
            store.update_session(session, time.monotonic() - t0, summary.checked, ended=True)
            _write_summary(out, store, session, opts, summary)
        finally:
            store.close()
    return summary


def _harvest_file(
    path: str, source: str, sha: str, todo: list[Any], runner: Any, opts: HarvestOptions, summary: Summary
) -> list[Any]:
    from rich.console import Console

    from fuzz.commands import check
    from fuzz.engine.result import CaseResult
    from fuzz.engine.verdict import Stage
    from grammar.case import KernelCase

    wanted = {(d.name, d.lineno) for d in todo}
    licence = licence_of(path)
    tree = ast.parse(source)

    def seed_of(d: Any) -> int:
        return real_seed(sha, d.name, d.lineno)

    parser = argparse.ArgumentParser()
    check.add_arguments(parser)
    argv = [path, "--devices", ",".join(opts.devices)]
    if opts.oracle_registry:
        argv += ["--oracle-registry", opts.oracle_registry]
    args = parser.parse_args(argv)
    ident = check.CaseIdentity(FAMILY, HARVEST_VERSION, seed_of, lambda d: (d.name, d.lineno) not in wanted)
    quiet = Console(file=io.StringIO(), width=200)
    try:
        rows = check.check_file(args, runner, path, quiet, ident)
    except Exception as e:  # one file's failure is stored per kernel and the harvest goes on
        rows = [
            check.Row(d.name, d.lineno, "internal_error", f"{path}: {type(e).__name__}: {e}") for d in todo
        ]
    results = []
    for row in rows:
        d = next(d for d in todo if (d.name, d.lineno) == (row.kernel, row.line))
        text = _kernel_text(source, tree, d.name, d.lineno)
        origin = {
            "file": display_path(path),
            "line": d.lineno,
            "kernel": d.name,
            "licence": licence.spdx,
            "licence_source": licence.source,
            "file_sha256": sha,
            "source_sha256": hashlib.sha256(text.encode()).hexdigest(),
        }
        r = row.result
        if r is None:
            case = KernelCase(d.name, text, FAMILY, seed_of(d), HARVEST_VERSION, (), (1,))
            r = CaseResult.from_case(case, str(row.verdict), Stage.HARVEST, message=row.reason)
        r.case["origin"] = origin
        results.append(r)
        summary.checked += 1
        summary.verdicts[r.verdict] += 1
        status = check.status_of(r.verdict)
        outcome = Outcome.VERIFIED if status == 0 else Outcome.REFUSED if status == 2 else Outcome.FAILED
        summary.outcomes[outcome] += 1
        if outcome == Outcome.REFUSED:
            summary.refusals[f"{r.verdict}: {refusal_kind(r.message or row.reason)}"] += 1
    return results


def _write_summary(out: str, store: Any, session: int, opts: HarvestOptions, summary: Summary) -> None:
    """summary.json in the layout `export` reads (generator version, this session's codegen settings)."""
    from fuzz.engine import warpcompat

    doc = {
        "command": "harvest",
        "generator_version": HARVEST_VERSION,
        "warp_version": warpcompat.warp_version(),
        "session": {
            "id": session,
            "settings": {"enable_backward": True, "cuda_arch": None, "devices": list(opts.devices)},
        },
        "harvest": summary.to_json(),
        "verdicts": store.counts("verdict"),
        "cases": store.n_cases(),
    }
    tmp = os.path.join(out, "summary.json.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=2, sort_keys=True)
    os.replace(tmp, os.path.join(out, "summary.json"))
