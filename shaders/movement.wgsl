// Strided copy of 4-byte elements (float32 and int32 alike): for every index tuple idx over `shape`
// (its first RANK axes, RANK ≤ 8), out[outOffset + Σ idx[d]·outStrides[d]] = x[inOffset + Σ idx[d]·inStrides[d]],
// walked row-major.
// transpose (permuted input strides), broadcastTo (stride 0 on broadcast axes), slice (input offset
// at begin), concat and pad (output offset at the piece's place) are all this one copy.
struct Params {
  count: u32,
  inOffset: u32,
  outOffset: u32,
  shape: array<vec4<u32>, 2>,
  inStrides: array<vec4<u32>, 2>,
  outStrides: array<vec4<u32>, 2>,
}

@group(0) @binding(0) var<storage, read> x: array<u32>;
@group(0) @binding(1) var<storage, read_write> out: array<u32>;
@group(0) @binding(2) var<uniform> params: Params;

// Elements one invocation copies: 4 when the innermost axis's size is a multiple of 4 (the four
// share every other coordinate, so the index walk, divisions included, is paid once for four),
// else 1. src/ops/movement.ts sets it and launches count / PER_INVOCATION invocations.
override PER_INVOCATION: u32 = 1u;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flatIndex(gid, groups) * PER_INVOCATION;
  if (i >= params.count) { return; }
  var remaining = i;
  var inIndex = params.inOffset;
  var outIndex = params.outOffset;
  // Unrolled over the 8 possible axes, last first (shaders/broadcastIndex.wgsl says why).
  var c: u32;
  c = axisCoordinate(7u, params.shape[1][3], &remaining); inIndex += c * params.inStrides[1][3]; outIndex += c * params.outStrides[1][3];
  c = axisCoordinate(6u, params.shape[1][2], &remaining); inIndex += c * params.inStrides[1][2]; outIndex += c * params.outStrides[1][2];
  c = axisCoordinate(5u, params.shape[1][1], &remaining); inIndex += c * params.inStrides[1][1]; outIndex += c * params.outStrides[1][1];
  c = axisCoordinate(4u, params.shape[1][0], &remaining); inIndex += c * params.inStrides[1][0]; outIndex += c * params.outStrides[1][0];
  c = axisCoordinate(3u, params.shape[0][3], &remaining); inIndex += c * params.inStrides[0][3]; outIndex += c * params.outStrides[0][3];
  c = axisCoordinate(2u, params.shape[0][2], &remaining); inIndex += c * params.inStrides[0][2]; outIndex += c * params.outStrides[0][2];
  c = axisCoordinate(1u, params.shape[0][1], &remaining); inIndex += c * params.inStrides[0][1]; outIndex += c * params.outStrides[0][1];
  c = axisCoordinate(0u, params.shape[0][0], &remaining); inIndex += c * params.inStrides[0][0]; outIndex += c * params.outStrides[0][0];
  out[outIndex] = x[inIndex];
  if (PER_INVOCATION == 4u) {
    let last = max(RANK, 1u) - 1u;
    let inStep = params.inStrides[last / 4u][last % 4u];
    let outStep = params.outStrides[last / 4u][last % 4u];
    out[outIndex + outStep] = x[inIndex + inStep];
    out[outIndex + 2u * outStep] = x[inIndex + 2u * inStep];
    out[outIndex + 3u * outStep] = x[inIndex + 3u * inStep];
  }
}
