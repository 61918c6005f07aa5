# mypy: ignore-errors
import warp as wp


@wp.kernel
def k_200026(
    a1: wp.array(dtype=wp.quatd),
    a2: wp.array(dtype=wp.transformd),
    out3: wp.array(dtype=wp.vec3d),
    out4: wp.array(dtype=wp.float64),
):
    i = wp.tid()
    out3[i] = wp.vec3d(wp.float64(0.5), wp.float64(2.0), wp.float64(0.1))
