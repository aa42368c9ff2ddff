// GELU in its two forms, exact x·Φ(x) and the tanh approximation, with their derivatives, for f32
// (with stableMath.wgsl before it, for stableTanh).
const SQRT_2_OVER_PI: f32 = 0.7978845608028654;
const GELU_CUBIC: f32 = 0.044715;
const SQRT_HALF: f32 = 0.7071067811865476;
const INV_SQRT_2PI: f32 = 0.3989422804014327;

// erf to within 1 ulp (plus exp's error; WGSL has no erf): Norbert Juffa's minimax approximation
// ("Is there an accurate approximation of the error function?", Stack Overflow, 2017), the one MLX
// uses. |a| ≤ 0.9277: a·P(a²); above: 1 − exp(Q(|a|)) with Q ≈ −a², signed like a.
fn erf(a: f32) -> f32 {
  let t = abs(a);
  let s = a * a;
  if (t > 0.927734375) {
    var r = fma(-1.72853470e-5, t, 3.83197126e-4);
    let u = fma(-3.88396438e-3, t, 2.42546219e-2);
    r = fma(r, s, u);
    r = fma(r, t, -1.06777877e-1);
    r = fma(r, t, -6.34846687e-1);
    r = fma(r, t, -1.28717512e-1);
    r = fma(r, t, -t);
    return select(-1.0, 1.0, a > 0.0) * (1.0 - exp(r));
  }
  var r = -5.96761703e-4;
  r = fma(r, s, 4.99119423e-3);
  r = fma(r, s, -2.67681349e-2);
  r = fma(r, s, 1.12819925e-1);
  r = fma(r, s, -3.76125336e-1);
  r = fma(r, s, 1.28379166e-1);
  return fma(r, a, a);
}

// e^(−x²/2) with x² split as hi² (exact: hi keeps 12 significant bits) plus a small rest, so the
// rounding of x² does not cost x² ulp; what remains is exp's own error.
fn halfGaussian(x: f32) -> f32 {
  let hi = bitcast<f32>(bitcast<u32>(x) & 0xfffff000u);
  let lo = x - hi;
  return exp(-0.5 * hi * hi) * exp(-0.5 * lo * (x + hi));
}

// Φ(x), the standard normal CDF. Below −1.3125 (where 1 + erf would cancel) it is φ(x)/F with F the
// continued fraction w + 1/(w + 2/(w + 3/(w + …))), w = −x (DLMF 7.9.2 with z = w/√2), from 60 levels:
// within 3 ulp of float64 at w = 1.3125 and better further out. Below −40, Φ underflows to 0.
fn normalCdf(x: f32) -> f32 {
  if (x < -40.0) { return 0.0; }
  if (x < -1.3125) {
    let w = -x;
    var fraction = w;
    for (var k = 60; k >= 1; k--) { fraction = w + f32(k) / fraction; }
    return INV_SQRT_2PI * halfGaussian(x) / fraction;
  }
  return 0.5 + 0.5 * erf(x * SQRT_HALF);
}

// x·Φ(x); its limit 0 at −∞ (where x·Φ would be −∞·0).
fn geluExact(v: f32) -> f32 {
  let cdf = normalCdf(v);
  return select(v * cdf, 0.0, cdf == 0.0);
}

// Φ(x) + x·φ(x); the limits 0 and 1 beyond ±40 (where x·φ would be ∞·0).
fn geluExactDerivative(v: f32) -> f32 {
  if (abs(v) > 40.0) { return select(0.0, 1.0, v > 0.0); }
  return normalCdf(v) + v * INV_SQRT_2PI * halfGaussian(v);
}

// φ(x) = e^(−x²/2)/√(2π), Φ's derivative.
fn normalPdf(v: f32) -> f32 {
  if (abs(v) > 40.0) { return 0.0; }
  return INV_SQRT_2PI * halfGaussian(v);
}

// ½x(1 + tanh(√(2/π)(x + 0.044715x³))): Keras's gelu(approximate=True), PyTorch's approximate='tanh'.
// Below −40 it is 0 (its limit; at −∞ the formula would give −∞·0).
fn geluTanh(v: f32) -> f32 {
  if (v < -40.0) { return 0.0; }
  return 0.5 * v * (1.0 + stableTanh(SQRT_2_OVER_PI * (v + GELU_CUBIC * v * v * v)));
}

fn geluTanhDerivative(v: f32) -> f32 {
  if (abs(v) > 40.0) { return select(0.0, 1.0, v > 0.0); }
  let t = stableTanh(SQRT_2_OVER_PI * (v + GELU_CUBIC * v * v * v));
  return 0.5 * (1.0 + t) + 0.5 * v * (1.0 - t * t) * SQRT_2_OVER_PI * (1.0 + 3.0 * GELU_CUBIC * v * v);
}
