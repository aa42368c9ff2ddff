// gather (SCATTER false): out[b, o, j, k] = x[b, o, clamp(indices[b, j]), k], with x seen as [batch, outer,
// axisSize, inner], indices as [batch, indexCount] and out as [batch, outer, indexCount, inner] (batch: the
// batchDims axes both share). scatter-add (SCATTER true), gather's transpose, with x and out swapping those
// layouts: out[b, o, d, k] = Σ_j [clamp(indices[b, j]) = d] x[b, o, j, k], one invocation per 4 output
// elements, each summing j in order: deterministic, and repeated indices lose no update (WGSL has no f32 atomics).
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
  if (!SCATTER) {
    let k = i % params.inner;
    let row = i / params.inner;
    // o runs over batch × outer; b picks the batch's row of indices.
    let j = row % params.indexCount;
    let o = row / params.indexCount;
    let b = o / params.outer;
    out[i] = x[(o * params.axisSize + clampedIndex(b * params.indexCount + j)) * params.inner + k];
    return;
  }
  // Scatter: one invocation per 4 neighbouring k of an output row (count = rows × ⌈inner / 4⌉), so
  // each index is loaded and compared once for 4 sums; each sum still adds its terms in j's order.
  let quarters = (params.inner + 3u) / 4u;
  let k = (i % quarters) * 4u;
  let row = i / quarters;
  let d = row % params.axisSize;
  let o = row / params.axisSize;
  let b = o / params.outer;
  let lanes = min(4u, params.inner - k);
  var total = vec4<Element>();
  for (var j = 0u; j < params.indexCount; j++) {
    if (clampedIndex(b * params.indexCount + j) == d) {
      let first = (o * params.indexCount + j) * params.inner + k;
      total.x += x[first];
      if (lanes > 1u) { total.y += x[first + 1u]; }
      if (lanes > 2u) { total.z += x[first + 2u]; }
      if (lanes > 3u) { total.w += x[first + 3u]; }
    }
  }
  let written = row * params.inner + k;
  out[written] = total.x;
  if (lanes > 1u) { out[written + 1u] = total.y; }
  if (lanes > 2u) { out[written + 2u] = total.z; }
  if (lanes > 3u) { out[written + 3u] = total.w; }
}
