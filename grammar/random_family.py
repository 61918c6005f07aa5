"""Layout of the `random` family: a kernel that seeds one rng state and draws from it.

The body starts with `rngN = wp.rand_init(seed[, offset])` (seed and offset int32 expressions over
the thread index, inputs and a seed parameter), then ordinary statements whose expressions draw
from the `random` productions (grammar.random_ops) — in branches and loops too, so the state
advances on some lanes only or once per trip, which the oracle must follow exactly. Outputs are
float32 and int32/uint32 draws and, in some kernels, the sampled vec2f/vec3f points.
"""

from __future__ import annotations

import libcst as cst

from grammar.composite_ops import composite_input_interval
from grammar.dtypes import Interval
from grammar.family_base import dim1, finish
from grammar.gen import Gen
from grammar.random_ops import add_state
from grammar.stmts import statements

RANDOM_STMTS = {"assign": 3.0, "aug": 1.0, "reassign": 0.5, "if": 1.0, "for": 0.7, "store": 0.3}


def random_body(gen: Gen) -> list[cst.BaseStatement]:
    dim1(gen)
    gen.dtypes = ["float32", "int32"] + (["uint32"] if gen.rng.chance(0.4) else [])
    if gen.rng.chance(0.5):
        gen.ctypes = [gen.rng.pick(("vec3f", "vec2f"))]
    gen.add_array("float32", "in", gen.input_interval("float32"))
    if gen.rng.chance(0.6):
        gen.add_array("int32", "in", Interval(-1000, 1000))
    if gen.rng.chance(0.5):
        gen.add_scalar("int32", Interval(0, 2**20))
    for t in gen.ctypes:
        if gen.rng.chance(0.4):
            gen.add_array(t, "in", composite_input_interval(gen, t))
    body: list[cst.BaseStatement] = [add_state(gen)]
    body += statements(gen, gen.rng.integer(1, min(5, gen.knobs.max_stmts)), RANDOM_STMTS)
    outs = [gen.rng.pick(gen.dtypes)] + [t for t in gen.ctypes if gen.rng.chance(0.7)]
    if gen.rng.chance(0.4):
        outs.append(gen.rng.pick(gen.dtypes))
    for t in outs:
        gen.add_array(t, "out", None)
    return finish(gen, body)
