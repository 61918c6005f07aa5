struct wp_args_k_11_6f8b04d1 {
    wp::array_t<wp::float32> a2;
    wp::array_t<wp::float32> out3;
};

template <bool wp_linear_contiguous>
static void k_11_6f8b04d1_cpu_kernel_forward(
    wp::launch_bounds_t<1> dim,
    size_t task_index,
    wp_args_k_11_6f8b04d1 *_wp_args)
{
    static constexpr bool wp_linear_tid = wp_linear_contiguous;
    wp_args_k_11_6f8b04d1 wp_contiguous_args;
    if constexpr (wp_linear_contiguous)
    {
        wp_contiguous_args = *_wp_args;
        wp_contiguous_args.a2.strides[0] = sizeof(wp::float32);
        wp_contiguous_args.out3.strides[0] = sizeof(wp::float32);
        _wp_args = &wp_contiguous_args;
    }
    //---------
    // argument vars
    wp::array_t<wp::float32> var_a2 = _wp_args->a2;
    wp::array_t<wp::float32> var_out3 = _wp_args->out3;
    //---------
    // primal vars
    wp::int32 var_0;
    wp::float32* var_1;
    wp::float32 var_2;
    wp::float32 var_3;
    const wp::float32 var_4 = -2.0;
    wp::float32 var_5;
    //---------
    // forward
    // def k_11(a2: wp.array(dtype=wp.float32), out3: wp.array(dtype=wp.float32)):            <L 4>
    // i = wp.tid()                                                                           <L 5>
    var_0 = builtin_tid1d();
    // out3[i] = wp.atan2(-a2[i], -2.0)                                                       <L 6>
    var_1 = wp::address(var_a2, var_0);
    var_3 = wp::load(var_1);
    var_2 = wp::neg(var_3);
    var_5 = wp::atan2(var_2, var_4);
    wp::array_store(var_out3, var_0, var_5);
}

template <bool wp_linear_contiguous>
static WP_FORCEINLINE void k_11_6f8b04d1_cpu_forward_tasks(
    wp::launch_bounds_t<1> *dim,
    wp_args_k_11_6f8b04d1 *_wp_args)
{
    for (size_t task_index = 0; task_index < dim->size; ++task_index)
    {
        k_11_6f8b04d1_cpu_kernel_forward<wp_linear_contiguous>(*dim, task_index, _wp_args);
    }
}

static WP_FORCEINLINE void k_11_6f8b04d1_cpu_forward_dispatch(
    wp::launch_bounds_t<1> *dim,
    wp_args_k_11_6f8b04d1 *_wp_args)
{
    wp::tile_shared_storage_t tile_mem;
#if defined(WP_ENABLE_TILES_IN_STACK_MEMORY)
    wp::shared_tile_storage = &tile_mem;
#endif

    const bool wp_linear_contiguous = dim->coord_mult == 1 && ((_wp_args->a2.strides[0] == (int)sizeof(wp::float32)) & (_wp_args->out3.strides[0] == (int)sizeof(wp::float32)));
    if (wp_linear_contiguous)
        k_11_6f8b04d1_cpu_forward_tasks<true>(dim, _wp_args);
    else
        k_11_6f8b04d1_cpu_forward_tasks<false>(dim, _wp_args);
}

extern "C" {

// Python CPU entry points
WP_API void k_11_6f8b04d1_cpu_forward(
    wp::launch_bounds_t<1> *dim,
    wp_args_k_11_6f8b04d1 *_wp_args)
{
    k_11_6f8b04d1_cpu_forward_dispatch(dim, _wp_args);
}

} // extern C


