// One Adam/AdamW step per element, in place (Keras's rule). param, grad, m, v, vMax: flat arrays of one length.
// Four elements per invocation (vec4): on CPU adapters vec4 loads about double the throughput of scalars.
// Parameters and slots live in pooled buffers whose sizes are multiples of 16 bytes, so the last
// vec4 may run into the tensor's own padding.
//   p ← p − p·decay                        (decoupled weight decay: AdamW; decay = learningRate·weightDecay)
//   m ← m + (g − m)(1 − β₁);  v ← v + (g² − v)(1 − β₂)
//   AMSGrad: vMax ← max(vMax, v), used in place of v below
//   p ← p − α·m / (√v + ε),  α = lr·√(1 − β₂ᵗ)/(1 − β₁ᵗ) computed on the CPU for step t
struct Params { count: u32, alpha: f32, beta1: f32, beta2: f32, epsilon: f32, decay: f32 }

@group(0) @binding(0) var<storage, read_write> param: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> grad: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> m: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> v: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> vMax: array<vec4<f32>>;
@group(0) @binding(5) var<uniform> params: Params;

override AMSGRAD: bool = false;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = gid.x + gid.y * groups.x * 64u;
  if (i >= params.count) { return; }
  let g = grad[i];
  let mNew = m[i] + (g - m[i]) * (1.0 - params.beta1);
  var vNew = v[i] + (g * g - v[i]) * (1.0 - params.beta2);
  m[i] = mNew;
  v[i] = vNew;
  if (AMSGRAD) {
    vNew = max(vMax[i], vNew);
    vMax[i] = vNew;
  }
  var p = param[i];
  p -= p * params.decay;
  param[i] = p - params.alpha * mNew / (sqrt(vNew) + params.epsilon);
}
