// gather (SCATTER false): out[o, j, k] = x[o, clamp(indices[j]), k], with x seen as [outer, axisSize, inner]
// and out as [outer, indexCount, inner]. scatter-add (SCATTER true), gather's transpose, with x and out
// swapping those layouts: out[o, d, k] = Σ_j [clamp(indices[j]) = d] x[o, j, k], one invocation per output
// element summing j in order: deterministic, and repeated indices lose no update (WGSL has no f32 atomics).
// Indices outside [0, axisSize) are clamped to the nearest end, so no read leaves the buffer.
alias Element = u32;

struct Params {
  count: u32,
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

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = gid.x + gid.y * groups.x * 64u;
  if (i >= params.count) { return; }
  let k = i % params.inner;
  let row = i / params.inner;
  if (!SCATTER) {
    let j = row % params.indexCount;
    let o = row / params.indexCount;
    out[i] = x[(o * params.axisSize + clampedIndex(j)) * params.inner + k];
    return;
  }
  let d = row % params.axisSize;
  let o = row / params.axisSize;
  var total = Element(0);
  for (var j = 0u; j < params.indexCount; j++) {
    if (clampedIndex(j) == d) { total += x[(o * params.indexCount + j) * params.inner + k]; }
  }
  out[i] = total;
}
