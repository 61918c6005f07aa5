"""Helpers for the tests that edit a saved corpus folder and run its `repro.py` (imported as
`corpus_folders`: pytest puts tests/ on the path)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


def restamp(folder: Path) -> None:
    """Record the folder's current file hashes in meta.json, as re-saving it would (or someone
    who edits a folder on purpose)."""
    from corpus import entry as E
    from corpus.folder_check import folder_hashes

    meta = json.loads((folder / E.META).read_text())
    meta["sha256"] = folder_hashes(str(folder), meta["files"])
    (folder / E.META).write_text(json.dumps(meta))


def repro(folder: Path) -> subprocess.CompletedProcess[str]:
    """Run the folder's repro.py with warp and numpy only (no PYTHONPATH to this repository)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return subprocess.run(
        [sys.executable, "repro.py"], cwd=folder, capture_output=True, text=True, timeout=300, env=env
    )
