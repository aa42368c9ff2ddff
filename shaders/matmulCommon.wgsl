// Shared by the tiled matmul kernels (matmul.wgsl, matmulWorkgroup.wgsl): parameters, bindings,
// clamped loads of 4×4 blocks, the epilogue and the guarded store. Each kernel computes
// out[batch, i, j] = act(Σ_k A[batch, i, k] · B[batch, k, j] + bias[j]), row-major.
// A is stored [..., M, K] (or [..., K, M] when TRANSPOSE_A), B [..., K, N] (or [..., N, K] when TRANSPOSE_B);
// batch dims broadcast through per-batch-dim element strides (0 on broadcast dims), out is [batch, M, N].
//
// Loads never leave the matrix: a row or column index past the edge is clamped to the last one. The
// values read there only feed outputs past the edge, which are never stored, so every invocation
// runs the same loop with no edge branch. The last partial step of k (K not a multiple of 4) zeroes
// the terms past K in both A and B (a clamped read may be ±Inf or NaN, and 0·Inf is NaN).
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
// Whether K is not a multiple of 4: only then is there a partial last step to mask.
override K_TAIL: bool = false;
override HAS_BIAS: bool = false;
// LINEAR (none), RELU, SIGMOID or TANH, declared from src/ops/matmulKernels.ts's list.
override ACTIVATION: u32 = LINEAR;

// The result of output element `index` (column j). wg.jit replaces this function with one that
// also applies the elementwise ops reading the output (src/jit/fuseMatmul.ts).
fn epilogue(v: f32, index: u32, j: u32) -> f32 {
  var z = v;
  if (HAS_BIAS) { z += bias[j]; }
  switch ACTIVATION {
    case RELU: { return select(z, 0.0, z <= 0.0); } // as the relu op: relu(-0) = +0, NaN passes through
    case SIGMOID: { return stableSigmoid(z); }
    case TANH: { return stableTanh(z); }
    default: { return z; }
  }
}

// Element offsets of this batch's A and B (x, y).
fn batchBases(batch: u32) -> vec2<u32> {
  var remaining = batch;
  var bases = vec2<u32>(0u);
  for (var d = i32(params.batchRank) - 1; d >= 0; d--) {
    let dim = params.batchShape[d / 4][d % 4];
    let index = remaining % dim;
    remaining = remaining / dim;
    bases += index * vec2<u32>(params.batchStridesA[d / 4][d % 4], params.batchStridesB[d / 4][d % 4]);
  }
  return bases;
}

// Four consecutive elements of stored row `row` of A (a rows × cols matrix at `base`), from column
// `col` (a multiple of 4 when VEC4_A), with row and columns clamped into the matrix.
fn runA(base: u32, row: u32, col: u32, rows: u32, cols: u32) -> vec4<f32> {
  let start = base + min(row, rows - 1u) * cols;
  if (VEC4_A) { return a4[(start + min(col, cols - 4u)) / 4u]; }
  let last = cols - 1u;
  return vec4<f32>(a[start + min(col, last)], a[start + min(col + 1u, last)], a[start + min(col + 2u, last)], a[start + min(col + 3u, last)]);
}
fn runB(base: u32, row: u32, col: u32, rows: u32, cols: u32) -> vec4<f32> {
  let start = base + min(row, rows - 1u) * cols;
  if (VEC4_B) { return b4[(start + min(col, cols - 4u)) / 4u]; }
  let last = cols - 1u;
  return vec4<f32>(b[start + min(col, last)], b[start + min(col + 1u, last)], b[start + min(col + 2u, last)], b[start + min(col + 3u, last)]);
}

// Which of k0..k0+3 are below K.
fn insideK(k0: u32) -> vec4<bool> {
  return vec4<u32>(k0) + vec4<u32>(0u, 1u, 2u, 3u) < vec4<u32>(params.K);
}

