// One optimizer step for a group of tensors, per element, in place. Each tensor k binds its own
// param_k, grad_k and slot arrays, and owns the invocations from the previous tensor's end to
// params.end_k (counts of vec4s): one dispatch walks one flat range over the whole group
// (shaders/optim/updateTensor.wgsl is each tensor's share). The group is as large as the device's
// storage-binding limit allows (src/optim/optimizer.ts).
// src/optim/updateKernel.ts fills in the {{…}} parts from the optimizer's declaration: its slots,
// its per-step constants (computed on the CPU in double precision, rounded to float32 once as
// uniforms), its update body, the gradient part (src/optim/gradientTransform.ts) and the tensors.
struct Params { decay: f32, {{CONSTANT_MEMBERS}} {{TENSOR_ENDS}} }

{{STORAGE_BINDINGS}}
@group(0) @binding({{PARAMS_BINDING}}) var<uniform> params: Params;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let index = flatIndex(gid, groups);
{{TENSORS}}
}
