"""The run folder a campaign writes: one clear error when it cannot be written, and what dead
workers left in it.

A full disk or a read-only folder ends the campaign with one `RunDirError` naming the folder and
what to do; what was stored stays, and a resume redoes the rest.
"""

from __future__ import annotations

import errno
import os
import shutil

from fuzz.engine.store import StoreError


class RunDirError(StoreError):
    """The run folder cannot be written (disk full, read-only, gone); the message says what to do."""


# OS errors that mean the run folder itself cannot be written
STORAGE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.ENOENT})


def run_dir_error(run_dir: str, e: BaseException) -> RunDirError:
    """One line for a storage failure: which folder, what happened, what to do."""
    code = getattr(e, "errno", None)
    text = str(e)
    if code in (errno.ENOSPC, errno.EDQUOT) or "disk is full" in text:
        what, todo = "the disk is full", "free space there (or move the folder to a larger disk)"
    elif code == errno.EROFS or "readonly" in text or "read-only" in text:
        what, todo = "the folder is read-only", "make it writable or pass another --out"
    elif code in (errno.EACCES, errno.EPERM):
        what, todo = "permission denied", "make it writable or pass another --out"
    elif code == errno.ENOENT:
        what, todo = "the folder (or a file in it) disappeared", "restore it or pass another --out"
    else:
        what, todo = "writing it failed", "check the folder"
    resume = (
        " What campaign.db holds is kept: rerun the same command to resume (batches in flight are redone)."
        if os.path.isfile(os.path.join(run_dir, "campaign.db"))
        else ""
    )
    return RunDirError(f"{run_dir}: {what} ({type(e).__name__}: {text}); {todo}.{resume}")


def check_run_dir(run_dir: str) -> None:
    """Refuse a --out that exists but is not a folder, before anything is started."""
    if os.path.exists(run_dir) and not os.path.isdir(run_dir):
        raise RunDirError(
            f"{run_dir}: exists and is not a folder; pass a folder (new or a run to resume) as --out"
        )


def remove_stale_worker_files(run_dir: str) -> int:
    """Delete what dead workers left under RUN_DIR/work/ (module files, kernel caches); keep logs.
    Called with the run lock held, when no worker of this folder can be alive."""
    work = os.path.join(run_dir, "work")
    removed = 0
    if not os.path.isdir(work):
        return 0
    for w in os.listdir(work):
        wdir = os.path.join(work, w)
        if not os.path.isdir(wdir):
            continue
        for name in os.listdir(wdir):
            if name == "worker.log":
                continue
            p = os.path.join(wdir, name)
            if os.path.isdir(p):
                shutil.rmtree(p, ignore_errors=True)
            else:
                os.remove(p)
            removed += 1
    return removed
