"""Process-independent names for the native functions of a kernel's emitted C++/CUDA.

Warp names the native function of every `@wp.func` `<name>_<N>` with N a counter global to the
process (`generate_unique_function_identifier`), so the same kernel emitted in two processes, or
after other modules in one, reads `lookup_1` in one and `lookup_7` in the other. Renumbering each
helper's suffixes by order of first appearance in the code makes the text a function of the
kernel alone: `emit` and the dataset record then print the same code.
"""

from __future__ import annotations

import ast
import re


def helper_names(python: str) -> list[str]:
    """Names of the functions a module defines that are not kernels (their native names carry N)."""
    try:
        tree = ast.parse(python)
    except SyntaxError:
        return []
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef):
            decos = {ast.unparse(d).split("(")[0] for d in node.decorator_list}
            if not decos & {"wp.kernel", "warp.kernel", "kernel"}:
                out.append(node.name)
    return sorted(set(out), key=len, reverse=True)


def canonical_function_ids(code: str | None, python: str) -> str | None:
    """`code` with every `<helper>_<N>` (and `adj_<helper>_<N>`) renumbered 0, 1, ... per helper."""
    if not code:
        return code
    names = helper_names(python)
    if not names:
        return code
    alternatives = "|".join(re.escape(n) for n in names)
    pattern = re.compile(rf"(?<![A-Za-z0-9_])(adj_)?({alternatives})_(\d+)(?![A-Za-z0-9_])")
    numbers: dict[str, dict[str, int]] = {}

    def sub(m: re.Match[str]) -> str:
        seen = numbers.setdefault(m.group(2), {})
        k = seen.setdefault(m.group(3), len(seen))
        return f"{m.group(1) or ''}{m.group(2)}_{k}"

    return pattern.sub(sub, code)
