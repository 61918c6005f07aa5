"""Kernel families: a launch layout plus the weights it gives to production tags and statements.

A family decides the parameters (arrays, scalars, structs), the launch shape, which statement
kinds its body draws and how strongly each production tag is drawn. `elementwise`, `unary` and
`branch` are wave-1 families: they emit only the wave-1 subset (float32/int32, no loops).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import libcst as cst

from grammar.atomics import ATOMIC_DTYPES, add_reduction_target, reduce_stmt
from grammar.compile_time_family import compile_time_body, compile_time_render
from grammar.composite_families import composite_body
from grammar.custom_adjoint_family import custom_adjoint_body, custom_adjoint_render
from grammar.dtypes import Interval
from grammar.extras import bitwise_body, helper_body, struct_body
from grammar.factory_family import factory_body, factory_render
from grammar.family_base import any_dtypes, dim1, finish, inputs
from grammar.gen import Gen
from grammar.geometry_family import geometry_body
from grammar.random_family import random_body
from grammar.reach import reach_body
from grammar.scope import Var
from grammar.spatial_family import spatial_body
from grammar.stmts import statements
from grammar.tile_families import tile_block_dim, tile_body

WAVE1_TAGS = MappingProxyType(
    {"arith": 3.0, "math": 1.5, "cast": 0.5, "select": 0.4, "cmp": 1.0, "logic": 0.5}
)
ALL_TAGS = MappingProxyType(
    {
        **WAVE1_TAGS,
        "arith2": 0.3,
        "ternary": 0.4,
        "bits": 0.6,
        "vector": 0.8,
        "matrix": 0.5,
        "quat": 0.4,
        "transform": 0.3,
        "func": 0.4,
    }
)


@dataclass(frozen=True)
class Family:
    name: str
    layout: Callable[[Gen], list[cst.BaseStatement]]
    tags: Mapping[str, float]
    wave2: bool = True
    doc: str = ""
    stmt_weights: Mapping[str, float] = field(default_factory=dict)
    # a tiled family's threads per block, drawn after its body (None: a plain launch)
    block_dim: Callable[[Gen], int] | None = None
    # the source from the body when the kernel is not a plain top-level def (None: generate.render)
    render: Callable[[Gen, list[cst.BaseStatement]], str] | None = None
    # the gate every kernel of the family uses (grammar.gates): a target release without it
    # draws no kernel of the family, rather than rejecting every draw
    requires: str = ""


def _dim_nd(gen: Gen) -> None:
    nd = gen.rng.integer(2, 3)
    if nd == 2:
        gen.dim = (gen.rng.integer(2, 16), gen.rng.integer(2, 16))
    else:
        gen.dim = (gen.rng.integer(2, 8), gen.rng.integer(2, 8), gen.rng.integer(1, 4))
    gen.idx = [
        gen.scope.add(Var(n, "int32", Interval(0, d - 1), 0, True, False))
        for n, d in zip("ijk", gen.dim, strict=False)
    ]


def _wave1_dtypes(gen: Gen) -> None:
    gen.dtypes = [gen.rng.pick(("float32", "int32"))]
    if gen.rng.chance(0.4):
        gen.dtypes.append("int32" if gen.dtypes[0] == "float32" else "float32")


def _simple(nstmts_hi: int, weights: Mapping[str, float]) -> Callable[[Gen], list[cst.BaseStatement]]:
    def layout(gen: Gen) -> list[cst.BaseStatement]:
        dim1(gen)
        if gen.wave2:
            any_dtypes(gen)
        else:
            _wave1_dtypes(gen)
        inputs(gen, gen.rng.integer(1, 3))
        gen.add_array(gen.rng.pick(gen.dtypes), "out", None)
        if weights.get("atomic", 0) > 0 and gen.rng.chance(0.5):
            t = gen.rng.pick([d for d in gen.dtypes if d in ATOMIC_DTYPES] or ["int32"])
            if t not in gen.dtypes:
                gen.dtypes.append(t)
            gen.add_array(t, "inout", Interval(0, 100))
        n = gen.rng.integer(0, min(nstmts_hi, gen.knobs.max_stmts))
        return finish(gen, statements(gen, n, weights))

    return layout


def _scalar_array(gen: Gen) -> list[cst.BaseStatement]:
    dim1(gen)
    any_dtypes(gen)
    inputs(gen, gen.rng.integer(1, 2))
    for _ in range(gen.rng.integer(1, 3)):
        t = gen.rng.pick(gen.dtypes)
        gen.add_scalar(t, gen.input_interval(t))
    gen.add_array(gen.rng.pick(gen.dtypes), "out", None)
    body = statements(gen, gen.rng.integer(0, min(3, gen.knobs.max_stmts)), {"assign": 2, "aug": 1})
    return finish(gen, body)


def _unary(gen: Gen) -> list[cst.BaseStatement]:
    dim1(gen)
    gen.dtypes = ["float32"] + (["int32"] if gen.rng.chance(0.2) else [])
    gen.add_array("float32", "in", gen.input_interval("float32"))
    gen.add_array("float32", "out", None)
    gen.p_internal = 0.85
    body = statements(gen, gen.rng.integer(0, min(2, gen.knobs.max_stmts)), {"assign": 1})
    return finish(gen, body)


def composite_layout(kind: str) -> Callable[[Gen], list[cst.BaseStatement]]:
    def layout(gen: Gen) -> list[cst.BaseStatement]:
        return composite_body(gen, kind)

    return layout


def reach_layout(cls: str) -> Callable[[Gen], list[cst.BaseStatement]]:
    def layout(gen: Gen) -> list[cst.BaseStatement]:
        return reach_body(gen, cls)

    return layout


def _reduction(gen: Gen) -> list[cst.BaseStatement]:
    dim1(gen)
    any_dtypes(gen)
    inputs(gen, gen.rng.integer(1, 2))
    target = add_reduction_target(gen)
    body = statements(gen, gen.rng.integer(0, min(3, gen.knobs.max_stmts)), {"assign": 2, "if": 0.5})
    body.append(reduce_stmt(gen, target))
    return body


def _multidim(gen: Gen) -> list[cst.BaseStatement]:
    _dim_nd(gen)
    any_dtypes(gen)
    inputs(gen, gen.rng.integer(1, 2))
    gen.add_array(gen.rng.pick(gen.dtypes), "out", None)
    n = gen.rng.integer(0, min(4, gen.knobs.max_stmts))
    return finish(gen, statements(gen, n, {"assign": 2, "aug": 1, "if": 1, "for": 0.5}))


# the reach families (grammar.reach): one per construct class the safe families never write
REACH_FAMILIES = ("side_effects", "lvalues", "names", "loops_reach", "nonfinite")
BRANCHY = MappingProxyType({"assign": 1.0, "reassign": 0.5, "store": 1.0, "if": 3.0, "aug": 0.5})
LOOPY = MappingProxyType(
    {"assign": 1.0, "aug": 1.5, "for": 3.0, "while": 1.0, "break": 0.7, "store": 0.3, "if": 0.5}
)


def family_table() -> tuple[Family, ...]:
    """All families, in a fixed order (the order weights and proportions are reported in)."""
    w1 = WAVE1_TAGS
    return (
        Family("elementwise", _simple(3, {"assign": 2.0, "aug": 1.0}), w1, wave2=False),
        Family(
            "scalar_array",
            _scalar_array,
            ALL_TAGS | {"vector": 0, "matrix": 0, "quat": 0, "transform": 0, "func": 0},
        ),
        Family(
            "unary",
            _unary,
            MappingProxyType({"math": 5.0, "arith": 1.0, "cast": 0.2, "select": 0.2, "cmp": 0.5}),
            wave2=False,
        ),
        Family("branch", _simple(3, BRANCHY), w1, wave2=False),
        Family("loop", _simple(4, LOOPY), ALL_TAGS | {"vector": 0, "matrix": 0, "quat": 0, "transform": 0}),
        Family("reduction", _reduction, ALL_TAGS | {"vector": 0, "matrix": 0, "quat": 0, "transform": 0}),
        Family("vector", composite_layout("vec"), ALL_TAGS | {"vector": 4.0}),
        Family(
            "multi_statement",
            _simple(8, {"assign": 3.0, "reassign": 1.0, "aug": 2.0, "store": 0.5, "atomic": 0.5}),
            ALL_TAGS | {"vector": 0, "matrix": 0, "quat": 0, "transform": 0},
        ),
        Family(
            "nested_branch",
            _simple(4, BRANCHY | {"if": 5.0, "return": 0.5}),
            ALL_TAGS | {"vector": 0, "matrix": 0, "quat": 0, "transform": 0},
        ),
        Family(
            "compound",
            _simple(
                8,
                {
                    "assign": 2,
                    "reassign": 1,
                    "aug": 1,
                    "store": 0.5,
                    "if": 1,
                    "for": 1,
                    "while": 0.5,
                    "return": 0.2,
                    "break": 0.5,
                    "atomic": 0.3,
                },
            ),
            ALL_TAGS,
        ),
        Family("matrix", composite_layout("mat"), ALL_TAGS | {"matrix": 4.0, "vector": 2.0}),
        Family(
            "quaternion", composite_layout("quat"), ALL_TAGS | {"quat": 4.0, "transform": 2.0, "vector": 1.0}
        ),
        Family(
            "bitwise",
            bitwise_body,
            MappingProxyType({"bits": 5.0, "arith": 1.0, "cast": 1.0, "cmp": 0.5, "ternary": 0.3}),
        ),
        Family("multidim", _multidim, ALL_TAGS | {"vector": 0, "matrix": 0, "quat": 0, "transform": 0}),
        Family("helper_func", helper_body, ALL_TAGS | {"func": 4.0}),
        Family("struct", struct_body, ALL_TAGS | {"vector": 1.0}),
        Family(
            "tiles", tile_body, ALL_TAGS, doc="tiled launches", block_dim=tile_block_dim, requires="tiles"
        ),
        *(Family(c, reach_layout(c), ALL_TAGS, doc=f"reach: {c}") for c in REACH_FAMILIES),
        Family("random", random_body, ALL_TAGS | {"random": 4.0, "vector": 1.0, "matrix": 0, "quat": 0}),
        Family("spatial", spatial_body, ALL_TAGS | {"spatial": 4.0, "vector": 2.0, "matrix": 1.0}),
        Family(
            "compile_time",
            compile_time_body,
            ALL_TAGS,
            doc="wp.static, generics, overloads, generic kernels, tuple returns",
            render=compile_time_render,
        ),
        Family("factories", factory_body, ALL_TAGS, doc="kernel factories (closures)", render=factory_render),
        Family(
            "custom_adjoint",
            custom_adjoint_body,
            ALL_TAGS,
            doc="func_grad/func_replay",
            render=custom_adjoint_render,
        ),
        Family("geometry", geometry_body, ALL_TAGS, doc="wp.Mesh / wp.HashGrid / wp.Bvh queries"),
    )


FAMILIES: tuple[str, ...] = (
    "elementwise",
    "scalar_array",
    "unary",
    "branch",
    "loop",
    "reduction",
    "vector",
    "multi_statement",
    "nested_branch",
    "compound",
    "matrix",
    "quaternion",
    "bitwise",
    "multidim",
    "helper_func",
    "struct",
    "tiles",
    *REACH_FAMILIES,
    "random",
    "spatial",
    "compile_time",
    "factories",
    "custom_adjoint",
    "geometry",
)
