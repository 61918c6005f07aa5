# mypy: ignore-errors
import warp as wp


@wp.kernel
def k_40(a1: wp.array(dtype=wp.float32), acc3: wp.array(dtype=wp.float32)):
    i = wp.tid()
    wp.atomic_add(acc3, 0, wp.frac(a1[i]))
