"""Where a cluster folder keeps its shards, and how commands that read run folders expand it.

A cluster folder (`python -m fuzz cluster --out DIR`) holds DIR/shards/K/, each an ordinary run
folder with its own campaign.db; `export`, `triage`, `report` and `replay` take DIR itself.
"""

from __future__ import annotations

import os

SHARDS = "shards"
DB = "campaign.db"


def shard_dir(root: str, index: int) -> str:
    return os.path.join(root, SHARDS, str(index))


def cluster_shards(path: str) -> list[str]:
    """The shard run folders of a cluster folder, by shard number; [] if `path` is not one."""
    base = os.path.join(path, SHARDS)
    if os.path.isfile(os.path.join(path, DB)) or not os.path.isdir(base):
        return []
    found = [n for n in os.listdir(base) if n.isdigit() and os.path.isfile(os.path.join(base, n, DB))]
    return [os.path.join(base, n) for n in sorted(found, key=int)]


def expand_run_dirs(paths: list[str]) -> list[str]:
    """Each cluster folder replaced by its shard run folders; any other path is kept as given, so
    the command's own check still names it when it is not a run folder."""
    out: list[str] = []
    for p in paths:
        out.extend(cluster_shards(p) or [p])
    return out
