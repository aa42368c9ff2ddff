// One RMSprop step per element, in place (Keras's rule). param, grad and the slots: flat arrays of one length.
// Four elements per invocation (vec4): on CPU adapters vec4 loads about double the throughput of scalars.
// Parameters and slots live in pooled buffers whose sizes are multiples of 16 bytes, so the last
// vec4 may run into the tensor's own padding.
//   p ← p − p·decay                                  (decoupled weight decay; decay = learningRate·weightDecay)
//   s ← ρ·s + (1 − ρ)·g²
//   centered: a ← ρ·a + (1 − ρ)·g;  change = lr·g / √(s − a² + ε),  else change = lr·g / √(s + ε)
//   momentum μ: b ← μ·b + change; p ← p − b,  else p ← p − change
struct Params { count: u32, learningRate: f32, rho: f32, momentum: f32, epsilon: f32, decay: f32 }

@group(0) @binding(0) var<storage, read_write> param: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> grad: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> meanSquare: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> meanGrad: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> velocity: array<vec4<f32>>;
@group(0) @binding(5) var<uniform> params: Params;

override CENTERED: bool = false;
override MOMENTUM: bool = false;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = gid.x + gid.y * groups.x * 64u;
  if (i >= params.count) { return; }
  let g = grad[i];
  let s = params.rho * meanSquare[i] + (1.0 - params.rho) * g * g;
  meanSquare[i] = s;
  var denominator = s + params.epsilon;
  if (CENTERED) {
    let a = params.rho * meanGrad[i] + (1.0 - params.rho) * g;
    meanGrad[i] = a;
    denominator = s - a * a + params.epsilon;
  }
  var change = params.learningRate * g / sqrt(denominator);
  if (MOMENTUM) {
    change = params.momentum * velocity[i] + change;
    velocity[i] = change;
  }
  var p = param[i];
  p -= p * params.decay;
  param[i] = p - change;
}
