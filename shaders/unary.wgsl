// Elementwise float32 math: out[i] = f(x[i]), f chosen by the OP override (codes in src/ops/unary.ts).
struct Params { count: u32 }

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

override OP: u32;

const SQRT_2_OVER_PI: f32 = 0.7978845608028654;

fn apply(v: f32) -> f32 {
  switch OP {
    case 0u: { return -v; }
    case 1u: { return abs(v); }
    case 2u: { return exp(v); }
    case 3u: { return log(v); }
    case 4u: { return sqrt(v); }
    case 5u: { return inverseSqrt(v); }
    case 6u: { return v * v; }
    case 7u: { return sin(v); }
    case 8u: { return cos(v); }
    case 9u: { return max(v, 0.0); }
    // sigmoid written so that neither branch overflows exp.
    case 10u: { if (v >= 0.0) { return 1.0 / (1.0 + exp(-v)); } let e = exp(v); return e / (1.0 + e); }
    // tanh through exp(-2|v|), which stays in range for any input.
    case 11u: { let e = exp(-2.0 * abs(v)); return sign(v) * (1.0 - e) / (1.0 + e); }
    // gelu, tanh approximation (as PyTorch's approximate='tanh' and Keras's default).
    case 12u: { let u = SQRT_2_OVER_PI * (v + 0.044715 * v * v * v); let e = exp(-2.0 * abs(u)); return 0.5 * v * (1.0 + sign(u) * (1.0 - e) / (1.0 + e)); }
    // softplus = log(1 + e^v), stable for large |v|.
    case 13u: { return max(v, 0.0) + log(1.0 + exp(-abs(v))); }
    case 14u: { return 1.0 / v; }
    case 15u: { return sign(v); }
    default: { return v; }
  }
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = gid.x + gid.y * groups.x * 64u;
  if (i >= params.count) { return; }
  out[i] = apply(x[i]);
}
