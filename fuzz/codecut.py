"""Cut one kernel's code (forward and backward) out of the C++/CUDA source of a whole module.

A batch compiles as one Warp module, but a dataset pair needs the code of its own kernel only.
Every top-level name of a generated case starts with its kernel name, so the module source is
split into top-level chunks (brace depth 0) and each chunk is given to the kernel it names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class KernelCode:
    forward: str
    backward: str | None


def _chunks(source: str) -> list[str]:
    """Top-level declarations: text between points where braces balance at a blank line or `}`."""
    chunks: list[str] = []
    depth = 0
    start = 0
    i = 0
    n = len(source)
    while i < n:
        c = source[i]
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                end = source.find("\n", i)
                end = n if end < 0 else end + 1
                # a struct/class ends with `};`
                chunks.append(source[start:end])
                start = end
                i = end
                continue
        elif c == ";" and depth == 0:
            end = source.find("\n", i)
            end = n if end < 0 else end + 1
            chunks.append(source[start:end])
            start = end
            i = end
            continue
        i += 1
    if start < n:
        chunks.append(source[start:])
    return [c for c in chunks if c.strip()]


def _strip_preamble(chunk: str) -> str:
    """Drop the module-wide #defines and comments that precede a chunk's own declaration."""
    lines = chunk.strip("\n").split("\n")
    while lines and (not lines[0].strip() or lines[0].lstrip().startswith(("#", "//"))):
        lines.pop(0)
    return "\n".join(lines) + "\n"


def _is_backward(chunk: str) -> bool:
    head = chunk.split("(", 1)[0]
    return "backward" in head or re.search(r"\badj_\w+\s*$", head.strip()) is not None


def cut_kernel(source: str, kernel_name: str) -> KernelCode:
    """Forward and backward code of `kernel_name` (and its helpers/structs) from a module source."""
    name_re = re.compile(rf"(?<![0-9A-Za-z]){re.escape(kernel_name)}(?![0-9A-Za-z])")
    fwd: list[str] = []
    bwd: list[str] = []
    for chunk in _chunks(source):
        if not name_re.search(chunk):
            continue
        text = _strip_preamble(chunk)
        # extern "C" wrappers open a brace and close it in a later chunk: keep only real code
        if text.strip() in ('extern "C" {', "} // extern C"):
            continue
        (bwd if _is_backward(chunk) else fwd).append(text)
    return KernelCode("\n".join(fwd), "\n".join(bwd) if bwd else None)
