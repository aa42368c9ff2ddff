// A row of the op table over contiguous inputs: four outputs per invocation through vec4 loads and
// stores, so each invocation's fixed cost is shared by four elements (measurements: bench/notes/).
// Inputs of one element are splatted. src/ops/elementwise.ts fills in the {{…}} parts from the row.
struct Params { count4: u32 }

{{INPUT_BINDINGS}}
@group(0) @binding({{OUT_BINDING}}) var<storage, read_write> out: array<vec4<{{OUTPUT}}>>;
@group(0) @binding({{PARAMS_BINDING}}) var<uniform> params: Params;

fn compute({{PARAMETERS}}) -> {{OUTPUT}} {
{{BODY}}
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let j = flatIndex(gid, groups);
  if (j >= params.count4) { return; }
{{LOADS}}
  out[j] = vec4<{{OUTPUT}}>({{LANES}});
}
