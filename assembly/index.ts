// The wasm ABI: pure functions over byte addresses and sizes. JS owns the memory layout;
// nothing here allocates (built with the stub runtime).
export { dense_forward, dense_forward_u8, dense_backward, dense_backward_u8, dense_backward_dx } from "./dense";
export { dense_forward_naive, dense_forward_u8_naive, dense_backward_naive, dense_backward_u8_naive } from "./naive";
export { softmax_xent, count_correct } from "./softmax_xent";
export { sgd_step, sgd_momentum_step, adam_step, sum_squares, sum_squares_blocks, scale_inplace, fill_zero } from "./optim";
export { conv_forward, conv_forward_u8, conv_backward_filter, conv_backward_filter_u8, conv_backward_data } from "./conv";
export { conv_forward_naive, conv_forward_u8_naive, conv_backward_filter_naive, conv_backward_filter_u8_naive, conv_backward_data_naive } from "./naive";

// First byte past the module's static data: the arena starts at or after it.
export function heap_base(): usize {
  return __heap_base;
}
export { dropout_forward, dropout_backward } from "./dropout";
export { peak_probe, peak_probe_2x16, peak_probe_regs, peak_probe_split, clock_probe } from "./probe";
export { max_pool_forward, max_pool_backward, avg_pool_forward, avg_pool_backward } from "./pool";
export { batch_norm_forward, batch_norm_backward } from "./norm";
export { activation_backward } from "./activations";
export { cast_u8 } from "./cast";
export {
  max_pool_forward_naive, max_pool_backward_naive, avg_pool_forward_naive, avg_pool_backward_naive,
  batch_norm_forward_naive, batch_norm_backward_naive, activation_backward_naive, cast_u8_naive,
} from "./naive";
export { dense_dw_rows, dense_dw_rows_u8, colsum_cols, dense_dx_cols, dense_u8_list_bytes } from "./parallel";
export { conv_backward_filter_part, conv_backward_filter_u8_part, conv_filter_small_blocks_f32, conv_filter_small_blocks_u8, conv_filter_small_combine } from "./conv";
export { batch_norm_forward_part, batch_norm_backward_part } from "./norm";
export { mse_loss, mse_loss_naive } from "./mse";
export { gather_rows_u8 } from "./gather";
