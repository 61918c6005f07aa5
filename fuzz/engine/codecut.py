"""Cut each kernel's code (forward and backward) out of the C++/CUDA source of a whole module.

A batch compiles as one Warp module, but a dataset pair needs the code of its own kernel only.
Every top-level name of a generated case starts with its kernel name, so the module source is
split once into top-level chunks (brace depth 0) and each chunk is given to the kernels it names.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

_TOKENS = re.compile(r"[{};]")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class KernelCode:
    forward: str
    backward: str | None


def _chunks(source: str) -> list[str]:
    """Top-level declarations: split after each `}` or `;` that leaves brace depth 0."""
    chunks: list[str] = []
    depth = 0
    start = 0
    n = len(source)
    for m in _TOKENS.finditer(source):
        c = m.group()
        if c == "{":
            depth += 1
            continue
        if c == "}":
            depth = max(0, depth - 1)
        if depth != 0 or m.start() < start:
            continue
        end = source.find("\n", m.start())
        end = n if end < 0 else end + 1
        chunks.append(source[start:end])
        start = end
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


def _owners(chunk: str, names: frozenset[str], prefix_re: re.Pattern[str]) -> set[str]:
    """Kernel names that some identifier of `chunk` belongs to (name itself or name_...)."""
    owners = set()
    for m in prefix_re.finditer(chunk):
        if m.group(1) in names:
            owners.add(m.group(1))
    return owners


def cut_kernels(source: str, kernel_names: Iterable[str]) -> dict[str, KernelCode]:
    """Forward/backward code of each kernel (and its helpers and structs) in one pass over `source`."""
    names = frozenset(kernel_names)
    if not names:
        return {}
    alternatives = "|".join(sorted((re.escape(n) for n in names), key=len, reverse=True))
    prefix_re = re.compile(rf"(?<![0-9A-Za-z])({alternatives})(?![0-9A-Za-z])")
    fwd: dict[str, list[str]] = {n: [] for n in names}
    bwd: dict[str, list[str]] = {n: [] for n in names}
    for chunk in _chunks(source):
        owners = _owners(chunk, names, prefix_re)
        if not owners:
            continue
        text = _strip_preamble(chunk)
        if text.strip() in ('extern "C" {', "} // extern C", ""):
            continue
        side = bwd if _is_backward(chunk) else fwd
        for o in owners:
            side[o].append(text)
    return {n: KernelCode("\n".join(fwd[n]), "\n".join(bwd[n]) if bwd[n] else None) for n in names}


def cut_kernel(source: str, kernel_name: str) -> KernelCode:
    """Forward and backward code of one kernel (see `cut_kernels`)."""
    return cut_kernels(source, [kernel_name])[kernel_name]
