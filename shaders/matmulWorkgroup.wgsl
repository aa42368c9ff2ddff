// out[batch, i, j] = act(Σ_k A[batch, i, k] · B[batch, k, j] + bias[j]) for GPUs: 16×16 invocations
// cover a 64×64 block, 4×4 outputs each, staging 64×16 of A and 16×64 of B in workgroup memory per
// step of k. Layouts, clamped loads and epilogue in matmulCommon.wgsl.
//
// Why: on a GPU each loaded element is then read by 16 invocations from fast shared memory; on
// CPU adapters (SwiftShader) workgroup barriers are costly and matmul.wgsl wins instead.

const BLOCK = 64u;
const STEP = 16u;

// tileA[k * 16 + q] holds A(4q..4q+3, k) and tileB[k * 16 + q] holds B(k, 4q..4q+3), block-relative.
var<workgroup> tileA: array<vec4<f32>, 256>;
var<workgroup> tileB: array<vec4<f32>, 256>;

// 4 values for k0..k0+3 with those at k ≥ K zeroed.
fn zeroPastK(v: vec4<f32>, k0: u32) -> vec4<f32> {
  return select(vec4<f32>(0.0), v, insideK(k0));
}

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
        @builtin(local_invocation_index) t: u32, @builtin(num_workgroups) groups: vec3<u32>) {
  let group = wid.x + wid.y * groups.x;
  let blocksPerMatrix = params.blocksAlongN * params.blocksAlongM;
  let batch = group / blocksPerMatrix;
  if (batch >= params.batchCount) { return; } // uniform per workgroup, so the barriers stay uniform
  let inMatrix = group % blocksPerMatrix;
  let blockI = (inMatrix / params.blocksAlongN) * BLOCK;
  let blockJ = (inMatrix % params.blocksAlongN) * BLOCK;
  let bases = batchBases(batch);
  let M = params.M;
  let N = params.N;
  let K = params.K;

  var acc: mat4x4<f32>; // column r = output row blockI + 4·lid.y + r
  for (var k0 = 0u; k0 < K; k0 += STEP) {
    // Each invocation stages one vec4 of A and one of B, reading along the stored rows.
    if (TRANSPOSE_A) {
      let k = t / 16u;
      let q = t % 16u;
      let run = runA(bases.x, k0 + k, blockI + 4u * q, K, M);
      tileA[k * 16u + q] = select(vec4<f32>(0.0), run, k0 + k < K);
    } else {
      let row = t / 4u;
      let kq = 4u * (t % 4u);
      let run = zeroPastK(runA(bases.x, blockI + row, k0 + kq, M, K), k0 + kq);
      for (var c = 0u; c < 4u; c++) { tileA[(kq + c) * 16u + row / 4u][row % 4u] = run[c]; }
    }
    if (TRANSPOSE_B) {
      let col = t / 4u;
      let kq = 4u * (t % 4u);
      let run = zeroPastK(runB(bases.y, blockJ + col, k0 + kq, N, K), k0 + kq);
      for (var c = 0u; c < 4u; c++) { tileB[(kq + c) * 16u + col / 4u][col % 4u] = run[c]; }
    } else {
      let k = t / 16u;
      let q = t % 16u;
      let run = runB(bases.y, k0 + k, blockJ + 4u * q, K, N);
      tileB[k * 16u + q] = select(vec4<f32>(0.0), run, k0 + k < K);
    }
    workgroupBarrier();
    for (var k = 0u; k < STEP; k++) {
      let column = tileA[k * 16u + lid.y];
      let row = tileB[k * 16u + lid.x];
      acc[0] += column.x * row;
      acc[1] += column.y * row;
      acc[2] += column.z * row;
      acc[3] += column.w * row;
    }
    workgroupBarrier();
  }
  storeTile(acc, batch * M * N, blockI + 4u * lid.y, blockJ + 4u * lid.x);
}
