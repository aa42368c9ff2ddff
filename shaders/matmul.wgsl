// out[batch, i, j] = act(Σ_k A[batch, i, k] · B[batch, k, j] + bias[j]), row-major; each invocation computes a 4×4 tile.
// The bias and activation epilogue (HAS_BIAS, ACTIVATION) is how Dense layers run in one dispatch.
// A is stored [..., M, K] (or [..., K, M] when TRANSPOSE_A), B [..., K, N] (or [..., N, K] when TRANSPOSE_B);
// batch dims broadcast through per-batch-dim element strides (0 on broadcast dims), out is [batch, M, N].
//
// Why this shape of kernel: on CPU adapters (SwiftShader) workgroup barriers are expensive and a
// register tile with vec4 loads is the fastest plan measured; it also does fine on GPUs.
// A 4×4 block of A or B is held as a mat4x4 whose column r is row r of the block, so that
// acc += blockB * blockA adds blockA·blockB to the tile (acc's column i is row i of the tile).
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

// The same buffers seen as scalars (any offset) and as vec4s (offsets that are multiples of 4).
@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> a4: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read> b4: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;
@group(0) @binding(5) var<uniform> params: Params;
// Read only when HAS_BIAS; otherwise any small buffer is bound here.
@group(0) @binding(6) var<storage, read> bias: array<f32>;

override TRANSPOSE_A: bool = false;
override TRANSPOSE_B: bool = false;
// Whether A's (B's) contiguous dim is a multiple of 4, so every 4-aligned run along it is one vec4 load.
override VEC4_A: bool = false;
override VEC4_B: bool = false;
override HAS_BIAS: bool = false;
// 0 none, 1 relu, 2 sigmoid, 3 tanh (codes in src/ops/linear.ts).
override ACTIVATION: u32 = 0u;

fn epilogue(v: f32, j: u32) -> f32 {
  var z = v;
  if (HAS_BIAS) { z += bias[j]; }
  switch ACTIVATION {
    case 1u: { return select(z, 0.0, z < 0.0); } // NaN passes through
    case 2u: { return stableSigmoid(z); }
    case 3u: { return stableTanh(z); }
    default: { return z; }
  }
}

const TILE = 4u;
const THREADS = 8u;               // per workgroup side
const BLOCK = TILE * THREADS;     // outputs per workgroup side

// Elements at A's and B's storage offsets: four consecutive ones, or one.
fn loadA4(offset: u32) -> vec4<f32> {
  if (VEC4_A) { return a4[offset / 4u]; }
  return vec4<f32>(a[offset], a[offset + 1u], a[offset + 2u], a[offset + 3u]);
}
fn loadB4(offset: u32) -> vec4<f32> {
  if (VEC4_B) { return b4[offset / 4u]; }
  return vec4<f32>(b[offset], b[offset + 1u], b[offset + 2u], b[offset + 3u]);
}

// A(i, k) and B(k, j) in math (untransposed) coordinates, zero outside the matrix.
fn elementA(base: u32, i: u32, k: u32) -> f32 {
  if (i >= params.M || k >= params.K) { return 0.0; }
  if (TRANSPOSE_A) { return a[base + k * params.M + i]; }
  return a[base + i * params.K + k];
}
fn elementB(base: u32, k: u32, j: u32) -> f32 {
  if (k >= params.K || j >= params.N) { return 0.0; }
  if (TRANSPOSE_B) { return b[base + j * params.K + k]; }
  return b[base + k * params.N + j];
}

// Rows i0..i0+3 × cols k0..k0+3 of A, the block wholly inside the matrix.
fn blockA(base: u32, i0: u32, k0: u32) -> mat4x4<f32> {
  if (TRANSPOSE_A) {
    // Stored [K, M]: a run along M is a column of the block.
    let first = base + k0 * params.M + i0;
    return transpose(mat4x4<f32>(loadA4(first), loadA4(first + params.M), loadA4(first + 2u * params.M), loadA4(first + 3u * params.M)));
  }
  let first = base + i0 * params.K + k0;
  return mat4x4<f32>(loadA4(first), loadA4(first + params.K), loadA4(first + 2u * params.K), loadA4(first + 3u * params.K));
}

// Rows k0..k0+3 × cols j0..j0+3 of B, the block wholly inside the matrix.
fn blockB(base: u32, k0: u32, j0: u32) -> mat4x4<f32> {
  if (TRANSPOSE_B) {
    let first = base + j0 * params.K + k0;
    return transpose(mat4x4<f32>(loadB4(first), loadB4(first + params.K), loadB4(first + 2u * params.K), loadB4(first + 3u * params.K)));
  }
  let first = base + k0 * params.N + j0;
  return mat4x4<f32>(loadB4(first), loadB4(first + params.N), loadB4(first + 2u * params.N), loadB4(first + 3u * params.N));
}

// The same blocks where they may cross the matrix edge: one guarded load per element.
fn edgeBlockA(base: u32, i0: u32, k0: u32) -> mat4x4<f32> {
  var rows: mat4x4<f32>;
  for (var r = 0u; r < 4u; r++) {
    rows[r] = vec4<f32>(elementA(base, i0 + r, k0), elementA(base, i0 + r, k0 + 1u), elementA(base, i0 + r, k0 + 2u), elementA(base, i0 + r, k0 + 3u));
  }
  return rows;
}
fn edgeBlockB(base: u32, k0: u32, j0: u32) -> mat4x4<f32> {
  var rows: mat4x4<f32>;
  for (var r = 0u; r < 4u; r++) {
    rows[r] = vec4<f32>(elementB(base, k0 + r, j0), elementB(base, k0 + r, j0 + 1u), elementB(base, k0 + r, j0 + 2u), elementB(base, k0 + r, j0 + 3u));
  }
  return rows;
}

@compute @workgroup_size(8, 8)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  // Workgroups are numbered flat (launch lays any count out 2-D): column block fastest, then row block, then batch.
  let group = wid.x + wid.y * groups.x;
  let blocksPerMatrix = params.blocksAlongN * params.blocksAlongM;
  let batch = group / blocksPerMatrix;
  if (batch >= params.batchCount) { return; } // the 2-D grid may round the count up
  let inMatrix = group % blocksPerMatrix;
  let i0 = (inMatrix / params.blocksAlongN) * BLOCK + lid.y * TILE;
  let j0 = (inMatrix % params.blocksAlongN) * BLOCK + lid.x * TILE;
  if (i0 >= params.M || j0 >= params.N) { return; }

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

  var acc: mat4x4<f32>;
  var k0 = 0u;
  if (i0 + TILE <= params.M && j0 + TILE <= params.N) {
    for (; k0 + TILE <= params.K; k0 += TILE) {
      acc += blockB(baseB, k0, j0) * blockA(baseA, i0, k0);
    }
  }
  for (; k0 < params.K; k0 += TILE) {
    acc += edgeBlockB(baseB, k0, j0) * edgeBlockA(baseA, i0, k0);
  }

  let baseOut = batch * params.M * params.N;
  for (var r = 0u; r < TILE; r++) {
    if (i0 + r >= params.M) { break; }
    for (var c = 0u; c < TILE; c++) {
      if (j0 + c < params.N) { out[baseOut + (i0 + r) * params.N + j0 + c] = epilogue(acc[r][c], j0 + c); }
    }
  }
}
