"""Kernels `check` must refuse, each with the hint that matches its cause."""

import warp as wp


@wp.kernel
def reads_past_the_end(a: wp.array[float], out: wp.array[float]):
    i = wp.tid()
    out[i] = a[i + 1]


@wp.kernel
def last_writer_wins(a: wp.array[float], out: wp.array[float]):
    i = wp.tid()
    out[0] = a[i]
