"""Child process of `BatchRunner.run(..., Isolation.CHILD)`: run cases one by one, append each
result as a line.

Usage: python -m fuzz.engine.child IN.pickle OUT.jsonl, where IN holds (settings, work_dir,
[(case json, oracle case json)]). If Warp crashes or hangs on a case, its line never comes: the
parent records a crash or timeout for it and starts a new child for the rest.
"""

from __future__ import annotations

import json
import os
import pickle
import sys

from fuzz.engine.runner import BatchRunner, Isolation
from grammar.case import KernelCase


def main(argv: list[str]) -> int:
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
