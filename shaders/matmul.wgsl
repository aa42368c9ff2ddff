// out[batch, i, j] = act(Σ_k A[batch, i, k] · B[batch, k, j] + bias[j]): each invocation computes a
// register tile of 32×16 outputs (8×4 blocks of 4×4), or 4 rows (TALL off, for short products)
// and/or 4 columns (WIDE off, for narrow ones); layouts, clamped loads and epilogue in
// matmulCommon.wgsl. A's blocks come from rowsOfA, defined by the file appended after this one:
// matmulOwnRows.wgsl (each invocation loads its own) or matmulSharedRows.wgsl (the 4 lanes of a
// subgroup, which lie along x and share their rows, load a quarter each and exchange them).
//
// Why this shape: on CPU adapters (SwiftShader: a workgroup runs on one thread, 4 invocations per
// SIMD vector) every storage load is a per-lane gather costing about as much as a dozen
// multiply-adds, so the tile is as large as the compiler bears (per step of 4 in k, 32 loads of A
// and 64 of B feed 2048 multiply-adds; larger tiles run a little faster but take seconds to
// compile), workgroup barriers are avoided, and there is no edge branch. The accumulators are
// named variables: an array indexed in a loop would live in memory. Measurements: bench/NOTES.md.

override TALL: bool = true;
override WIDE: bool = true;
const GROUP_X = 4u; // invocations along N: one subgroup of 4 lanes
const GROUP_Y = 2u; // along M

@compute @workgroup_size(4, 2)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  // Workgroups are numbered flat (launch lays any count out 2-D): column block fastest, then row block, then batch.
  let group = wid.x + wid.y * groups.x;
  let blocksPerMatrix = params.blocksAlongN * params.blocksAlongM;
  let batch = group / blocksPerMatrix;
  if (batch >= params.batchCount) { return; } // the 2-D grid may round the count up
  let inMatrix = group % blocksPerMatrix;
  let tileRows = select(4u, 32u, TALL);
  let tileCols = select(4u, 16u, WIDE);
  let i0 = (inMatrix / params.blocksAlongN) * (GROUP_Y * tileRows) + lid.y * tileRows;
  let j0 = (inMatrix % params.blocksAlongN) * (GROUP_X * tileCols) + lid.x * tileCols;
  // A whole subgroup (one value of lid.y) leaves together, so the others can still exchange loads.
  if (i0 >= params.M) { return; }
  let lane = lid.x % 4u;
  let bases = batchBases(batch);

  // acc<p><q>: rows i0+4p.., columns j0+4q.., column r of each = output row r. The conditions on
  // TALL and WIDE are constants: the blocks a shape does not use cost nothing.
  var acc00: mat4x4<f32>; var acc01: mat4x4<f32>; var acc02: mat4x4<f32>; var acc03: mat4x4<f32>;
  var acc10: mat4x4<f32>; var acc11: mat4x4<f32>; var acc12: mat4x4<f32>; var acc13: mat4x4<f32>;
  var acc20: mat4x4<f32>; var acc21: mat4x4<f32>; var acc22: mat4x4<f32>; var acc23: mat4x4<f32>;
  var acc30: mat4x4<f32>; var acc31: mat4x4<f32>; var acc32: mat4x4<f32>; var acc33: mat4x4<f32>;
  var acc40: mat4x4<f32>; var acc41: mat4x4<f32>; var acc42: mat4x4<f32>; var acc43: mat4x4<f32>;
  var acc50: mat4x4<f32>; var acc51: mat4x4<f32>; var acc52: mat4x4<f32>; var acc53: mat4x4<f32>;
  var acc60: mat4x4<f32>; var acc61: mat4x4<f32>; var acc62: mat4x4<f32>; var acc63: mat4x4<f32>;
  var acc70: mat4x4<f32>; var acc71: mat4x4<f32>; var acc72: mat4x4<f32>; var acc73: mat4x4<f32>;
  for (var k0 = 0u; k0 < params.K; k0 += 4u) {
    let b0 = blockB(bases.y, k0, j0);
    var b1: mat4x4<f32>; var b2: mat4x4<f32>; var b3: mat4x4<f32>;
    if (WIDE) { b1 = blockB(bases.y, k0, j0 + 4u); b2 = blockB(bases.y, k0, j0 + 8u); b3 = blockB(bases.y, k0, j0 + 12u); }
    let a0 = rowsOfA(bases.x, i0, k0, lane);
    acc00 += b0 * a0;
    if (WIDE) { acc01 += b1 * a0; acc02 += b2 * a0; acc03 += b3 * a0; }
    if (TALL) {
      let a1 = rowsOfA(bases.x, i0 + 4u, k0, lane);
      let a2 = rowsOfA(bases.x, i0 + 8u, k0, lane);
      let a3 = rowsOfA(bases.x, i0 + 12u, k0, lane);
      let a4 = rowsOfA(bases.x, i0 + 16u, k0, lane);
      let a5 = rowsOfA(bases.x, i0 + 20u, k0, lane);
      let a6 = rowsOfA(bases.x, i0 + 24u, k0, lane);
      let a7 = rowsOfA(bases.x, i0 + 28u, k0, lane);
      acc10 += b0 * a1; acc20 += b0 * a2; acc30 += b0 * a3; acc40 += b0 * a4; acc50 += b0 * a5; acc60 += b0 * a6; acc70 += b0 * a7;
      if (WIDE) {
        acc11 += b1 * a1; acc12 += b2 * a1; acc13 += b3 * a1;
        acc21 += b1 * a2; acc22 += b2 * a2; acc23 += b3 * a2;
        acc31 += b1 * a3; acc32 += b2 * a3; acc33 += b3 * a3;
        acc41 += b1 * a4; acc42 += b2 * a4; acc43 += b3 * a4;
        acc51 += b1 * a5; acc52 += b2 * a5; acc53 += b3 * a5;
        acc61 += b1 * a6; acc62 += b2 * a6; acc63 += b3 * a6;
        acc71 += b1 * a7; acc72 += b2 * a7; acc73 += b3 * a7;
      }
    }
  }

  let out0 = batch * params.M * params.N;
  storeBlockRow(acc00, acc01, acc02, acc03, out0, i0, j0);
  if (TALL) {
    storeBlockRow(acc10, acc11, acc12, acc13, out0, i0 + 4u, j0);
    storeBlockRow(acc20, acc21, acc22, acc23, out0, i0 + 8u, j0);
    storeBlockRow(acc30, acc31, acc32, acc33, out0, i0 + 12u, j0);
    storeBlockRow(acc40, acc41, acc42, acc43, out0, i0 + 16u, j0);
    storeBlockRow(acc50, acc51, acc52, acc53, out0, i0 + 20u, j0);
    storeBlockRow(acc60, acc61, acc62, acc63, out0, i0 + 24u, j0);
    storeBlockRow(acc70, acc71, acc72, acc73, out0, i0 + 28u, j0);
  }
}

// Four blocks side by side from column j0 (only the first unless WIDE).
fn storeBlockRow(t0: mat4x4<f32>, t1: mat4x4<f32>, t2: mat4x4<f32>, t3: mat4x4<f32>, baseOut: u32, i0: u32, j0: u32) {
  storeTile(t0, baseOut, i0, j0);
  if (WIDE) { storeTile(t1, baseOut, i0, j0 + 4u); storeTile(t2, baseOut, i0, j0 + 8u); storeTile(t3, baseOut, i0, j0 + 12u); }
}
