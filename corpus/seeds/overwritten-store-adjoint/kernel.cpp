struct wp_args_k_200016_15e3897b {
    wp::array_t<wp::float32> a1;
    wp::array_t<wp::float32> out3;
};

void k_200016_15e3897b_cpu_kernel_forward(
    wp::launch_bounds_t dim,
    size_t task_index,
    wp_args_k_200016_15e3897b *_wp_args)
{
    //---------
    // argument vars
    wp::array_t<wp::float32> var_a1 = _wp_args->a1;
    wp::array_t<wp::float32> var_out3 = _wp_args->out3;
    //---------
    // primal vars
    wp::int32 var_0;
    wp::float32* var_1;
    wp::float32 var_2;
    const wp::float32 var_3 = 1.5;
    //---------
    // forward
    // def k_200016(a1: wp.array(dtype=wp.float32), out3: wp.array(dtype=wp.float32)):        <L 4>
    // i = wp.tid()                                                                           <L 5>
    var_0 = builtin_tid1d();
    // out3[i] = a1[i]                                                                        <L 6>
    var_1 = wp::address(var_a1, var_0);
    var_2 = wp::load(var_1);
    wp::array_store(var_out3, var_0, var_2);
    // out3[i] = 1.5                                                                          <L 7>
    wp::array_store(var_out3, var_0, var_3);
}

extern "C" {

// Python CPU entry points
WP_API void k_200016_15e3897b_cpu_forward(
    wp::launch_bounds_t dim,
    wp_args_k_200016_15e3897b *_wp_args)
{
    wp::tile_shared_storage_t tile_mem;
#if defined(WP_ENABLE_TILES_IN_STACK_MEMORY)
    wp::shared_tile_storage = &tile_mem;
#endif

    for (size_t task_index = 0; task_index < dim.size; ++task_index)
    {
        k_200016_15e3897b_cpu_kernel_forward(dim, task_index, _wp_args);
    }
}

} // extern C


void k_200016_15e3897b_cpu_kernel_backward(
    wp::launch_bounds_t dim,
    size_t task_index,
    wp_args_k_200016_15e3897b *_wp_args,
    wp_args_k_200016_15e3897b *_wp_adj_args)
{
    //---------
    // argument vars
    wp::array_t<wp::float32> var_a1 = _wp_args->a1;
    wp::array_t<wp::float32> var_out3 = _wp_args->out3;
    wp::array_t<wp::float32> adj_a1 = _wp_adj_args->a1;
    wp::array_t<wp::float32> adj_out3 = _wp_adj_args->out3;
    //---------
    // primal vars
    wp::int32 var_0;
    wp::float32* var_1;
    wp::float32 var_2;
    const wp::float32 var_3 = 1.5;
    //---------
    // dual vars
    wp::int32 adj_0 = {};
    wp::float32 adj_1 = {};
    wp::float32 adj_2 = {};
    wp::float32 adj_3 = {};
    //---------
    // forward
    // def k_200016(a1: wp.array(dtype=wp.float32), out3: wp.array(dtype=wp.float32)):        <L 4>
    // i = wp.tid()                                                                           <L 5>
    var_0 = builtin_tid1d();
    // out3[i] = a1[i]                                                                        <L 6>
    var_1 = wp::address(var_a1, var_0);
    var_2 = wp::load(var_1);
    // wp::array_store(var_out3, var_0, var_2);
    // out3[i] = 1.5                                                                          <L 7>
    // wp::array_store(var_out3, var_0, var_3);
    //---------
    // reverse
    wp::adj_array_store(var_out3, var_0, var_3, adj_out3, adj_0, adj_3);
    // adj: out3[i] = 1.5                                                                     <L 7>
    wp::adj_array_store(var_out3, var_0, var_2, adj_out3, adj_0, adj_1);
    wp::adj_address(var_a1, var_0, adj_a1, adj_0, adj_1);
    // adj: out3[i] = a1[i]                                                                   <L 6>
    // adj: i = wp.tid()                                                                      <L 5>
    // adj: def k_200016(a1: wp.array(dtype=wp.float32), out3: wp.array(dtype=wp.float32)):   <L 4>
    return;
}

extern "C" {

WP_API void k_200016_15e3897b_cpu_backward(
    wp::launch_bounds_t dim,
    wp_args_k_200016_15e3897b *_wp_args,
    wp_args_k_200016_15e3897b *_wp_adj_args)
{
    wp::tile_shared_storage_t tile_mem;
#if defined(WP_ENABLE_TILES_IN_STACK_MEMORY)
    wp::shared_tile_storage = &tile_mem;
#endif

    for (size_t task_index = 0; task_index < dim.size; ++task_index)
    {
        k_200016_15e3897b_cpu_kernel_backward(dim, task_index, _wp_args, _wp_adj_args);
    }
}

} // extern C
