"""One corpus folder on disk: its file names, and loading it back as a record.

A folder is self-contained: `meta.json` (what failed and where), `case.json` (the KernelCase, the
exact recipe for source and inputs), `kernel.py` (the module Warp compiles), `inputs.npz`,
`expected.npz` (mismatches: the oracle's values, per-element tolerance and unstable mask),
`repro.py` (standalone: warp-lang + numpy), and the emitted C++/CUDA when there was any.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from corpus.signature import Signature
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
    case = None
    case_path = os.path.join(path, CASE)
    if os.path.isfile(case_path):
        with open(case_path, encoding="utf-8") as f:
            case = KernelCase.from_json(json.load(f))
    return Entry(path, meta, case)


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
