"""Layout of the `spatial` family: vec3f/mat33f inputs and locals whose expressions draw the
`spatial` productions (grammar.spatial_ops: twists built, crossed, dotted and transformed by a
spatial adjoint inside one expression) alongside the vector, matrix and quaternion ones."""

from __future__ import annotations

import libcst as cst

from grammar.composite_families import composite_inputs, finish_composite
from grammar.composite_ops import composite_input_interval
from grammar.family_base import dim1
from grammar.gen import Gen


def spatial_body(gen: Gen) -> list[cst.BaseStatement]:
    dim1(gen)
    gen.dtypes = ["float32"]
    gen.ctypes = ["vec3f", "mat33f"] + (["quatf"] if gen.rng.chance(0.3) else [])
    composite_inputs(gen, ["vec3f", "vec3f", "mat33f"], gen.rng.integer(1, 3))
    if gen.rng.chance(0.4):
        gen.add_array("float32", "in", gen.input_interval("float32"))
    if gen.rng.chance(0.3):
        gen.add_scalar("mat33f", composite_input_interval(gen, "mat33f"))
    outs = [gen.rng.pick(("vec3f", "vec3f", "float32"))] + (["float32"] if gen.rng.chance(0.4) else [])
    return finish_composite(gen, outs)
