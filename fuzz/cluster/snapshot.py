"""Shard checkpoints: a consistent copy of a shard's run folder as one tar.gz, and back.

SQLite in WAL mode must not live on a network filesystem, so a shard runs on its node's local
disk and is copied out as a checkpoint: campaign.db through SQLite's online backup (consistent
while the campaign writes), plus summary.json, corpus/ and the worker logs. Worker scratch
files and the lock are left out. A shard that restarts elsewhere unpacks its last checkpoint
and resumes: what it stored since then is redone (a seed is never stored twice).
"""

from __future__ import annotations

import io
import os
import shutil
import sqlite3
import tarfile
import tempfile
import uuid
from collections import Counter
from dataclasses import dataclass, field

from fuzz.engine.verdict import Verdict
from fuzz.runlock import LOCK_FILE

DB = "campaign.db"
_SKIP = {DB, DB + "-wal", DB + "-shm", LOCK_FILE, "summary.json.tmp"}


def _keep(rel: str) -> bool:
    parts = rel.split(os.sep)
    if len(parts) == 1:
        return parts[0] not in _SKIP
    if parts[0] == "work":  # worker scratch (module files, kernel caches); keep the logs
        return len(parts) == 2 or parts[-1] == "worker.log"
    return True


def backup_db(src_dir: str, dest_path: str) -> None:
    """Copy RUN_DIR/campaign.db with SQLite's online backup (safe while a campaign writes)."""
    src = sqlite3.connect(f"file:{os.path.join(src_dir, DB)}?mode=ro", uri=True, timeout=30)
    try:
        dst = sqlite3.connect(dest_path)
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()


def pack(run_dir: str) -> bytes:
    """The run folder as tar.gz bytes (campaign.db as a consistent backup)."""
    buf = io.BytesIO()
    with (
        tempfile.TemporaryDirectory(prefix="warpfuzz-ckpt-") as tmp,
        tarfile.open(fileobj=buf, mode="w:gz") as tar,
    ):
        if os.path.isfile(os.path.join(run_dir, DB)):
            copy = os.path.join(tmp, DB)
            backup_db(run_dir, copy)
            tar.add(copy, arcname=DB)
        for root, dirs, files in os.walk(run_dir):
            dirs.sort()
            for name in sorted(files):
                full = os.path.join(root, name)
                rel = os.path.relpath(full, run_dir)
                if _keep(rel) and os.path.isfile(full):
                    tar.add(full, arcname=rel)
    return buf.getvalue()


def unpack(data: bytes, dest: str) -> None:
    """Replace `dest` by the checkpoint's contents (unpacked beside it, then swapped in)."""
    parent = os.path.dirname(os.path.abspath(dest)) or "."
    os.makedirs(parent, exist_ok=True)
    tmp = os.path.join(parent, f".{os.path.basename(dest)}.{uuid.uuid4().hex[:8]}.tmp")
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        tar.extractall(tmp, filter="data")
    old = None
    if os.path.exists(dest):
        old = tmp + ".old"
        os.replace(dest, old)
    relocate_summary(tmp, dest)
    os.replace(tmp, dest)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


@dataclass
class StoreCounts:
    """What a shard's store holds now (read-only; the live progress view sums these)."""

    kernels: int = 0
    verified: int = 0
    verdicts: Counter[str] = field(default_factory=Counter)

    @classmethod
    def read(cls, run_dir: str) -> StoreCounts:
        path = os.path.join(run_dir, DB)
        if not os.path.isfile(path):
            return cls()
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
        try:
            rows = db.execute("SELECT verdict, COUNT(*) FROM cases GROUP BY verdict").fetchall()
        except sqlite3.OperationalError:  # schema not written yet
            rows = []
        finally:
            db.close()
        verdicts = Counter({str(v): int(n) for v, n in rows})
        return cls(sum(verdicts.values()), verdicts.get(Verdict.VERIFIED, 0), verdicts)


def relocate_summary(run_dir: str, final: str) -> None:
    """Point the summary.json in `run_dir` at `final`, where the copy will live (it names the
    node-local folder it was written in)."""
    import json

    path = os.path.join(run_dir, "summary.json")
    if not os.path.isfile(path):
        return
    with open(path, encoding="utf-8") as f:
        summary = json.load(f)
    here = os.path.abspath(final)
    summary["run_dir"] = here
    if "corpus_dir" in summary:
        summary["corpus_dir"] = os.path.join(here, "corpus")
    summary["next_command"] = f"python -m fuzz triage {here}"
    with open(path + ".tmp", "w", encoding="utf-8") as f:
        json.dump(summary, f, indent=2, sort_keys=True)
    os.replace(path + ".tmp", path)
