// Elementwise dtype conversion: out[i] = To(x[i]); f32 → i32 truncates toward zero (WGSL's conversion).
alias From = f32;
alias To = i32;

struct Params { count: u32 }

@group(0) @binding(0) var<storage, read> x: array<From>;
@group(0) @binding(1) var<storage, read_write> out: array<To>;
@group(0) @binding(2) var<uniform> params: Params;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flatIndex(gid, groups);
  if (i >= params.count) { return; }
  out[i] = To(x[i]);
}
