// A row of the op table over contiguous inputs: vec4 loads and stores, four vec4s per invocation,
// so each invocation's fixed cost is shared by sixteen elements (measurements: bench/notes/).
// Inputs of one element are splatted. src/ops/elementwise.ts fills in the {{…}} parts from the row.
// The runtime sets it from its one TypeScript constant (src/runtime/kernel.ts).
override WORKGROUP_SIZE: u32;

struct Params { count4: u32 }

{{INPUT_BINDINGS}}
@group(0) @binding({{OUT_BINDING}}) var<storage, read_write> out: array<vec4<{{OUTPUT}}>>;
@group(0) @binding({{PARAMS_BINDING}}) var<uniform> params: Params;

fn compute({{PARAMETERS}}) -> {{OUTPUT}} {
{{BODY}}
}

fn storeVector(j: u32) {
{{LOADS}}
  out[j] = vec4<{{OUTPUT}}>({{LANES}});
}

// A workgroup covers 4 * WORKGROUP_SIZE consecutive vec4s; its invocations take every
// WORKGROUP_SIZE-th one, so neighbouring invocations touch neighbouring vec4s (coalesced on GPUs,
// one SIMD row on CPU adapters). VECTORS_PER_INVOCATION in src/ops/elementwise.ts matches the 4.
// Written out rather than looped: SwiftShader ran the loop form slower than one vec4 per invocation.
@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_index) local: u32, @builtin(num_workgroups) groups: vec3<u32>) {
  let first = (group.x + group.y * groups.x) * 4u * WORKGROUP_SIZE + local;
  if (first < params.count4) { storeVector(first); }
  if (first + WORKGROUP_SIZE < params.count4) { storeVector(first + WORKGROUP_SIZE); }
  if (first + 2u * WORKGROUP_SIZE < params.count4) { storeVector(first + 2u * WORKGROUP_SIZE); }
  if (first + 3u * WORKGROUP_SIZE < params.count4) { storeVector(first + 3u * WORKGROUP_SIZE); }
}
