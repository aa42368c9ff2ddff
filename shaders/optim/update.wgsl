// One optimizer step per element, in place: the gradient part (accumulation, clipping) defines `g`
// from grad[i], then the decoupled weight decay p ← p − p·decay (decay = learningRate·weightDecay),
// then the optimizer's own rule. param, grad and every slot are flat arrays of one length, read four
// elements per invocation (vec4: on CPU adapters that doubles the throughput of scalar loads);
// pooled buffers are multiples of 16 bytes, so the last vec4 may run into the tensor's own padding.
// src/optim/updateKernel.ts fills in the {{…}} parts from the optimizer's declaration: its slots,
// its per-step constants (computed on the CPU in double precision, rounded to float32 once as
// uniforms), its update body, and the gradient part (src/optim/gradientTransform.ts).
struct Params { count: u32, decay: f32, {{CONSTANT_MEMBERS}} }

@group(0) @binding(0) var<storage, read_write> param: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> grad: array<vec4<f32>>;
{{STORAGE_BINDINGS}}
@group(0) @binding({{PARAMS_BINDING}}) var<uniform> params: Params;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flatIndex(gid, groups);
  if (i >= params.count) { return; }
{{GRADIENT}}
{{CONSTANT_LETS}}
  var p = param[i];
  p -= p * params.decay;
{{BODY}}
  param[i] = p;
}
