// Variance "meat" kernels: per-cluster score sums and their outer products. The vcov code
// in TypeScript combines them with the bread and the small-sample corrections.

/**
 * out[g·k + a] += s_i·X[a][i], s_i = e_i·(w_i or 1), over rows in cluster g = codes[i].
 * out must be zeroed (G×k). X holds k contiguous columns of length n.
 */
export function cluster_scores(n: i32, k: i32, x: usize, e: usize, w: usize, codes: usize, out: usize): void {
  const m = <usize>n;
  const kk = <usize>k;
  const stride = m << 3;
  for (let i: usize = 0; i < m; i++) {
    let s = load<f64>(e + (i << 3));
    if (w != 0) s *= load<f64>(w + (i << 3));
    const row = out + ((<usize>load<i32>(codes + (i << 2)) * kk) << 3);
    for (let a: usize = 0; a < kk; a++) {
      const p = row + (a << 3);
      store<f64>(p, load<f64>(p) + s * load<f64>(x + a * stride + (i << 3)));
    }
  }
}

/**
 * cluster_scores of columns from..to-1 only, into a block of one g-long column of sums per
 * column (column a at out + (a − from)·g·8), zeroed here: calls over complementary ranges, on two
 * threads, write apart. Each group's sum is formed as cluster_scores forms it (rows in order).
 */
export function cluster_scores_cols(n: i32, k: i32, x: usize, e: usize, w: usize, codes: usize, g: i32, from: i32, to: i32, out: usize): void {
  const m = <usize>n;
  const stride = m << 3;
  const groups = <usize>g << 3;
  const lo = <usize>from;
  const hi = <usize>to;
  memory.fill(out, 0, (hi - lo) * groups);
  for (let i: usize = 0; i < m; i++) {
    let s = load<f64>(e + (i << 3));
    if (w != 0) s *= load<f64>(w + (i << 3));
    const at = out + (<usize>load<i32>(codes + (i << 2)) << 3);
    for (let a = lo; a < hi; a++) {
      const p = at + (a - lo) * groups;
      store<f64>(p, load<f64>(p) + s * load<f64>(x + a * stride + (i << 3)));
    }
  }
}

/** out (k×k row-major) += Σ_g s_g·s_g' over the G groups' score sums, one g-long column per score (cluster_scores_cols). */
export function score_outer(g: i32, k: i32, scores: usize, out: usize): void {
  const gg = <usize>g;
  const kk = <usize>k;
  const groups = gg << 3;
  for (let c: usize = 0; c < gg; c++) {
    const row = scores + (c << 3);
    for (let a: usize = 0; a < kk; a++) {
      const sa = load<f64>(row + a * groups);
      if (sa == 0) continue;
      for (let b: usize = a; b < kk; b++) {
        const p = out + ((a * kk + b) << 3);
        store<f64>(p, load<f64>(p) + sa * load<f64>(row + b * groups));
      }
    }
  }
  for (let a: usize = 0; a < kk; a++) {
    for (let b: usize = 0; b < a; b++) {
      store<f64>(out + ((a * kk + b) << 3), load<f64>(out + ((b * kk + a) << 3)));
    }
  }
}
