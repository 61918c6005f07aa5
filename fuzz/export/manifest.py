"""The dataset manifest: every file with its sha256 and row count, plus provenance.

`check_manifest` recomputes the hashes, so a copied or edited dataset is caught before anyone
trusts its rows.
"""

from __future__ import annotations

import hashlib
import json
import os
from typing import Any

MANIFEST = "manifest.json"


def sha256_file(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def file_entry(root: str, rel: str, rows: int | None, split: str | None) -> dict[str, Any]:
    path = os.path.join(root, rel)
    return {
        "path": rel,
        "split": split,
        "rows": rows,
        "bytes": os.path.getsize(path),
        "sha256": sha256_file(path),
    }


def write_manifest(root: str, manifest: dict[str, Any]) -> str:
    path = os.path.join(root, MANIFEST)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=2, sort_keys=True)
        f.write("\n")
    return path


def load_manifest(root: str) -> dict[str, Any]:
    path = os.path.join(root, MANIFEST)
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except FileNotFoundError as e:
        raise FileNotFoundError(
            f"{path}: no manifest; is {root} a dataset written by `python -m fuzz export`?"
        ) from e
    if not isinstance(data, dict) or "files" not in data:
        raise ValueError(f"{path}: not an export manifest (no 'files' list)")
    return data


def check_manifest(root: str, manifest: dict[str, Any]) -> list[str]:
    """Problems found (empty when every listed file exists with its recorded size and sha256)."""
    problems = []
    for e in manifest["files"]:
        path = os.path.join(root, e["path"])
        if not os.path.isfile(path):
            problems.append(f"{e['path']}: listed in the manifest but missing")
            continue
        got = sha256_file(path)
        if got != e["sha256"]:
            problems.append(
                f"{e['path']}: sha256 {got[:16]}... differs from the manifest's {e['sha256'][:16]}..."
            )
    return problems
