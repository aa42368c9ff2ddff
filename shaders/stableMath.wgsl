// Overflow-free sigmoid, tanh and GELU for f32, prepended to the kernels that need them.
const SQRT_2_OVER_PI: f32 = 0.7978845608028654;
const GELU_CUBIC: f32 = 0.044715;

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

// GELU, tanh approximation (PyTorch approximate='tanh', Keras's default).
fn geluTanh(v: f32) -> f32 {
  return 0.5 * v * (1.0 + stableTanh(SQRT_2_OVER_PI * (v + GELU_CUBIC * v * v * v)));
}

fn geluTanhDerivative(v: f32) -> f32 {
  let t = stableTanh(SQRT_2_OVER_PI * (v + GELU_CUBIC * v * v * v));
  return 0.5 * (1.0 + t) + 0.5 * v * (1.0 - t * t) * SQRT_2_OVER_PI * (1.0 + 3.0 * GELU_CUBIC * v * v);
}
