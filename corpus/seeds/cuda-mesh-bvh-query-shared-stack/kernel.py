# mypy: ignore-errors
import warp as wp

@wp.kernel
def k_1600319(a1: wp.array(dtype=wp.vec3f), bvh2: wp.uint64, mesh4: wp.uint64, ):
    i = wp.tid()
    p1 = a1[i]
    bq1 = wp.bvh_query_aabb(bvh2, p1, p1)
    bi1 = int(0)
    while wp.bvh_query_next(bq1, bi1):
        pass
    p2 = a1[i]
    mq2 = wp.mesh_query_aabb(mesh4, p2, p2)
