# mypy: ignore-errors
import warp as wp


@wp.kernel
def k_200016(a1: wp.array(dtype=wp.float32), out3: wp.array(dtype=wp.float32)):
    i = wp.tid()
    out3[i] = a1[i]
    out3[i] = 1.5
