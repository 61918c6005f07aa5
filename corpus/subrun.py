"""Child process of `SubprocessRunner`: run candidates one by one, append each result as a line.

Usage: python -m corpus.subrun IN.pickle OUT.jsonl, where IN holds (settings, work_dir, [case json]).
If Warp crashes or hangs on a candidate, its line never comes: the parent records a crash or
timeout for it and starts a new child for the rest.
"""

from __future__ import annotations

import json
import os
import pickle
import sys


def main(argv: list[str]) -> int:
    src, dst = argv
    with open(src, "rb") as f:
        settings, work_dir, cases = pickle.load(f)
    from corpus.candidates import CandidateRunner
    from grammar.case import KernelCase

    runner = CandidateRunner(settings, work_dir, tag=f"sub{os.getpid()}")
    with open(dst, "a", encoding="utf-8") as out:
        for c in cases:
            (result,) = runner.run_candidates([KernelCase.from_json(c)])
            out.write(json.dumps(result.to_json()) + "\n")
            out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