// A 4×4 block of A is a mat4x4 whose column r is row i0+r over k0..k0+3; a block of B one whose
// column r is row k0+r over j0..j0+3. Then acc += blockB * blockA adds blockA·blockB to a tile
// held the same way as A's (column r = output row r).

// A's block at rows i0.., k0.. as stored, whichever way round; past K zeroed when K_TAIL.
fn blockA(base: u32, i0: u32, k0: u32) -> mat4x4<f32> {
  let M = params.M;
  let K = params.K;
  var loaded: mat4x4<f32>;
  if (TRANSPOSE_A) {
    // Stored [K, M]: a run along M is a column of the block.
    loaded = transpose(mat4x4<f32>(runA(base, k0, i0, K, M), runA(base, k0 + 1u, i0, K, M), runA(base, k0 + 2u, i0, K, M), runA(base, k0 + 3u, i0, K, M)));
  } else {
    loaded = mat4x4<f32>(runA(base, i0, k0, M, K), runA(base, i0 + 1u, k0, M, K), runA(base, i0 + 2u, k0, M, K), runA(base, i0 + 3u, k0, M, K));
  }
  return maskColumnsK(loaded, k0);
}

fn blockB(base: u32, k0: u32, j0: u32) -> mat4x4<f32> {
  let N = params.N;
  let K = params.K;
  var loaded: mat4x4<f32>;
  if (TRANSPOSE_B) {
    // Stored [N, K]: a run along K is a column of the block.
    loaded = transpose(mat4x4<f32>(runB(base, j0, k0, N, K), runB(base, j0 + 1u, k0, N, K), runB(base, j0 + 2u, k0, N, K), runB(base, j0 + 3u, k0, N, K)));
  } else {
    loaded = mat4x4<f32>(runB(base, k0, j0, K, N), runB(base, k0 + 1u, j0, K, N), runB(base, k0 + 2u, j0, K, N), runB(base, k0 + 3u, j0, K, N));
  }
  return maskRowsK(loaded, k0);
}

// The terms past K zeroed (when K_TAIL, in the last step): in a block of A they are the components
// k0+t ≥ K of every column, in a block of B the columns k0+r ≥ K.
fn maskColumnsK(m: mat4x4<f32>, k0: u32) -> mat4x4<f32> {
  if (!K_TAIL || k0 + 4u <= params.K) { return m; }
  let inside = insideK(k0);
  return mat4x4<f32>(select(vec4<f32>(0.0), m[0], inside), select(vec4<f32>(0.0), m[1], inside),
                     select(vec4<f32>(0.0), m[2], inside), select(vec4<f32>(0.0), m[3], inside));
}
fn maskRowsK(m: mat4x4<f32>, k0: u32) -> mat4x4<f32> {
  if (!K_TAIL || k0 + 4u <= params.K) { return m; }
  let inside = insideK(k0);
  return mat4x4<f32>(select(vec4<f32>(0.0), m[0], inside.x), select(vec4<f32>(0.0), m[1], inside.y),
                     select(vec4<f32>(0.0), m[2], inside.z), select(vec4<f32>(0.0), m[3], inside.w));
}

// Stores the result of output element `index` (column j) through the epilogue. wg.jit replaces this
// function: to send an extra output row elsewhere (src/jit/fuseBiasGradient.ts), or to apply an
// optimizer's update to the parameter whose gradient the element is (src/jit/fuseUpdate.ts).
fn storeOutput(index: u32, j: u32, v: f32) {
  out[index] = epilogue(v, index, j);
}

// Writes a 4×4 tile (column r = output row i0+r) through the epilogue, skipping what is past the edge.
fn storeTile(tile: mat4x4<f32>, baseOut: u32, i0: u32, j0: u32) {
  for (var r = 0u; r < 4u; r++) {
    let i = i0 + r;
    if (i >= params.M) { return; }
    for (var c = 0u; c < 4u; c++) {
      let j = j0 + c;
      let index = baseOut + i * params.N + j;
      if (j < params.N) { storeOutput(index, j, tile[r][c]); }
    }
  }
}
