"""Layouts of the `vector`, `matrix` and `quaternion` families: composite inputs, locals and outputs.

Scalar dtypes stay in `gen.dtypes` (comparisons, casts and thresholds reason about scalars only);
the composite types a body may assign go to `gen.ctypes`.
"""

from __future__ import annotations

import libcst as cst

from grammar.composite import mat_type, vec_type
from grammar.composite_ops import composite_input_interval
from grammar.family_base import dim1, finish
from grammar.gen import Gen
from grammar.stmts import statements

COMPOSITE_STMTS = {
    "assign": 3.0,
    "aug": 1.0,
    "mutate": 1.0,
    "reassign": 0.5,
    "if": 0.7,
    "for": 0.5,
    "store": 0.3,
}


def composite_inputs(gen: Gen, types: list[str], n: int) -> None:
    """`n` input arrays drawn from the composite `types`."""
    for _ in range(n):
        t = gen.rng.pick(types)
        gen.add_array(t, "in", composite_input_interval(gen, t))


def finish_composite(gen: Gen, outs: list[str]) -> list[cst.BaseStatement]:
    """The `outs` arrays, a body of composite statements, and the final store to each output."""
    for t in outs:
        gen.add_array(t, "out", None)
    n = gen.rng.integer(1, min(5, gen.knobs.max_stmts))
    return finish(gen, statements(gen, n, COMPOSITE_STMTS))


def vector_layout(gen: Gen) -> list[cst.BaseStatement]:
    dim1(gen)
    s = gen.rng.pick(("float32", "float32", "float32", "float64", "float16", "int32"))
    gen.dtypes = [s] + (["int32"] if s != "int32" and gen.rng.chance(0.3) else [])
    n = gen.rng.integer(2, 4)
    gen.ctypes = [vec_type(n, s)]
    if gen.rng.chance(0.3):
        gen.ctypes.append(vec_type(gen.rng.pick([k for k in (2, 3, 4) if k != n]), s))
    composite_inputs(gen, gen.ctypes, gen.rng.integer(1, 2))
    if gen.rng.chance(0.4):
        gen.add_array(s, "in", gen.input_interval(s))
    if gen.rng.chance(0.3):
        t = gen.rng.pick(gen.ctypes)
        gen.add_scalar(t, composite_input_interval(gen, t))
    outs = [gen.rng.pick(gen.ctypes)] + ([s] if gen.rng.chance(0.4) else [])
    return finish_composite(gen, outs)


def matrix_layout(gen: Gen) -> list[cst.BaseStatement]:
    dim1(gen)
    s = gen.rng.pick(("float32", "float32", "float64"))
    gen.dtypes = [s]
    n = gen.rng.pick((2, 3, 3, 4))
    m, v = mat_type(n, s), vec_type(n, s)
    gen.ctypes = [m, v]
    composite_inputs(gen, [m, m, v], gen.rng.integer(1, 2))
    if gen.rng.chance(0.3):
        gen.add_scalar(m, composite_input_interval(gen, m))
    outs = [gen.rng.pick((m, m, v))] + ([s] if gen.rng.chance(0.4) else [])
    return finish_composite(gen, outs)


def quaternion_layout(gen: Gen) -> list[cst.BaseStatement]:
    dim1(gen)
    s = gen.rng.pick(("float32", "float32", "float64"))
    gen.dtypes = [s]
    q, v = ("quatf", "vec3f") if s == "float32" else ("quatd", "vec3d")
    x = "transformf" if s == "float32" else "transformd"
    gen.ctypes = [q, v] + ([x] if gen.rng.chance(0.5) else [])
    composite_inputs(gen, [v, v, q, x], gen.rng.integer(1, 2))
    if gen.rng.chance(0.3):
        gen.add_array(s, "in", gen.input_interval(s))
    outs = [gen.rng.pick([*gen.ctypes, mat_type(3, s)])] + ([s] if gen.rng.chance(0.3) else [])
    return finish_composite(gen, outs)


def composite_body(gen: Gen, kind: str) -> list[cst.BaseStatement]:
    layouts = {"vec": vector_layout, "mat": matrix_layout, "quat": quaternion_layout}
    return layouts[kind](gen)
