// An identity-like matrix [rows, columns], row-major: out[r·columns + c] = 1 if r == c else 0 (f32 or i32).
alias Element = f32;

struct Params { count: u32, columns: u32 }

@group(0) @binding(0) var<storage, read_write> out: array<Element>;
@group(0) @binding(1) var<uniform> params: Params;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flatIndex(gid, groups);
  if (i >= params.count) { return; }
  out[i] = select(Element(0), Element(1), i / params.columns == i % params.columns);
}
