// gather (SCATTER false): out[b, o, j, k] = x[b, o, clamp(indices[b, j]), k], with x seen as [batch, outer,
// axisSize, inner], indices as [batch, indexCount] and out as [batch, outer, indexCount, inner] (batch: the
// batchDims axes both share). scatter-add (SCATTER true), gather's transpose, with x and out swapping those
// layouts: out[b, o, d, k] = Σ_j [clamp(indices[b, j]) = d] x[b, o, j, k], one invocation per output
// element summing j in order: deterministic, and repeated indices lose no update (WGSL has no f32 atomics).
// Indices outside [0, axisSize) are clamped to the nearest end, so no read leaves the buffer.
alias Element = u32;

struct Params {
  count: u32,
  outer: u32,
  inner: u32,
  indexCount: u32,
  axisSize: u32,
}

@group(0) @binding(0) var<storage, read> x: array<Element>;
@group(0) @binding(1) var<storage, read> indices: array<i32>;
@group(0) @binding(2) var<storage, read_write> out: array<Element>;
@group(0) @binding(3) var<uniform> params: Params;

override SCATTER: bool = false;

fn clampedIndex(j: u32) -> u32 {
  return u32(clamp(indices[j], 0, i32(params.axisSize) - 1));
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flatIndex(gid, groups);
  if (i >= params.count) { return; }
  let k = i % params.inner;
  let row = i / params.inner;
  // o runs over batch × outer; b picks the batch's row of indices.
  if (!SCATTER) {
    let j = row % params.indexCount;
    let o = row / params.indexCount;
    let b = o / params.outer;
    out[i] = x[(o * params.axisSize + clampedIndex(b * params.indexCount + j)) * params.inner + k];
    return;
  }
  let d = row % params.axisSize;
  let o = row / params.axisSize;
  let b = o / params.outer;
  var total = Element(0);
  for (var j = 0u; j < params.indexCount; j++) {
    if (clampedIndex(b * params.indexCount + j) == d) { total += x[(o * params.indexCount + j) * params.inner + k]; }
  }
  out[i] = total;
}
