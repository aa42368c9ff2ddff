// IEEE-754 classification and special values of f32 by their bits, prepended to kernels that need them.
// WGSL lets compilers assume NaN and Inf never occur (so `v != v` may fold to false) and leaves the
// built-ins undefined on NaN and out-of-domain input; integer tests on the bits cannot be folded.

fn isNan(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
}

fn isInf(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7fffffffu) == 0x7f800000u;
}

// NaN or ±Inf: the exponent bits all ones.
fn isNonFinite(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7f800000u) == 0x7f800000u;
}

// A quiet NaN built from v at run time (a constant NaN or Inf is a WGSL compile error).
fn nanFrom(v: f32) -> f32 {
  return bitcast<f32>(bitcast<u32>(v) | 0x7fc00000u);
}

// ±Inf with the sign of v.
fn infWithSignOf(v: f32) -> f32 {
  return bitcast<f32>((bitcast<u32>(v) & 0x80000000u) | 0x7f800000u);
}

// |magnitude| with the sign bit of v (C's copysign), so ±0 keep their sign.
fn withSignOf(magnitude: f32, v: f32) -> f32 {
  return bitcast<f32>((bitcast<u32>(magnitude) & 0x7fffffffu) | (bitcast<u32>(v) & 0x80000000u));
}

// The functions below are single selects rather than early returns: elementwise kernels are hot,
// and on SIMD adapters (SwiftShader runs lanes in lockstep) branches cost more than the few extra
// operations whose results a select discards.

// e^v: NaN stays NaN, e^−Inf = 0, e^+Inf = +Inf; finite v over- and underflows as the built-in does.
fn ieeeExp(v: f32) -> f32 {
  return select(exp(v), select(select(0.0, v, v > 0.0), v, isNan(v)), isNonFinite(v));
}

// ln v: NaN for NaN and v < 0, −Inf at ±0, +Inf at +Inf.
fn ieeeLog(v: f32) -> f32 {
  let edge = select(select(v, infWithSignOf(-1.0), v == 0.0), nanFrom(v), v < 0.0);
  return select(log(v), edge, v <= 0.0 || isNonFinite(v));
}
