// Overflow-free sigmoid and tanh for f32, prepended to the kernels that need them (GELU: gelu.wgsl).

// 1/(1+e^−v) written so that neither branch overflows exp.
fn stableSigmoid(v: f32) -> f32 {
  if (v >= 0.0) { return 1.0 / (1.0 + exp(-v)); }
  let e = exp(v);
  return e / (1.0 + e);
}

// tanh through exp(−2|v|), which stays in range for any input.
fn stableTanh(v: f32) -> f32 {
  let e = exp(-2.0 * abs(v));
  return sign(v) * (1.0 - e) / (1.0 + e);
}
