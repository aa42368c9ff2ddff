// rowsOfA for matmul.wgsl on adapters with 4-lane subgroups (SwiftShader), after `enable subgroups;`:
// the 4 lanes of a subgroup share rows i0..i0+3, so lane l loads one row of A's block (one column
// when A is stored transposed) and subgroupBroadcast hands each lane the other three: 4 gathers
// per lane instead of 16. The broadcasts need all 4 lanes in step: they share i0, so they run the
// loop together (matmul.wgsl's early exit past M takes whole subgroups).
fn rowsOfA(base: u32, i0: u32, k0: u32, lane: u32) -> mat4x4<f32> {
  var part: vec4<f32>;
  if (TRANSPOSE_A) {
    part = runA(base, k0 + lane, i0, params.K, params.M);
  } else {
    part = runA(base, i0 + lane, k0, params.M, params.K);
  }
  let rows = mat4x4<f32>(subgroupBroadcast(part, 0u), subgroupBroadcast(part, 1u), subgroupBroadcast(part, 2u), subgroupBroadcast(part, 3u));
  if (TRANSPOSE_A) { return maskColumnsK(transpose(rows), k0); }
  return maskColumnsK(rows, k0);
}
