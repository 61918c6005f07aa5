"""One writer per run folder: an exclusive `flock` on RUN_DIR/campaign.lock.

The lock belongs to the open file, so the OS releases it when its process exits in any way
(`kill -9` included): a stale lock cannot exist, and the file's content (the holder's pid, command
and start time) is only read to say who holds it.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import sys
import time
from collections.abc import Iterator

LOCK_FILE = "campaign.lock"


class RunLocked(RuntimeError):
    """Another process holds the run folder; the message names it and says what to do."""


def _holder(fd: int, path: str) -> str:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        info = json.loads(os.read(fd, 4096).decode() or "{}")
    except (OSError, ValueError):
        info = {}
    if not info:
        return f"another process (see {path})"
    return f"pid {info.get('pid', '?')} ({info.get('command', '?')}, started {info.get('started', '?')})"


@contextlib.contextmanager
def run_lock(run_dir: str, command: str) -> Iterator[str]:
    """Hold RUN_DIR's lock for the `with` block; raise RunLocked at once if someone else has it."""
    path = os.path.join(run_dir, LOCK_FILE)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RunLocked(
                f"{run_dir} is in use by {_holder(fd, path)}: one campaign (or reduce) at a time per run "
                "folder. Wait for it to finish, or pass another --out"
            ) from None
        info = {
            "pid": os.getpid(),
            "command": f"python -m fuzz {command}",
            "argv": sys.argv[1:],
            "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        os.ftruncate(fd, 0)
        os.pwrite(fd, (json.dumps(info) + "\n").encode(), 0)
        try:
            yield path
        finally:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def check_unlocked(folder: str) -> None:
    """Raise RunLocked when a process holds `folder`'s lock (for commands that write into a
    folder without owning it, e.g. `export --out`)."""
    path = os.path.join(folder, LOCK_FILE)
    if not os.path.isfile(path):
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RunLocked(
                f"{folder} is a run folder in use by {_holder(fd, path)}; choose another --out"
            ) from None
        fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
