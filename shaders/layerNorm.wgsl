// Layer normalization of x viewed as [outer, length, inner] (the normalized axes, contiguous,
// flattened into length): one invocation per row o = outerIndex * inner + innerIndex computes the
// row's mean and variance (two passes) and writes out = (x - mean) * rsqrt(variance + epsilon) * gamma[r] + beta[r].
struct Params {
  rows: u32,
  length: u32,
  inner: u32,
  epsilon: f32,
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
// gamma and beta have `length` elements; without them (HAS_GAMMA / HAS_BETA false) x is bound in their place, unread.
@group(0) @binding(1) var<storage, read> gamma: array<f32>;
@group(0) @binding(2) var<storage, read> beta: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@group(0) @binding(4) var<uniform> params: Params;

override HAS_GAMMA: bool;
override HAS_BETA: bool;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let o = flatIndex(gid, groups);
  if (o >= params.rows) { return; }
  let base = (o / params.inner) * params.length * params.inner + o % params.inner;
  let stride = params.inner;
  let n = f32(params.length);

  var total = 0.0;
  for (var r = 0u; r < params.length; r++) { total += x[base + r * stride]; }
  let mean = total / n;
  var squares = 0.0;
  for (var r = 0u; r < params.length; r++) {
    let d = x[base + r * stride] - mean;
    squares += d * d;
  }
  // A NaN or ±Inf anywhere in the row makes the variance NaN (Inf − Inf): the whole row is NaN,
  // written explicitly since inverseSqrt is undefined on NaN.
  if (isNan(squares)) {
    for (var r = 0u; r < params.length; r++) { out[base + r * stride] = squares; }
    return;
  }
  let rstd = inverseSqrt(squares / n + params.epsilon);

  for (var r = 0u; r < params.length; r++) {
    let at = base + r * stride;
    var y = (x[at] - mean) * rstd;
    if (HAS_GAMMA) { y *= gamma[r]; }
    if (HAS_BETA) { y += beta[r]; }
    out[at] = y;
  }
}
