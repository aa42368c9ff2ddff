// One Adagrad step per element, in place (Keras's rule). param, grad and accumulator: flat arrays of one length.
// Four elements per invocation (vec4): on CPU adapters vec4 loads about double the throughput of scalars.
// Parameters and slots live in pooled buffers whose sizes are multiples of 16 bytes, so the last
// vec4 may run into the tensor's own padding.
//   p ← p − p·decay            (decoupled weight decay; decay = learningRate·weightDecay)
//   s ← s + g²;  p ← p − lr·g / √(s + ε)
struct Params { count: u32, learningRate: f32, epsilon: f32, decay: f32 }

@group(0) @binding(0) var<storage, read_write> param: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> grad: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> accumulator: array<vec4<f32>>;
@group(0) @binding(3) var<uniform> params: Params;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = gid.x + gid.y * groups.x * 64u;
  if (i >= params.count) { return; }
  let g = grad[i];
  let s = accumulator[i] + g * g;
  accumulator[i] = s;
  var p = param[i];
  p -= p * params.decay;
  param[i] = p - params.learningRate * g / sqrt(s + params.epsilon);
}
