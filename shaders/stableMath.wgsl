// Overflow-free sigmoid and tanh for f32, prepended (after shaders/ieee.wgsl) to the kernels that
// need them (GELU: gelu.wgsl). NaN gives NaN and ±Inf the limits (sigmoid 1/0, tanh ±1) without
// relying on exp.

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
