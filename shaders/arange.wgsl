// Evenly spaced values: out[i] = start + i·step, in f32 or i32 (rebound per dtype).
alias Element = f32;

struct Params { count: u32, start: Element, step: Element }

@group(0) @binding(0) var<storage, read_write> out: array<Element>;
@group(0) @binding(1) var<uniform> params: Params;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flatIndex(gid, groups);
  if (i >= params.count) { return; }
  out[i] = params.start + Element(i) * params.step;
}
