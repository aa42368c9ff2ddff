// A tiny custom op for tests of user kernels: out[i] = x[i] + 1. BROKEN_ADD_ONE_WGSL adds a u32 to
// an f32, which WGSL rejects at compile time.
export const ADD_ONE_WGSL = `
// Adds one: out[i] = x[i] + 1
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  if (i >= arrayLength(&out)) { return; }
  out[i] = x[i] + 1.0;
}`;

export const BROKEN_ADD_ONE_WGSL = ADD_ONE_WGSL.replace('x[i] + 1.0', 'x[i] + 1u');
