struct wp_args_k_200026_980aa1bc {
    wp::array_t<wp::quat_t<wp::float64>> a1;
    wp::array_t<wp::transform_t<wp::float64>> a2;
    wp::array_t<wp::vec_t<3, wp::float64>> out3;
    wp::array_t<wp::float64> out4;
};

void k_200026_980aa1bc_cpu_kernel_forward(
    wp::launch_bounds_t dim,
    size_t task_index,
    wp_args_k_200026_980aa1bc *_wp_args)
{
    //---------
    // argument vars
    wp::array_t<wp::quat_t<wp::float64>> var_a1 = _wp_args->a1;
    wp::array_t<wp::transform_t<wp::float64>> var_a2 = _wp_args->a2;
    wp::array_t<wp::vec_t<3, wp::float64>> var_out3 = _wp_args->out3;
    wp::array_t<wp::float64> var_out4 = _wp_args->out4;
    //---------
    // primal vars
    wp::int32 var_0;
    const wp::float32 var_1 = 0.5;
    wp::float64 var_2;
    const wp::float32 var_3 = 2.0;
    wp::float64 var_4;
    const wp::float32 var_5 = 0.1;
    wp::float64 var_6;
    wp::vec_t<3, wp::float64> var_7;
    //---------
    // forward
    // def k_200026(a1: wp.array(dtype=wp.quatd), a2: wp.array(dtype=wp.transformd), out3: wp.array(dtype=wp.vec3d), out4: wp.array(dtype=wp.float64)):       <L 4>
    // i = wp.tid()                                                                           <L 5>
    var_0 = builtin_tid1d();
    // out3[i] = wp.vec3d(wp.float64(0.5), wp.float64(2.0), wp.float64(0.1))                  <L 6>
    var_2 = wp::float64(var_1);
    var_4 = wp::float64(var_3);
    var_6 = wp::float64(var_5);
    var_7 = wp::vec_t<3, wp::float64>(var_2, var_4, var_6);
    wp::array_store(var_out3, var_0, var_7);
}

extern "C" {

// Python CPU entry points
WP_API void k_200026_980aa1bc_cpu_forward(
    wp::launch_bounds_t dim,
    wp_args_k_200026_980aa1bc *_wp_args)
{
    wp::tile_shared_storage_t tile_mem;
#if defined(WP_ENABLE_TILES_IN_STACK_MEMORY)
    wp::shared_tile_storage = &tile_mem;
#endif

    for (size_t task_index = 0; task_index < dim.size; ++task_index)
    {
        k_200026_980aa1bc_cpu_kernel_forward(dim, task_index, _wp_args);
    }
}

} // extern C


void k_200026_980aa1bc_cpu_kernel_backward(
    wp::launch_bounds_t dim,
    size_t task_index,
    wp_args_k_200026_980aa1bc *_wp_args,
    wp_args_k_200026_980aa1bc *_wp_adj_args)
{
    //---------
    // argument vars
    wp::array_t<wp::quat_t<wp::float64>> var_a1 = _wp_args->a1;
    wp::array_t<wp::transform_t<wp::float64>> var_a2 = _wp_args->a2;
    wp::array_t<wp::vec_t<3, wp::float64>> var_out3 = _wp_args->out3;
    wp::array_t<wp::float64> var_out4 = _wp_args->out4;
    wp::array_t<wp::quat_t<wp::float64>> adj_a1 = _wp_adj_args->a1;
    wp::array_t<wp::transform_t<wp::float64>> adj_a2 = _wp_adj_args->a2;
    wp::array_t<wp::vec_t<3, wp::float64>> adj_out3 = _wp_adj_args->out3;
    wp::array_t<wp::float64> adj_out4 = _wp_adj_args->out4;
    //---------
    // primal vars
    wp::int32 var_0;
    const wp::float32 var_1 = 0.5;
    wp::float64 var_2;
    const wp::float32 var_3 = 2.0;
    wp::float64 var_4;
    const wp::float32 var_5 = 0.1;
    wp::float64 var_6;
    wp::vec_t<3, wp::float64> var_7;
    //---------
    // dual vars
    wp::int32 adj_0 = {};
    wp::float32 adj_1 = {};
    wp::float64 adj_2 = {};
    wp::float32 adj_3 = {};
    wp::float64 adj_4 = {};
    wp::float32 adj_5 = {};
    wp::float64 adj_6 = {};
    wp::vec_t<3, wp::float64> adj_7 = {};
    //---------
    // forward
    // def k_200026(a1: wp.array(dtype=wp.quatd), a2: wp.array(dtype=wp.transformd), out3: wp.array(dtype=wp.vec3d), out4: wp.array(dtype=wp.float64)):       <L 4>
    // i = wp.tid()                                                                           <L 5>
    var_0 = builtin_tid1d();
    // out3[i] = wp.vec3d(wp.float64(0.5), wp.float64(2.0), wp.float64(0.1))                  <L 6>
    var_2 = wp::float64(var_1);
    var_4 = wp::float64(var_3);
    var_6 = wp::float64(var_5);
    var_7 = wp::vec_t<3, wp::float64>(var_2, var_4, var_6);
    // wp::array_store(var_out3, var_0, var_7);
    //---------
    // reverse
    wp::adj_array_store(var_out3, var_0, var_7, adj_out3, adj_0, adj_7);
    wp::adj_vec_t(var_2, var_4, var_6, adj_2, adj_4, adj_6, adj_7);
    wp::adj_float64(var_5, adj_5, adj_6);
    wp::adj_float64(var_3, adj_3, adj_4);
    wp::adj_float64(var_1, adj_1, adj_2);
    // adj: out3[i] = wp.vec3d(wp.float64(0.5), wp.float64(2.0), wp.float64(0.1))             <L 6>
    // adj: i = wp.tid()                                                                      <L 5>
    // adj: def k_200026(a1: wp.array(dtype=wp.quatd), a2: wp.array(dtype=wp.transformd), out3: wp.array(dtype=wp.vec3d), out4: wp.array(dtype=wp.float64)):  <L 4>
    return;
}

extern "C" {

WP_API void k_200026_980aa1bc_cpu_backward(
    wp::launch_bounds_t dim,
    wp_args_k_200026_980aa1bc *_wp_args,
    wp_args_k_200026_980aa1bc *_wp_adj_args)
{
    wp::tile_shared_storage_t tile_mem;
#if defined(WP_ENABLE_TILES_IN_STACK_MEMORY)
    wp::shared_tile_storage = &tile_mem;
#endif

    for (size_t task_index = 0; task_index < dim.size; ++task_index)
    {
        k_200026_980aa1bc_cpu_kernel_backward(dim, task_index, _wp_args, _wp_adj_args);
    }
}

} // extern C
