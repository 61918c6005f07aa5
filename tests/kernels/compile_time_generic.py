# mypy: ignore-errors
# ruff: noqa: F811  # @wp.overload stubs redeclare the generic kernel by design
"""A generic kernel with `@wp.overload` stubs (tests/test_oracle_compile_time.py): Warp builds
the declared instances; a launch with other argument types instantiates the kernel for them."""

import typing

import warp as wp


@wp.kernel
def scale(x: wp.array(dtype=typing.Any), s: typing.Any, out: wp.array(dtype=typing.Any)):
    i = wp.tid()
    out[i] = s * x[i] + x[i]


@wp.overload
def scale(x: wp.array(dtype=wp.float64), s: wp.float64, out: wp.array(dtype=wp.float64)): ...


@wp.overload
def scale(x: wp.array(dtype=wp.int32), s: wp.int32, out: wp.array(dtype=wp.int32)): ...
