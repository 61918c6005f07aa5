"""Kernels whose result depends on thread order: `check` must refuse each (exit 2, race named),
never report them as Warp mismatches or as verified."""

import warp as wp


@wp.kernel
def race_on_one_element(x: wp.array[float], out: wp.array[float]):
    i = wp.tid()
    out[0] = x[i] * 2.0


@wp.kernel
def atomic_old_to_output(x: wp.array[float], total: wp.array[float], out: wp.array[float]):
    i = wp.tid()
    old = wp.atomic_add(total, 0, x[i])
    out[i] = old


@wp.kernel
def compaction_slot(x: wp.array[float], count: wp.array[wp.int32], out: wp.array[float]):
    i = wp.tid()
    if x[i] > 0.0:
        slot = wp.atomic_add(count, 0, 1)
        out[slot] = x[i]


@wp.kernel
def neighbour_prefix(x: wp.array[float]):
    i = wp.tid()
    if i > 0:
        x[i] = x[i] + x[i - 1]


@wp.kernel
def commutative_sum(x: wp.array[float], total: wp.array[float], out: wp.array[float]):
    i = wp.tid()
    wp.atomic_add(total, 0, x[i])
    out[i] = x[i] * 0.5
