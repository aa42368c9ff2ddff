// Strided copy of 4-byte elements (float32 and int32 alike): for every index tuple idx over `shape`,
// out[outOffset + Σ idx[d]·outStrides[d]] = x[inOffset + Σ idx[d]·inStrides[d]]. Row-major walk, rank ≤ 8.
// transpose (permuted input strides), broadcastTo (stride 0 on broadcast axes), slice (input offset
// at begin), concat and pad (output offset at the piece's place) are all this one copy.
struct Params {
  count: u32,
  rank: u32,
  inOffset: u32,
  outOffset: u32,
  shape: array<vec4<u32>, 2>,
  inStrides: array<vec4<u32>, 2>,
  outStrides: array<vec4<u32>, 2>,
}

@group(0) @binding(0) var<storage, read> x: array<u32>;
@group(0) @binding(1) var<storage, read_write> out: array<u32>;
@group(0) @binding(2) var<uniform> params: Params;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flatIndex(gid, groups);
  if (i >= params.count) { return; }
  var remaining = i;
  var inIndex = params.inOffset;
  var outIndex = params.outOffset;
  for (var d = i32(params.rank) - 1; d >= 0; d--) {
    let dim = params.shape[d / 4][d % 4];
    let coordinate = remaining % dim;
    remaining = remaining / dim;
    inIndex += coordinate * params.inStrides[d / 4][d % 4];
    outIndex += coordinate * params.outStrides[d / 4][d % 4];
  }
  out[outIndex] = x[inIndex];
}
