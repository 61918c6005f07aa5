struct wp_args_k_200534_2af0fb1a {
    wp::array_t<wp::int64> out3;
};

void k_200534_2af0fb1a_cpu_kernel_forward(
    wp::launch_bounds_t dim,
    size_t task_index,
    wp_args_k_200534_2af0fb1a *_wp_args)
{
    //---------
    // argument vars
    wp::array_t<wp::int64> var_out3 = _wp_args->out3;
    //---------
    // primal vars
    wp::int32 var_0;
    const wp::int32 var_1 = 9223372036854775807;
    wp::int64 var_2;
    //---------
    // forward
    // def k_200534(out3: wp.array(dtype=wp.int64)):                                          <L 4>
    // i = wp.tid()                                                                           <L 5>
    var_0 = builtin_tid1d();
    // out3[i] = wp.int64(9223372036854775807)                                                <L 6>
    var_2 = wp::int64(var_1);
    wp::array_store(var_out3, var_0, var_2);
}

extern "C" {

// Python CPU entry points
WP_API void k_200534_2af0fb1a_cpu_forward(
    wp::launch_bounds_t dim,
    wp_args_k_200534_2af0fb1a *_wp_args)
{
    wp::tile_shared_storage_t tile_mem;
#if defined(WP_ENABLE_TILES_IN_STACK_MEMORY)
    wp::shared_tile_storage = &tile_mem;
#endif

    for (size_t task_index = 0; task_index < dim.size; ++task_index)
    {
        k_200534_2af0fb1a_cpu_kernel_forward(dim, task_index, _wp_args);
    }
}

} // extern C


void k_200534_2af0fb1a_cpu_kernel_backward(
    wp::launch_bounds_t dim,
    size_t task_index,
    wp_args_k_200534_2af0fb1a *_wp_args,
    wp_args_k_200534_2af0fb1a *_wp_adj_args)
{
    //---------
    // argument vars
    wp::array_t<wp::int64> var_out3 = _wp_args->out3;
    wp::array_t<wp::int64> adj_out3 = _wp_adj_args->out3;
    //---------
    // primal vars
    wp::int32 var_0;
    const wp::int32 var_1 = 9223372036854775807;
    wp::int64 var_2;
    //---------
    // dual vars
    wp::int32 adj_0 = {};
    wp::int32 adj_1 = {};
    wp::int64 adj_2 = {};
    //---------
    // forward
    // def k_200534(out3: wp.array(dtype=wp.int64)):                                          <L 4>
    // i = wp.tid()                                                                           <L 5>
    var_0 = builtin_tid1d();
    // out3[i] = wp.int64(9223372036854775807)                                                <L 6>
    var_2 = wp::int64(var_1);
    // wp::array_store(var_out3, var_0, var_2);
    //---------
    // reverse
    wp::adj_array_store(var_out3, var_0, var_2, adj_out3, adj_0, adj_2);
    wp::adj_int64(var_1, adj_1, adj_2);
    // adj: out3[i] = wp.int64(9223372036854775807)                                           <L 6>
    // adj: i = wp.tid()                                                                      <L 5>
    // adj: def k_200534(out3: wp.array(dtype=wp.int64)):                                     <L 4>
    return;
}

extern "C" {

WP_API void k_200534_2af0fb1a_cpu_backward(
    wp::launch_bounds_t dim,
    wp_args_k_200534_2af0fb1a *_wp_args,
    wp_args_k_200534_2af0fb1a *_wp_adj_args)
{
    wp::tile_shared_storage_t tile_mem;
#if defined(WP_ENABLE_TILES_IN_STACK_MEMORY)
    wp::shared_tile_storage = &tile_mem;
#endif

    for (size_t task_index = 0; task_index < dim.size; ++task_index)
    {
        k_200534_2af0fb1a_cpu_kernel_backward(dim, task_index, _wp_args, _wp_adj_args);
    }
}

} // extern C
