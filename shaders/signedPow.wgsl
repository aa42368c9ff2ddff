// a^b for f32 that also takes negative bases with integral exponents (WGSL's pow is undefined for a < 0).
fn signedPow(x: f32, y: f32) -> f32 {
  let magnitude = pow(abs(x), y);
  if (x >= 0.0 || y != floor(y)) { return select(magnitude, pow(x, y), x >= 0.0); }
  return select(magnitude, -magnitude, (abs(y) % 2.0) == 1.0);
}
