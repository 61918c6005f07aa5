"""One corpus folder on disk: its file names, and loading it back as a record.

A folder is self-contained: `meta.json` (what failed and where), `case.json` (the KernelCase, the
exact recipe for source and inputs), `kernel.py` (the module Warp compiles), `inputs.npz`,
`expected.npz` (mismatches: the oracle's values, per-element tolerance and unstable mask),
`repro.py` (standalone: warp-lang + numpy), and the emitted C++/CUDA when there was any.
`meta.json` records a sha256 of every other file; loading a folder checks them and the kernel
sources' allow-list (`corpus.folder_check`) before anything of it is imported.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from corpus.folder_check import folder_damage, source_problems
from fuzz.engine.signature import Signature
from grammar.case import KernelCase

FORMAT = 1
META = "meta.json"
CASE = "case.json"
KERNEL = "kernel.py"
INPUTS = "inputs.npz"
EXPECTED = "expected.npz"
REPRO = "repro.py"
REDUCED = "reduced"


class CorpusError(RuntimeError):
    """A path is not a usable corpus folder; the message names it and says what is wrong."""


@dataclass
class Entry:
    """A loaded corpus folder."""

    path: str
    meta: dict[str, Any]
    case: KernelCase | None
    damaged: list[str] = field(default_factory=list)  # files missing or changed since written
    refused: list[str] = field(default_factory=list)  # kernel source lines outside the allow-list
    note: str = ""  # e.g. written before integrity hashes

    @property
    def usable(self) -> bool:
        """Neither damaged nor refused: its case may be imported and judged."""
        return not self.damaged and not self.refused

    def problem(self) -> str:
        """One line saying why the folder cannot be used (empty when it can)."""
        if self.damaged:
            more = f" (and {len(self.damaged) - 1} more)" if len(self.damaged) > 1 else ""
            return f"damaged: {self.damaged[0]}{more}; restore the folder from its sender or re-save it"
        if self.refused:
            more = f" (and {len(self.refused) - 1} more)" if len(self.refused) > 1 else ""
            return (
                f"refused: {self.refused[0]}{more}; a corpus kernel may hold only warp/numpy/math imports "
                "and @wp.kernel/@wp.func/@wp.struct definitions, so nothing of it was imported"
            )
        return ""

    @property
    def signature(self) -> Signature:
        return Signature.from_json(self.meta["signature"])

    @property
    def seed(self) -> int:
        return int(self.meta["seed"])

    @property
    def reduced(self) -> bool:
        return bool(self.meta.get("reduced_from"))


def load_entry(path: str) -> Entry:
    meta_path = os.path.join(path, META)
    if not os.path.isfile(meta_path):
        raise CorpusError(f"{path}: no {META} here; pass a corpus folder (or a directory holding some)")
    try:
        with open(meta_path, encoding="utf-8") as f:
            meta = json.load(f)
    except (OSError, json.JSONDecodeError) as e:
        raise CorpusError(f"{meta_path}: unreadable ({e}); restore it or delete the folder") from e
    if meta.get("format") != FORMAT or "signature" not in meta:
        raise CorpusError(f"{meta_path}: not a corpus meta.json of format {FORMAT}")
    damaged, note = folder_damage(path, meta)
    case = None
    refused: list[str] = []
    case_path = os.path.join(path, CASE)
    if os.path.isfile(case_path) and not any(d.startswith(case_path) for d in damaged):
        try:
            with open(case_path, encoding="utf-8") as f:
                case = KernelCase.from_json(json.load(f))
        except (OSError, ValueError, KeyError, TypeError) as e:
            damaged.append(f"{case_path}: unreadable ({type(e).__name__}: {e})")
    if case is not None:
        refused += source_problems(case.module_source(), case_path)
    kernel_path = os.path.join(path, KERNEL)
    if os.path.isfile(kernel_path) and not any(d.startswith(kernel_path) for d in damaged):
        with open(kernel_path, encoding="utf-8", errors="replace") as f:
            refused += source_problems(f.read(), kernel_path)
    return Entry(path, meta, case, damaged, refused, note)


def find_entries(paths: list[str]) -> Iterator[str]:
    """Corpus folders named by `paths`: each path is a folder, or a directory searched below."""
    for p in paths:
        if not os.path.exists(p):
            raise CorpusError(f"{p}: no such file or directory")
        if os.path.isfile(os.path.join(p, META)):
            yield p
            continue
        found = False
        for root, dirs, files in os.walk(p):
            dirs.sort()
            if META in files:
                found = True
                yield root
        if not found:
            raise CorpusError(f"{p}: holds no corpus folder (no {META} anywhere below)")


def write_json(path: str, data: Any) -> None:
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=2, sort_keys=True, default=str)
        f.write("\n")
    os.replace(tmp, path)
