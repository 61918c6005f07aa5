"""Child process of `SubprocessRunner`: run candidates, write their results as JSON.

Usage: python -m corpus.subrun IN.pickle OUT.json, where IN holds (settings, work_dir, [case json]).
If Warp crashes or hangs here, OUT is never written and the parent records a crash or timeout.
"""

from __future__ import annotations

import json
import pickle
import sys


def main(argv: list[str]) -> int:
    src, dst = argv
    with open(src, "rb") as f:
        settings, work_dir, cases = pickle.load(f)
    from corpus.candidates import CandidateRunner
    from grammar.case import KernelCase

    runner = CandidateRunner(settings, work_dir, tag="sub")
    results = runner.run_candidates([KernelCase.from_json(c) for c in cases])
    with open(dst + ".tmp", "w", encoding="utf-8") as f:
        json.dump([r.to_json() for r in results], f)
    import os

    os.replace(dst + ".tmp", dst)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
