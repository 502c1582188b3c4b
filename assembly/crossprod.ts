// Cross-products over contiguous f64 columns: the one place the rows are read in order, so
// these loops use f64x2 SIMD. Columns are stored one after another (column-major, stride n).

/** Σ a_i·b_i·(w_i or 1). */
export function dot(n: i32, a: usize, b: usize, w: usize): f64 {
  const m = <usize>n;
  const pairs = m & ~(<usize>1);
  let acc0 = f64x2.splat(0.0);
  let acc1 = f64x2.splat(0.0);
  let i: usize = 0;
  if (w == 0) {
    for (; i + 4 <= m; i += 4) {
      const o = i << 3;
      acc0 = f64x2.add(acc0, f64x2.mul(v128.load(a + o), v128.load(b + o)));
      acc1 = f64x2.add(acc1, f64x2.mul(v128.load(a + o + 16), v128.load(b + o + 16)));
    }
    for (; i < pairs; i += 2) {
      const o = i << 3;
      acc0 = f64x2.add(acc0, f64x2.mul(v128.load(a + o), v128.load(b + o)));
    }
  } else {
    for (; i + 4 <= m; i += 4) {
      const o = i << 3;
      acc0 = f64x2.add(acc0, f64x2.mul(f64x2.mul(v128.load(a + o), v128.load(b + o)), v128.load(w + o)));
      acc1 = f64x2.add(acc1, f64x2.mul(f64x2.mul(v128.load(a + o + 16), v128.load(b + o + 16)), v128.load(w + o + 16)));
    }
    for (; i < pairs; i += 2) {
      const o = i << 3;
      acc0 = f64x2.add(acc0, f64x2.mul(f64x2.mul(v128.load(a + o), v128.load(b + o)), v128.load(w + o)));
    }
  }
  const acc = f64x2.add(acc0, acc1);
  let s = f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1);
  for (; i < m; i++) {
    const o = i << 3;
    let v = load<f64>(a + o) * load<f64>(b + o);
    if (w != 0) v *= load<f64>(w + o);
    s += v;
  }
  return s;
}

/** Σ x_i·(w_i or 1). */
export function sum(n: i32, x: usize, w: usize): f64 {
  const m = <usize>n;
  let acc = f64x2.splat(0.0);
  let i: usize = 0;
  if (w == 0) {
    for (; i + 2 <= m; i += 2) acc = f64x2.add(acc, v128.load(x + (i << 3)));
  } else {
    for (; i + 2 <= m; i += 2) acc = f64x2.add(acc, f64x2.mul(v128.load(x + (i << 3)), v128.load(w + (i << 3))));
  }
  let s = f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1);
  for (; i < m; i++) s += load<f64>(x + (i << 3)) * (w == 0 ? 1.0 : load<f64>(w + (i << 3)));
  return s;
}

/** out (k×k, row-major) = X'·diag(w)·X for k columns starting at x, each n long. */
export function crossprod(n: i32, k: i32, x: usize, w: usize, out: usize): void {
  const stride = <usize>n << 3;
  const kk = <usize>k;
  for (let a: usize = 0; a < kk; a++) {
    for (let b: usize = a; b < kk; b++) {
      const v = dot(n, x + a * stride, x + b * stride, w);
      store<f64>(out + ((a * kk + b) << 3), v);
      store<f64>(out + ((b * kk + a) << 3), v);
    }
  }
}

/** out (k) = X'·diag(w)·y. */
export function crossprod_vec(n: i32, k: i32, x: usize, y: usize, w: usize, out: usize): void {
  const stride = <usize>n << 3;
  for (let a: usize = 0; a < <usize>k; a++) {
    store<f64>(out + (a << 3), dot(n, x + a * stride, y, w));
  }
}

/** out = y − X·beta (k columns of X). */
export function residuals(n: i32, k: i32, x: usize, beta: usize, y: usize, out: usize): void {
  const m = <usize>n;
  const stride = m << 3;
  memory.copy(out, y, stride);
  for (let a: usize = 0; a < <usize>k; a++) {
    const bv = f64x2.splat(load<f64>(beta + (a << 3)));
    const col = x + a * stride;
    let i: usize = 0;
    for (; i + 2 <= m; i += 2) {
      const o = i << 3;
      v128.store(out + o, f64x2.sub(v128.load(out + o), f64x2.mul(bv, v128.load(col + o))));
    }
    for (; i < m; i++) {
      const o = i << 3;
      store<f64>(out + o, load<f64>(out + o) - load<f64>(beta + (a << 3)) * load<f64>(col + o));
    }
  }
}
