struct wp_args_k_200449_7ce27cca {
    wp::array_t<wp::int32> a1;
    wp::array_t<wp::int32> out2;
};

void k_200449_7ce27cca_cpu_kernel_forward(
    wp::launch_bounds_t dim,
    size_t task_index,
    wp_args_k_200449_7ce27cca *_wp_args)
{
    //---------
    // argument vars
    wp::array_t<wp::int32> var_a1 = _wp_args->a1;
    wp::array_t<wp::int32> var_out2 = _wp_args->out2;
    //---------
    // primal vars
    wp::int32 var_0;
    wp::int32 var_1;
    wp::int32 var_2;
    wp::int32* var_3;
    wp::int32 var_4;
    wp::int32 var_5;
    //---------
    // forward
    // def k_200449(a1: wp.array3d(dtype=wp.int32), out2: wp.array3d(dtype=wp.int32)):        <L 4>
    // i, j, k = wp.tid()                                                                     <L 5>
    builtin_tid3d(var_0, var_1, var_2);
    // out2[i, j, k] = (j if i else a1[i, j, k])                                              <L 6>
    if (var_0) {
    }
    if (!var_0) {
        var_3 = wp::address(var_a1, var_0, var_1, var_2);
    }
    var_5 = wp::load(var_3);
    var_4 = wp::where(var_0, var_1, var_5);
    wp::array_store(var_out2, var_0, var_1, var_2, var_4);
}

extern "C" {

// Python CPU entry points
WP_API void k_200449_7ce27cca_cpu_forward(
    wp::launch_bounds_t dim,
    wp_args_k_200449_7ce27cca *_wp_args)
{
    wp::tile_shared_storage_t tile_mem;
#if defined(WP_ENABLE_TILES_IN_STACK_MEMORY)
    wp::shared_tile_storage = &tile_mem;
#endif

    for (size_t task_index = 0; task_index < dim.size; ++task_index)
    {
        k_200449_7ce27cca_cpu_kernel_forward(dim, task_index, _wp_args);
    }
}

} // extern C


void k_200449_7ce27cca_cpu_kernel_backward(
    wp::launch_bounds_t dim,
    size_t task_index,
    wp_args_k_200449_7ce27cca *_wp_args,
    wp_args_k_200449_7ce27cca *_wp_adj_args)
{
    //---------
    // argument vars
    wp::array_t<wp::int32> var_a1 = _wp_args->a1;
    wp::array_t<wp::int32> var_out2 = _wp_args->out2;
    wp::array_t<wp::int32> adj_a1 = _wp_adj_args->a1;
    wp::array_t<wp::int32> adj_out2 = _wp_adj_args->out2;
    //---------
    // primal vars
    wp::int32 var_0;
    wp::int32 var_1;
    wp::int32 var_2;
    wp::int32* var_3;
    wp::int32 var_4;
    wp::int32 var_5;
    //---------
    // dual vars
    wp::int32 adj_0 = {};
    wp::int32 adj_1 = {};
    wp::int32 adj_2 = {};
    wp::int32 adj_3 = {};
    wp::int32 adj_4 = {};
    wp::int32 adj_5 = {};
    //---------
    // forward
    // def k_200449(a1: wp.array3d(dtype=wp.int32), out2: wp.array3d(dtype=wp.int32)):        <L 4>
    // i, j, k = wp.tid()                                                                     <L 5>
    builtin_tid3d(var_0, var_1, var_2);
    // out2[i, j, k] = (j if i else a1[i, j, k])                                              <L 6>
    if (var_0) {
    }
    if (!var_0) {
        var_3 = wp::address(var_a1, var_0, var_1, var_2);
    }
    var_5 = wp::load(var_3);
    var_4 = wp::where(var_0, var_1, var_5);
    // wp::array_store(var_out2, var_0, var_1, var_2, var_4);
    //---------
    // reverse
    wp::adj_array_store(var_out2, var_0, var_1, var_2, var_4, adj_out2, adj_0, adj_1, adj_2, adj_4);
    wp::adj_where(var_0, var_1, var_5, adj_0, adj_1, adj_3, adj_4);
    if (!var_0) {
        wp::adj_address(var_a1, var_0, var_1, var_2, adj_a1, adj_0, adj_1, adj_2, adj_3);
    }
    if (var_0) {
    }
    // adj: out2[i, j, k] = (j if i else a1[i, j, k])                                         <L 6>
    // adj: i, j, k = wp.tid()                                                                <L 5>
    // adj: def k_200449(a1: wp.array3d(dtype=wp.int32), out2: wp.array3d(dtype=wp.int32)):   <L 4>
    return;
}

extern "C" {

WP_API void k_200449_7ce27cca_cpu_backward(
    wp::launch_bounds_t dim,
    wp_args_k_200449_7ce27cca *_wp_args,
    wp_args_k_200449_7ce27cca *_wp_adj_args)
{
    wp::tile_shared_storage_t tile_mem;
#if defined(WP_ENABLE_TILES_IN_STACK_MEMORY)
    wp::shared_tile_storage = &tile_mem;
#endif

    for (size_t task_index = 0; task_index < dim.size; ++task_index)
    {
        k_200449_7ce27cca_cpu_kernel_backward(dim, task_index, _wp_args, _wp_adj_args);
    }
}

} // extern C
