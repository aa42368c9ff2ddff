// A row of the op table: out[i] = compute(inputs at i), every input read through its own strides
// over out's shape (stride 0 on broadcast dims). Contiguous inputs take elementwiseVector.wgsl.
// src/ops/elementwise.ts fills in the {{…}} parts from the row: its inputs, WGSL body and element
// types (f32 or i32 per input and for out; a 'truth' input is passed to compute as a bool).
struct Params {
  count: u32,
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

// Outputs one invocation computes: 4 when out's innermost (merged) axis holds whole fours (they
// share every other coordinate, so the index walk, divisions included, is paid once for four),
// else 1. src/ops/elementwise.ts (broadcastingVariant) sets it and launches count / PER_INVOCATION.
override PER_INVOCATION: u32 = 1u;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flatIndex(gid, groups) * PER_INVOCATION;
  if (i >= params.count) { return; }
  // Every input's offset for output index i: its strides dotted with i's coordinates over out's shape,
  // walked unrolled over the 8 possible axes, last first (shaders/broadcastIndex.wgsl says why).
  var remaining = i;
{{OFFSETS}}
  out[i] = compute({{ARGUMENTS}});
  if (PER_INVOCATION == 4u) {
    // The next three outputs along the innermost axis: each input one innermost stride further.
    let last = max(RANK, 1u) - 1u;
{{INNER_STEPS}}
    out[i + 1u] = compute({{ARGUMENTS_1}});
    out[i + 2u] = compute({{ARGUMENTS_2}});
    out[i + 3u] = compute({{ARGUMENTS_3}});
  }
}
