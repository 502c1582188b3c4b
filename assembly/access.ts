// Reads and updates of raw memory shared by the kernel files (inlined where used).

/** The f64 at index i of the array at base. */
// @ts-ignore: decorator
@inline
export function f64At(base: usize, i: usize): f64 {
  return load<f64>(base + (i << 3));
}

/** The i32 at index i of the array at base (a code, a row, an offset), as an index. */
// @ts-ignore: decorator
@inline
export function i32At(base: usize, i: usize): usize {
  return <usize>load<i32>(base + (i << 2));
}

/** Adds v to the f64 at index g of the array at base. */
// @ts-ignore: decorator
@inline
export function addAt(base: usize, g: usize, v: f64): void {
  const p = base + (g << 3);
  store<f64>(p, load<f64>(p) + v);
}
