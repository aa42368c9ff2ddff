// oneHot: out[r, c] = 1.0 where indices[r] == c, else 0.0; out is row-major [indexCount, depth].
// An index outside [0, depth) matches no column and gives an all-zero row (as TF does).
struct Params {
  count: u32,
  depth: u32,
}

@group(0) @binding(0) var<storage, read> indices: array<i32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flatIndex(gid, groups);
  if (i >= params.count) { return; }
  let row = i / params.depth;
  let column = i % params.depth;
  out[i] = select(0.0, 1.0, indices[row] == i32(column));
}
