"""Regenerate corpus folders' repro.py from corpus/repro_script.py and re-record their hashes.

A folder's repro.py is a copy of the template with the folder's CONFIG and corpus/folder_check.py
filled in; copies drift when the template changes. Run this after changing either file (and
bumping REPRO_TEMPLATE_VERSION); tests/test_corpus_seeds.py fails while a committed copy differs.

Usage: python scripts/refresh_repro.py [--check] [FOLDER_OR_DIR ...]   (default: corpus/seeds)
  --check  change nothing: name every folder whose repro.py differs; exit status 1 if any does.
Only for folders you trust (the committed seeds): a damaged or refused folder is reported, not
re-hashed (exit status 3).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from corpus.folder import CorpusError, CorpusFolder, find_folders  # noqa: E402
from corpus.folder_check import DAMAGED_EXIT  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("paths", nargs="*", default=[str(ROOT / "corpus" / "seeds")], metavar="FOLDER_OR_DIR")
    p.add_argument("--check", action="store_true", help="only report folders whose repro.py differs")
    args = p.parse_args(argv)
    status = 0
    try:
        folders = [CorpusFolder.read(f) for f in find_folders(args.paths)]
    except CorpusError as e:
        print(e, file=sys.stderr)
        return 2
    for folder in folders:
        if not folder.usable:
            print(f"{folder.path}: {folder.problem()}; not refreshed")
            status = DAMAGED_EXIT
            continue
        if args.check:
            drift = folder.repro_drift()
            if drift:
                print(drift)
                status = max(status, 1)
        elif folder.refresh_repro():
            print(f"regenerated {folder.path}/repro.py")
    return status


if __name__ == "__main__":
    sys.exit(main())
