// out[batch, i, j] = Σ_k A[batch, i, k] · B[batch, k, j], one invocation per output with a plain loop over k.
// Layouts as in matmul.wgsl (A [..., M, K] or [..., K, M] when TRANSPOSE_A; B [..., K, N] or [..., N, K]
// when TRANSPOSE_B; batch dims broadcast through element strides; out [batch, M, N]). The simplest
// correct kernel: the baseline the tiled variants are measured against.

struct Params {
  M: u32,
  N: u32,
  K: u32,
  blocksAlongN: u32,
  blocksAlongM: u32,
  batchCount: u32,
  batchRank: u32,
  batchShape: array<vec4<u32>, 2>,
  batchStridesA: array<vec4<u32>, 2>,
  batchStridesB: array<vec4<u32>, 2>,
}

@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

override TRANSPOSE_A: bool = false;
override TRANSPOSE_B: bool = false;

const BLOCK = 8u;

@compute @workgroup_size(8, 8)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let group = wid.x + wid.y * groups.x;
  let blocksPerMatrix = params.blocksAlongN * params.blocksAlongM;
  let batch = group / blocksPerMatrix;
  if (batch >= params.batchCount) { return; } // the 2-D grid may round the count up
  let inMatrix = group % blocksPerMatrix;
  let i = (inMatrix / params.blocksAlongN) * BLOCK + lid.y;
  let j = (inMatrix % params.blocksAlongN) * BLOCK + lid.x;
  if (i >= params.M || j >= params.N) { return; }

  var remaining = batch;
  var baseA = 0u;
  var baseB = 0u;
  for (var d = i32(params.batchRank) - 1; d >= 0; d--) {
    let dim = params.batchShape[d / 4][d % 4];
    let index = remaining % dim;
    remaining = remaining / dim;
    baseA += index * params.batchStridesA[d / 4][d % 4];
    baseB += index * params.batchStridesB[d / 4][d % 4];
  }

  // Steps between consecutive k in A's row i and B's column j.
  let strideA = select(1u, params.M, TRANSPOSE_A);
  let strideB = select(params.N, 1u, TRANSPOSE_B);
  var offsetA = baseA + select(i * params.K, i, TRANSPOSE_A);
  var offsetB = baseB + select(j, j * params.K, TRANSPOSE_B);
  var sum = 0.0;
  for (var k = 0u; k < params.K; k++) {
    sum += a[offsetA] * b[offsetB];
    offsetA += strideA;
    offsetB += strideB;
  }
  out[batch * params.M * params.N + i * params.N + j] = sum;
}
