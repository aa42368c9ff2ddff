// rowsOfA for matmul.wgsl where subgroups are unavailable: every invocation loads its own block of A.
fn rowsOfA(base: u32, i0: u32, k0: u32, lane: u32) -> mat4x4<f32> {
  return blockA(base, i0, k0);
}
