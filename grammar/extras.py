"""Layouts for the bitwise family; the helper-function and struct families are not built yet."""

from __future__ import annotations

import libcst as cst

from grammar.dtypes import INTS
from grammar.gen import Gen
from grammar.stmts import statements


def bitwise_body(gen: Gen) -> list[cst.BaseStatement]:
    """Integer-only kernels: bit operations and shifts over one or two integer dtypes."""
    from grammar.families import _dim1, _finish, _inputs

    _dim1(gen)
    gen.dtypes = [gen.rng.pick(("int32", *INTS))]
    if gen.rng.chance(0.3):
        t = gen.rng.pick(INTS)
        if t not in gen.dtypes:
            gen.dtypes.append(t)
    _inputs(gen, gen.rng.integer(1, 2))
    gen.add_array(gen.dtypes[0], "out", None)
    body = statements(
        gen, gen.rng.integer(0, min(3, gen.knobs.max_stmts)), {"assign": 2, "aug": 1, "if": 0.5}
    )
    return _finish(gen, body)


def helper_body(gen: Gen) -> list[cst.BaseStatement]:
    raise NotImplementedError("the helper_func family is not implemented yet; give it weight 0")


def struct_body(gen: Gen) -> list[cst.BaseStatement]:
    raise NotImplementedError("the struct family is not implemented yet; give it weight 0")
