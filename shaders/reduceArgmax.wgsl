// Index of the first largest element along one axis, x read as row-major [outer, length, inner];
// output o = outerIndex * inner + innerIndex. Pass one folds chunk c of the axis into
// (values, indices)[o * chunks + c]; later passes fold those partials, carrying their indices.
alias Element = f32;

struct Params {
  partialCount: u32,
  chunks: u32,
  chunkSize: u32,
  length: u32,
  inner: u32,
}

@group(0) @binding(0) var<storage, read> x: array<Element>;
// Pass one: unused (bound to anything); later passes: the index each partial value came from.
@group(0) @binding(1) var<storage, read> xIndices: array<i32>;
@group(0) @binding(2) var<storage, read_write> values: array<Element>;
@group(0) @binding(3) var<storage, read_write> indices: array<i32>;
@group(0) @binding(4) var<uniform> params: Params;

override FIRST_PASS: bool;

// NaN by its bits (shaders/ieee.wgsl); an i32 converts to a finite f32, so int32 never is.
fn isNanValue(v: Element) -> bool {
  return isNan(f32(v));
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flatIndex(gid, groups);
  if (i >= params.partialCount) { return; }
  let o = i / params.chunks;
  let start = (i % params.chunks) * params.chunkSize;
  let end = min(start + params.chunkSize, params.length);
  let base = (o / params.inner) * params.length * params.inner + o % params.inner;

  var best = x[base + start * params.inner];
  var bestAt = start;
  var bestIsNan = isNanValue(best);
  // Strictly greater keeps the first of equal values; the first NaN wins over everything (NumPy).
  for (var r = start + 1u; r < end && !bestIsNan; r++) {
    let v = x[base + r * params.inner];
    if (v > best || isNanValue(v)) {
      best = v;
      bestAt = r;
      bestIsNan = isNanValue(v);
    }
  }
  values[i] = best;
  if (FIRST_PASS) {
    indices[i] = i32(bestAt);
  } else {
    indices[i] = xIndices[base + bestAt * params.inner];
  }
}
