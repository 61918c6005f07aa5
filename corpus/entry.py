"""The names corpus readers have always used for a folder: `Entry` is `corpus.folder.CorpusFolder`,
`load_entry` reads and checks one. The format itself is written down once, in `corpus.folder`."""

from __future__ import annotations

from corpus.folder import (
    CASE,
    EXPECTED,
    FORMAT,
    INPUTS,
    KERNEL,
    META,
    REDUCED,
    REPRO,
    CorpusError,
    CorpusFolder,
    find_folders,
    write_json,
)

Entry = CorpusFolder
find_entries = find_folders

__all__ = [
    "CASE",
    "EXPECTED",
    "FORMAT",
    "INPUTS",
    "KERNEL",
    "META",
    "REDUCED",
    "REPRO",
    "CorpusError",
    "Entry",
    "find_entries",
    "load_entry",
    "write_json",
]


def load_entry(path: str) -> CorpusFolder:
    """Read and check the corpus folder at `path` (`CorpusFolder.read`)."""
    return CorpusFolder.read(path)
