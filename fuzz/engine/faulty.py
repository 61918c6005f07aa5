"""A kernel that faults on purpose (CUDA illegal address), for the fault-isolation tests."""

# mypy: ignore-errors

import warp as wp


@wp.kernel
def wild_write(a: wp.array(dtype=wp.float32)):
    i = wp.tid()
    a[(i + 1) << 28] = 1.0
