"""The cluster folder's summary.json: the shards' summaries added up, each shard listed.

Rates are over the cluster's wall-clock time (the driver's), since shards run side by side;
each shard's own summary keeps its per-shard rates.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from typing import Any

from fuzz.cluster.layout import cluster_shards
from fuzz.cluster.snapshot import StoreCounts


def _read_summary(run_dir: str) -> dict[str, Any] | None:
    path = os.path.join(run_dir, "summary.json")
    if not os.path.isfile(path):
        return None
    with open(path, encoding="utf-8") as f:
        data: dict[str, Any] = json.load(f)
    return data


def merged_summary(root: str, wall_s: float, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """Sum the shard folders under `root`; counts come from each shard's store, so a shard that
    never finished a session (no summary.json) still counts what it stored."""
    verdicts: Counter[str] = Counter()
    families: Counter[str] = Counter()
    shards = []
    kernels = verified = 0
    for d in cluster_shards(root):
        counts = StoreCounts.read(d)
        s = _read_summary(d) or {}
        kernels += counts.kernels
        verified += counts.verified
        verdicts.update(counts.verdicts)
        families.update(s.get("families", {}))
        shards.append(
            {
                "run_dir": os.path.abspath(d),
                "shard": s.get("shard"),
                "kernels": counts.kernels,
                "verified": counts.verified,
                "elapsed_s": s.get("elapsed_s"),
                "kernels_per_s": s.get("kernels_per_s"),
                "verified_per_s": s.get("verified_per_s"),
                "summary_found": bool(s),
            }
        )
    out: dict[str, Any] = {
        "run_dir": os.path.abspath(root),
        "cluster": True,
        "shards": shards,
        "kernels": kernels,
        "verified": verified,
        "verdicts": dict(verdicts.most_common()),
        "families": dict(families.most_common()),
        "elapsed_s": round(wall_s, 2),
        "kernels_per_s": round(kernels / wall_s, 4) if wall_s > 0 else 0.0,
        "verified_per_s": round(verified / wall_s, 4) if wall_s > 0 else 0.0,
        "next_command": f"python -m fuzz triage {root}",
    }
    out.update(extra or {})
    return out


def write_merged_summary(root: str, wall_s: float, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    summary = merged_summary(root, wall_s, extra)
    tmp = os.path.join(root, "summary.json.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(summary, f, indent=2, sort_keys=True)
    os.replace(tmp, os.path.join(root, "summary.json"))
    return summary
