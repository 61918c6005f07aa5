# mypy: ignore-errors
import warp as wp


@wp.kernel
def k_200449(a1: wp.array3d(dtype=wp.int32), out2: wp.array3d(dtype=wp.int32)):
    i, j, k = wp.tid()
    out2[i, j, k] = j if i else a1[i, j, k]
