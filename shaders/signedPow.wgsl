// a^b for f32 with JavaScript's Math.pow semantics (IEEE-754 pow, except that 1^±Inf and 1^NaN are
// NaN): negative bases take integral exponents (odd ones keep the sign), a non-integral exponent of a
// negative base is NaN, x^±0 = 1 even for NaN x. WGSL's pow is undefined for a < 0, 0 and Inf.
fn signedPow(x: f32, y: f32) -> f32 {
  if (y == 0.0) { return 1.0; }
  if (isNan(x)) { return x; }
  if (isNan(y)) { return y; }
  let ax = abs(x);
  if (isInf(y)) {
    if (ax == 1.0) { return nanFrom(y); }
    return select(0.0, infWithSignOf(1.0), (ax > 1.0) == (y > 0.0));
  }
  let yIsInteger = floor(y) == y;
  // Every f32 at or above 2^24 is even, and fmod of an integer by 2 is exact.
  let yIsOdd = yIsInteger && abs(y) % 2.0 == 1.0;
  if (ax == 0.0 || isInf(x)) {
    // ±0 and ±Inf: the magnitude is 0 or Inf, the sign x's when y is odd.
    let magnitude = select(0.0, infWithSignOf(1.0), (ax == 0.0) == (y < 0.0));
    return select(magnitude, withSignOf(magnitude, x), yIsOdd);
  }
  if (x < 0.0 && !yIsInteger) { return nanFrom(x); }
  let magnitude = pow(ax, y);
  return select(magnitude, -magnitude, x < 0.0 && yIsOdd);
}