template <bool wp_linear_contiguous>
static void k_11_6f8b04d1_cpu_kernel_backward(
    wp::launch_bounds_t<1> dim,
    size_t task_index,
    wp_args_k_11_6f8b04d1 *_wp_args,
    wp_args_k_11_6f8b04d1 *_wp_adj_args)
{
    static constexpr bool wp_linear_tid = wp_linear_contiguous;
    wp_args_k_11_6f8b04d1 wp_contiguous_args;
    wp_args_k_11_6f8b04d1 wp_contiguous_adj_args;
    if constexpr (wp_linear_contiguous)
    {
        wp_contiguous_args = *_wp_args;
        wp_contiguous_adj_args = *_wp_adj_args;
        wp_contiguous_args.a2.strides[0] = sizeof(wp::float32);
        wp_contiguous_adj_args.a2.strides[0] = sizeof(wp::float32);
        wp_contiguous_args.out3.strides[0] = sizeof(wp::float32);
        wp_contiguous_adj_args.out3.strides[0] = sizeof(wp::float32);
        _wp_args = &wp_contiguous_args;
        _wp_adj_args = &wp_contiguous_adj_args;
    }
    //---------
    // argument vars
    wp::array_t<wp::float32> var_a2 = _wp_args->a2;
    wp::array_t<wp::float32> var_out3 = _wp_args->out3;
    wp::array_t<wp::float32> adj_a2 = _wp_adj_args->a2;
    wp::array_t<wp::float32> adj_out3 = _wp_adj_args->out3;
    //---------
    // primal vars
    wp::int32 var_0;
    wp::float32* var_1;
    wp::float32 var_2;
    wp::float32 var_3;
    const wp::float32 var_4 = -2.0;
    wp::float32 var_5;
    //---------
    // dual vars
    wp::int32 adj_0 = {};
    wp::float32 adj_1 = {};
    wp::float32 adj_2 = {};
    wp::float32 adj_3 = {};
    wp::float32 adj_4 = {};
    wp::float32 adj_5 = {};
    //---------
    // forward
    // def k_11(a2: wp.array(dtype=wp.float32), out3: wp.array(dtype=wp.float32)):            <L 4>
    // i = wp.tid()                                                                           <L 5>
    var_0 = builtin_tid1d();
    // out3[i] = wp.atan2(-a2[i], -2.0)                                                       <L 6>
    var_1 = wp::address(var_a2, var_0);
    var_3 = wp::load(var_1);
    var_2 = wp::neg(var_3);
    var_5 = wp::atan2(var_2, var_4);
    // wp::array_store(var_out3, var_0, var_5);
    //---------
    // reverse
    wp::adj_array_store(var_out3, var_0, var_5, adj_out3, adj_0, adj_5);
    wp::adj_atan2(var_2, var_4, adj_2, adj_4, adj_5);
    wp::adj_neg(var_3, adj_1, adj_2);
    wp::adj_address(var_a2, var_0, adj_a2, adj_0, adj_1);
    // adj: out3[i] = wp.atan2(-a2[i], -2.0)                                                  <L 6>
    // adj: i = wp.tid()                                                                      <L 5>
    // adj: def k_11(a2: wp.array(dtype=wp.float32), out3: wp.array(dtype=wp.float32)):       <L 4>
    return;
}

template <bool wp_linear_contiguous>
static WP_FORCEINLINE void k_11_6f8b04d1_cpu_backward_tasks(
    wp::launch_bounds_t<1> *dim,
    wp_args_k_11_6f8b04d1 *_wp_args,
    wp_args_k_11_6f8b04d1 *_wp_adj_args)
{
    for (size_t task_index = 0; task_index < dim->size; ++task_index)
    {
        k_11_6f8b04d1_cpu_kernel_backward<wp_linear_contiguous>(
            *dim, task_index, _wp_args, _wp_adj_args);
    }
}

static WP_FORCEINLINE void k_11_6f8b04d1_cpu_backward_dispatch(
    wp::launch_bounds_t<1> *dim,
    wp_args_k_11_6f8b04d1 *_wp_args,
    wp_args_k_11_6f8b04d1 *_wp_adj_args)
{
    wp::tile_shared_storage_t tile_mem;
#if defined(WP_ENABLE_TILES_IN_STACK_MEMORY)
    wp::shared_tile_storage = &tile_mem;
#endif

    const bool wp_linear_contiguous = dim->coord_mult == 1 && ((_wp_args->a2.strides[0] == (int)sizeof(wp::float32)) & (_wp_adj_args->a2.strides[0] == (int)sizeof(wp::float32)) & (_wp_args->out3.strides[0] == (int)sizeof(wp::float32)) & (_wp_adj_args->out3.strides[0] == (int)sizeof(wp::float32)));
    if (wp_linear_contiguous)
        k_11_6f8b04d1_cpu_backward_tasks<true>(dim, _wp_args, _wp_adj_args);
    else
        k_11_6f8b04d1_cpu_backward_tasks<false>(dim, _wp_args, _wp_adj_args);
}

extern "C" {

WP_API void k_11_6f8b04d1_cpu_backward(
    wp::launch_bounds_t<1> *dim,
    wp_args_k_11_6f8b04d1 *_wp_args,
    wp_args_k_11_6f8b04d1 *_wp_adj_args)
{
    k_11_6f8b04d1_cpu_backward_dispatch(dim, _wp_args, _wp_adj_args);
}

} // extern C
