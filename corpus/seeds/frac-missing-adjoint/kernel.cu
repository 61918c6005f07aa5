extern "C" __global__ void k_40_cabf80c4_cuda_kernel_forward(
    wp::launch_bounds_t<1> dim,
    wp::array_t<wp::float32> var_a1,
    wp::array_t<wp::float32> var_acc3)
{
    wp::tile_shared_storage_t tile_mem;

    for (size_t _idx = static_cast<size_t>(blockDim.x) * static_cast<size_t>(blockIdx.x) + static_cast<size_t>(threadIdx.x);
         _idx < dim.size;
         _idx += static_cast<size_t>(blockDim.x) * static_cast<size_t>(gridDim.x))
    {
            // reset shared memory allocator
        wp::tile_shared_storage_t::init();

        //---------
        // primal vars
        wp::int32 var_0;
        const wp::int32 var_1 = 0;
        wp::float32* var_2;
        wp::float32 var_3;
        wp::float32 var_4;
        wp::float32 var_5;
        //---------
        // forward
        // def k_40(a1: wp.array(dtype=wp.float32), acc3: wp.array(dtype=wp.float32)):            <L 4>
        // i = wp.tid()                                                                           <L 5>
        var_0 = builtin_tid1d();
        // wp.atomic_add(acc3, 0, wp.frac(a1[i]))                                                 <L 6>
        var_2 = wp::address(var_a1, var_0);
        var_4 = wp::load(var_2);
        var_3 = wp::frac(var_4);
        var_5 = wp::atomic_add(var_acc3, var_1, var_3);
    }
}


extern "C" __global__ void k_40_cabf80c4_cuda_kernel_backward(
    wp::launch_bounds_t<1> dim,
    wp::array_t<wp::float32> var_a1,
    wp::array_t<wp::float32> var_acc3,
    wp::array_t<wp::float32> adj_a1,
    wp::array_t<wp::float32> adj_acc3)
{
    wp::tile_shared_storage_t tile_mem;

    for (size_t _idx = static_cast<size_t>(blockDim.x) * static_cast<size_t>(blockIdx.x) + static_cast<size_t>(threadIdx.x);
         _idx < dim.size;
         _idx += static_cast<size_t>(blockDim.x) * static_cast<size_t>(gridDim.x))
    {
            // reset shared memory allocator
        wp::tile_shared_storage_t::init();

        //---------
        // primal vars
        wp::int32 var_0;
        const wp::int32 var_1 = 0;
        wp::float32* var_2;
        wp::float32 var_3;
        wp::float32 var_4;
        wp::float32 var_5;
        //---------
        // dual vars
        wp::int32 adj_0 = {};
        wp::int32 adj_1 = {};
        wp::float32 adj_2 = {};
        wp::float32 adj_3 = {};
        wp::float32 adj_4 = {};
        wp::float32 adj_5 = {};
        //---------
        // forward
        // def k_40(a1: wp.array(dtype=wp.float32), acc3: wp.array(dtype=wp.float32)):            <L 4>
        // i = wp.tid()                                                                           <L 5>
        var_0 = builtin_tid1d();
        // wp.atomic_add(acc3, 0, wp.frac(a1[i]))                                                 <L 6>
        var_2 = wp::address(var_a1, var_0);
        var_4 = wp::load(var_2);
        var_3 = wp::frac(var_4);
        // var_5 = wp::atomic_add(var_acc3, var_1, var_3);
        //---------
        // reverse
        wp::adj_atomic_add(var_acc3, var_1, var_3, adj_acc3, adj_1, adj_3, adj_5);
        wp::adj_address(var_a1, var_0, adj_a1, adj_0, adj_2);
        // adj: wp.atomic_add(acc3, 0, wp.frac(a1[i]))                                            <L 6>
        // adj: i = wp.tid()                                                                      <L 5>
        // adj: def k_40(a1: wp.array(dtype=wp.float32), acc3: wp.array(dtype=wp.float32)):       <L 4>
        continue;
    }
}
