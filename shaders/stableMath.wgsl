// Overflow-free sigmoid, tanh and GELU for f32, prepended (after shaders/ieee.wgsl) to the kernels
// that need them. NaN gives NaN and ±Inf the limits (sigmoid 1/0, tanh ±1) without relying on exp.
const SQRT_2_OVER_PI: f32 = 0.7978845608028654;
const GELU_CUBIC: f32 = 0.044715;

// 1/(1+e^−v) as e/(1+e) or 1/(1+e) with e = e^−|v|, so exp never overflows.
fn stableSigmoid(v: f32) -> f32 {
  let e = exp(-abs(v));
  let finite = select(e, 1.0, v >= 0.0) / (1.0 + e);
  return select(finite, select(select(0.0, 1.0, v > 0.0), v, isNan(v)), isNonFinite(v));
}

// tanh through exp(−2|v|), which stays in range for any input; the sign is copied so tanh(−0) = −0.
fn stableTanh(v: f32) -> f32 {
  let e = exp(-2.0 * abs(v));
  let finite = withSignOf((1.0 - e) / (1.0 + e), v);
  return select(finite, select(withSignOf(1.0, v), v, isNan(v)), isNonFinite(v));
}

// GELU, tanh approximation (PyTorch approximate='tanh', Keras's default).
fn geluTanh(v: f32) -> f32 {
  return 0.5 * v * (1.0 + stableTanh(SQRT_2_OVER_PI * (v + GELU_CUBIC * v * v * v)));
}

fn geluTanhDerivative(v: f32) -> f32 {
  let t = stableTanh(SQRT_2_OVER_PI * (v + GELU_CUBIC * v * v * v));
  return 0.5 * (1.0 + t) + 0.5 * v * (1.0 - t * t) * SQRT_2_OVER_PI * (1.0 + 3.0 * GELU_CUBIC * v * v);
}
