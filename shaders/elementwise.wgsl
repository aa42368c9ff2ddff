// A row of the op table: out[i] = compute(inputs at i), every input read through its own strides
// over out's shape (stride 0 on broadcast dims). Contiguous inputs take elementwiseVector.wgsl.
// src/ops/elementwise.ts fills in the {{…}} parts from the row: its inputs, WGSL body and element
// types (f32 or i32 per input and for out; a 'truth' input is passed to compute as a bool).
struct Params {
  count: u32,
  rank: u32,
  outShape: array<vec4<u32>, 2>,
  // Two vec4s (8 dims) of strides per input, input k at [2k, 2k + 1].
  strides: array<vec4<u32>, {{STRIDE_VECTORS}}>,
}

{{INPUT_BINDINGS}}
@group(0) @binding({{OUT_BINDING}}) var<storage, read_write> out: array<{{OUTPUT}}>;
@group(0) @binding({{PARAMS_BINDING}}) var<uniform> params: Params;

fn compute({{PARAMETERS}}) -> {{OUTPUT}} {
{{BODY}}
}

const INPUTS: u32 = {{INPUT_COUNT}}u;

// Every input's offset for output index i (outputIndex and stridedOffset: shaders/broadcastIndex.wgsl).
fn offsetsOf(i: u32) -> array<u32, INPUTS> {
  let index = outputIndex(i, params.rank, params.outShape);
  var offsets: array<u32, INPUTS>;
  for (var k = 0u; k < INPUTS; k++) {
    offsets[k] = stridedOffset(index, params.rank, array<vec4<u32>, 2>(params.strides[2u * k], params.strides[2u * k + 1u]));
  }
  return offsets;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flatIndex(gid, groups);
  if (i >= params.count) { return; }
  let offsets = offsetsOf(i);
  out[i] = compute({{ARGUMENTS}});
}
