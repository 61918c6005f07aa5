# mypy: ignore-errors
import warp as wp

@wp.kernel
def k_11(a2: wp.array(dtype=wp.float32), out3: wp.array(dtype=wp.float32)):
    i = wp.tid()
    out3[i] = wp.atan2(-a2[i], -2.0)
