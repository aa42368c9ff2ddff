// A declared elementwise op: out[i] = compute(inputs at i), every input read through its own strides
// over out's shape (stride 0 on broadcast dims; BROADCAST false: all share out's shape). float32.
// src/ops/elementwise.ts fills in the {{…}} parts from the op's declaration: its inputs and WGSL body.
struct Params {
  count: u32,
  rank: u32,
  outShape: array<vec4<u32>, 2>,
  // Two vec4s (8 dims) of strides per input, input k at [2k, 2k + 1].
  strides: array<vec4<u32>, {{STRIDE_VECTORS}}>,
}

{{INPUT_BINDINGS}}
@group(0) @binding({{OUT_BINDING}}) var<storage, read_write> out: array<f32>;
@group(0) @binding({{PARAMS_BINDING}}) var<uniform> params: Params;

override BROADCAST: bool = true;

fn compute({{PARAMETERS}}) -> f32 {
{{BODY}}
}

fn offsetOf(input: u32, i: u32) -> u32 {
  if (!BROADCAST) { return i; }
  var remaining = i;
  var offset = 0u;
  for (var d = i32(params.rank) - 1; d >= 0; d--) {
    let dim = params.outShape[d / 4][d % 4];
    offset += (remaining % dim) * params.strides[2u * input + u32(d) / 4u][d % 4];
    remaining = remaining / dim;
  }
  return offset;
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = gid.x + gid.y * groups.x * 64u;
  if (i >= params.count) { return; }
  out[i] = compute({{ARGUMENTS}});
}
