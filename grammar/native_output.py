"""Keep native compiler output (clang warnings, Warp's C++ messages) off the user's terminal.

Warp compiles CPU code in-process, and clang writes its diagnostics straight to file descriptor 2,
past Python's `sys.stderr`; only redirecting the descriptor itself catches them.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator


@contextlib.contextmanager
def stderr_to(path: str) -> Iterator[str]:
    """Send fd 2 to `path` (appending) for the duration; restore it even on error."""
    sys.stderr.flush()
    saved = os.dup(2)
    with open(path, "a", encoding="utf-8") as f:
        os.dup2(f.fileno(), 2)
        try:
            yield path
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
