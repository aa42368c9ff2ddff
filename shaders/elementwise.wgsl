// A declared elementwise op: out[i] = compute(inputs at i), every input read through its own strides
// over out's shape (stride 0 on broadcast dims). float32. Contiguous inputs take elementwiseVector.wgsl.
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

fn compute({{PARAMETERS}}) -> f32 {
{{BODY}}
}

const INPUTS: u32 = {{INPUT_COUNT}}u;

// Every input's offset for output index i: the index is decomposed once, then each input's
// strides applied (stride 0 on its broadcast dims).
fn offsetsOf(i: u32) -> array<u32, INPUTS> {
  var offsets: array<u32, INPUTS>;
  var remaining = i;
  for (var d = i32(params.rank) - 1; d >= 0; d--) {
    let dim = params.outShape[d / 4][d % 4];
    let index = remaining % dim;
    remaining = remaining / dim;
    for (var k = 0u; k < INPUTS; k++) { offsets[k] += index * params.strides[2u * k + u32(d) / 4u][d % 4]; }
  }
  return offsets;
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = gid.x + gid.y * groups.x * 64u;
  if (i >= params.count) { return; }
  let offsets = offsetsOf(i);
  out[i] = compute({{ARGUMENTS}});
}
