"""Child process of `BatchRunner.run(..., Isolation.CHILD)`: run cases one by one, append each
result as a line.

Usage: python -m fuzz.engine.child IN.pickle OUT.jsonl, where IN holds (settings, work_dir,
[(case json, oracle case json)]). If Warp crashes or hangs on a case, its line never comes: the
parent records a crash or timeout for it and starts a new child for the rest.

The child runs in a session of its own (so the parent can kill it and whatever it started), which
also keeps it out of reach of whoever kills the parent: a parent killed at a timeout (`bisect`'s
replay, `timeout 60 python -m fuzz replay`) would leave a child running a kernel that never ends
on the machine's cores. So the child dies with its parent (`die_with_parent`).
"""

from __future__ import annotations

import json
import os
import pickle
import sys
import threading
import time

from fuzz.engine.runner import BatchRunner, Isolation
from grammar.case import KernelCase


def die_with_parent(poll_s: float = 1.0) -> None:
    """End this process within `poll_s` of its parent's end: a daemon thread polls the parent id
    (Warp's native launches go through ctypes, which releases the GIL, so the thread runs while a
    kernel loops). Not prctl(PR_SET_PDEATHSIG): it fires when the parent *thread* that started
    the child ends, which a parent running children from a thread pool would do early."""
    parent = os.getppid()

    def watch() -> None:
        while True:
            if os.getppid() != parent:
                os._exit(70)  # EX_SOFTWARE: nobody reads the result any more
            time.sleep(poll_s)

    threading.Thread(target=watch, name="die-with-parent", daemon=True).start()


def main(argv: list[str]) -> int:
    die_with_parent()
    src, dst = argv
    with open(src, "rb") as f:
        settings, work_dir, pairs = pickle.load(f)
    runner = BatchRunner(settings, work_dir, tag=f"sub{os.getpid()}")
    with open(dst, "a", encoding="utf-8") as out:
        for case, oracle_case in pairs:
            (result,), _ = runner.run(
                [KernelCase.from_json(case)],
                Isolation.HALVES,
                oracle_cases=[KernelCase.from_json(oracle_case)],
            )
            out.write(json.dumps(result.to_json()) + "\n")
            out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
