// Batch gather from a data set held in this memory (WasmBackend.gatherRows).
// dst row r = src row rows[r]:  src: (N, D) u8, rows: (count) u32, dst: (count, D) u8
// The rows lie at random places in a table far larger than the caches, so a copy row after row
// waits on memory for each. Touching one byte of every cache line of all the rows first lets
// the core have many misses in flight at once; the copies then read from cache. Returns the
// touched bytes' xor, only so that the touches are kept.
export function gather_rows_u8(dst: usize, src: usize, rows: usize, count: i32, D: i32): i32 {
  let touched = 0;
  for (let r = 0; r < count; r++) {
    const row = src + <usize>load<u32>(rows + <usize>r * 4) * <usize>D;
    for (let k = 0; k < D; k += 64) touched ^= <i32>load<u8>(row + <usize>k);
    touched ^= <i32>load<u8>(row + <usize>(D - 1)); // the last line when the row starts mid-line
  }
  for (let r = 0; r < count; r++) {
    const row = src + <usize>load<u32>(rows + <usize>r * 4) * <usize>D;
    memory.copy(dst + <usize>r * <usize>D, row, <usize>D);
  }
  return touched;
}
