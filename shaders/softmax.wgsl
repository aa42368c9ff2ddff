// Softmax (or log-softmax) along one axis, x and out row-major [outer, length, inner]; one
// invocation per row o = outerIndex * inner + innerIndex. Shifting by the row maximum m keeps exp
// in range: softmax = exp(x - m) / Σ exp(x - m), logSoftmax = (x - m) - log Σ exp(x - m).
// IEEE-754 as that formula gives in float64 (and TF.js, PyTorch): a row holding a NaN or +Inf, or
// only −Inf, is all NaN; a −Inf element of any other row gives 0 (log: −Inf).
struct Params {
  rows: u32,
  length: u32,
  inner: u32,
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

override LOG: bool;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let o = flatIndex(gid, groups);
  if (o >= params.rows) { return; }
  let base = (o / params.inner) * params.length * params.inner + o % params.inner;
  let stride = params.inner;

  // The row maximum, NaN if any element is (WGSL's max may drop a NaN).
  var m = x[base];
  for (var r = 1u; r < params.length && !isNan(m); r++) {
    let v = x[base + r * stride];
    m = select(max(m, v), v, isNan(v));
  }
  if (isNonFinite(m)) {
    let undefinedRow = nanFrom(m);
    for (var r = 0u; r < params.length; r++) { out[base + r * stride] = undefinedRow; }
    return;
  }
  var total = 0.0;
  for (var r = 0u; r < params.length; r++) { total += ieeeExp(x[base + r * stride] - m); }

  if (LOG) {
    let logTotal = log(total);
    for (var r = 0u; r < params.length; r++) {
      let at = base + r * stride;
      out[at] = (x[at] - m) - logTotal;
    }
  } else {
    for (var r = 0u; r < params.length; r++) {
      let at = base + r * stride;
      out[at] = ieeeExp(x[at] - m) / total;
    }
  }
}
