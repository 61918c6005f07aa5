struct wp_args_k_40_cabf80c4 {
    wp::array_t<wp::float32> a1;
    wp::array_t<wp::float32> acc3;
};

template <bool wp_linear_contiguous>
static void k_40_cabf80c4_cpu_kernel_forward(
    wp::launch_bounds_t<1> dim,
    size_t task_index,
    wp_args_k_40_cabf80c4 *_wp_args)
{
    static constexpr bool wp_linear_tid = wp_linear_contiguous;
    wp_args_k_40_cabf80c4 wp_contiguous_args;
    if constexpr (wp_linear_contiguous)
    {
        wp_contiguous_args = *_wp_args;
        wp_contiguous_args.a1.strides[0] = sizeof(wp::float32);
        wp_contiguous_args.acc3.strides[0] = sizeof(wp::float32);
        _wp_args = &wp_contiguous_args;
    }
    //---------
    // argument vars
    wp::array_t<wp::float32> var_a1 = _wp_args->a1;
    wp::array_t<wp::float32> var_acc3 = _wp_args->acc3;
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

template <bool wp_linear_contiguous>
static WP_FORCEINLINE void k_40_cabf80c4_cpu_forward_tasks(
    wp::launch_bounds_t<1> *dim,
    wp_args_k_40_cabf80c4 *_wp_args)
{
    for (size_t task_index = 0; task_index < dim->size; ++task_index)
    {
        k_40_cabf80c4_cpu_kernel_forward<wp_linear_contiguous>(*dim, task_index, _wp_args);
    }
}

static WP_FORCEINLINE void k_40_cabf80c4_cpu_forward_dispatch(
    wp::launch_bounds_t<1> *dim,
    wp_args_k_40_cabf80c4 *_wp_args)
{
    wp::tile_shared_storage_t tile_mem;
#if defined(WP_ENABLE_TILES_IN_STACK_MEMORY)
    wp::shared_tile_storage = &tile_mem;
#endif

    const bool wp_linear_contiguous = dim->coord_mult == 1 && ((_wp_args->a1.strides[0] == (int)sizeof(wp::float32)) & (_wp_args->acc3.strides[0] == (int)sizeof(wp::float32)));
    if (wp_linear_contiguous)
        k_40_cabf80c4_cpu_forward_tasks<true>(dim, _wp_args);
    else
        k_40_cabf80c4_cpu_forward_tasks<false>(dim, _wp_args);
}

extern "C" {

// Python CPU entry points
WP_API void k_40_cabf80c4_cpu_forward(
    wp::launch_bounds_t<1> *dim,
    wp_args_k_40_cabf80c4 *_wp_args)
{
    k_40_cabf80c4_cpu_forward_dispatch(dim, _wp_args);
}

} // extern C


template <bool wp_linear_contiguous>
static void k_40_cabf80c4_cpu_kernel_backward(
    wp::launch_bounds_t<1> dim,
    size_t task_index,
    wp_args_k_40_cabf80c4 *_wp_args,
    wp_args_k_40_cabf80c4 *_wp_adj_args)
{
    static constexpr bool wp_linear_tid = wp_linear_contiguous;
    wp_args_k_40_cabf80c4 wp_contiguous_args;
    wp_args_k_40_cabf80c4 wp_contiguous_adj_args;
    if constexpr (wp_linear_contiguous)
    {
        wp_contiguous_args = *_wp_args;
        wp_contiguous_adj_args = *_wp_adj_args;
        wp_contiguous_args.a1.strides[0] = sizeof(wp::float32);
        wp_contiguous_adj_args.a1.strides[0] = sizeof(wp::float32);
        wp_contiguous_args.acc3.strides[0] = sizeof(wp::float32);
        wp_contiguous_adj_args.acc3.strides[0] = sizeof(wp::float32);
        _wp_args = &wp_contiguous_args;
        _wp_adj_args = &wp_contiguous_adj_args;
    }
    //---------
    // argument vars
    wp::array_t<wp::float32> var_a1 = _wp_args->a1;
    wp::array_t<wp::float32> var_acc3 = _wp_args->acc3;
    wp::array_t<wp::float32> adj_a1 = _wp_adj_args->a1;
    wp::array_t<wp::float32> adj_acc3 = _wp_adj_args->acc3;
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
    return;
}

template <bool wp_linear_contiguous>
static WP_FORCEINLINE void k_40_cabf80c4_cpu_backward_tasks(
    wp::launch_bounds_t<1> *dim,
    wp_args_k_40_cabf80c4 *_wp_args,
    wp_args_k_40_cabf80c4 *_wp_adj_args)
{
    for (size_t task_index = 0; task_index < dim->size; ++task_index)
    {
        k_40_cabf80c4_cpu_kernel_backward<wp_linear_contiguous>(
            *dim, task_index, _wp_args, _wp_adj_args);
    }
}

static WP_FORCEINLINE void k_40_cabf80c4_cpu_backward_dispatch(
    wp::launch_bounds_t<1> *dim,
    wp_args_k_40_cabf80c4 *_wp_args,
    wp_args_k_40_cabf80c4 *_wp_adj_args)
{
    wp::tile_shared_storage_t tile_mem;
#if defined(WP_ENABLE_TILES_IN_STACK_MEMORY)
    wp::shared_tile_storage = &tile_mem;
#endif

    const bool wp_linear_contiguous = dim->coord_mult == 1 && ((_wp_args->a1.strides[0] == (int)sizeof(wp::float32)) & (_wp_adj_args->a1.strides[0] == (int)sizeof(wp::float32)) & (_wp_args->acc3.strides[0] == (int)sizeof(wp::float32)) & (_wp_adj_args->acc3.strides[0] == (int)sizeof(wp::float32)));
    if (wp_linear_contiguous)
        k_40_cabf80c4_cpu_backward_tasks<true>(dim, _wp_args, _wp_adj_args);
    else
        k_40_cabf80c4_cpu_backward_tasks<false>(dim, _wp_args, _wp_adj_args);
}

extern "C" {

WP_API void k_40_cabf80c4_cpu_backward(
    wp::launch_bounds_t<1> *dim,
    wp_args_k_40_cabf80c4 *_wp_args,
    wp_args_k_40_cabf80c4 *_wp_adj_args)
{
    k_40_cabf80c4_cpu_backward_dispatch(dim, _wp_args, _wp_adj_args);
}

} // extern C
