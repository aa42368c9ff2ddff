// Layer normalization's backward pass, x and dy viewed as [outer, length, inner] as in layerNorm.wgsl:
// per row, with x̂ = (x - mean)·rstd and g = dy·gamma, dx = rstd·(g - mean(g) - x̂·mean(g·x̂)); also
// writes dy·x̂, which summed over the rows gives gamma's gradient.
struct Params {
  rows: u32,
  length: u32,
  inner: u32,
  epsilon: f32,
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
// Without gamma (HAS_GAMMA false) x is bound here, unread.
@group(0) @binding(1) var<storage, read> gamma: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;
@group(0) @binding(4) var<storage, read_write> dyXhat: array<f32>;
@group(0) @binding(5) var<uniform> params: Params;

override HAS_GAMMA: bool;

fn scaled(gradient: f32, r: u32) -> f32 {
  if (HAS_GAMMA) { return gradient * gamma[r]; }
  return gradient;
}

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
  let rstd = inverseSqrt(squares / n + params.epsilon);

  var sumG = 0.0;
  var sumGXhat = 0.0;
  for (var r = 0u; r < params.length; r++) {
    let at = base + r * stride;
    let g = scaled(dy[at], r);
    sumG += g;
    sumGXhat += g * (x[at] - mean) * rstd;
  }
  let meanG = sumG / n;
  let meanGXhat = sumGXhat / n;

  for (var r = 0u; r < params.length; r++) {
    let at = base + r * stride;
    let xhat = (x[at] - mean) * rstd;
    dx[at] = rstd * (scaled(dy[at], r) - meanG - xhat * meanGXhat);
    dyXhat[at] = dy[at] * xhat;
  }
}
