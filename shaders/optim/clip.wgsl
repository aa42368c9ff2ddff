// Gradient clipping as Keras 3 does it (keras/src/optimizers/base_optimizer.py), prepended to an
// optimizer's update kernel after shaders/ieee.wgsl. The squared norms arrive as tensors computed on
// the GPU; NaN and Inf are classified by their bits, since WGSL may fold float tests on them.

// Per-variable clipnorm, Keras's _clip_by_norm: g·c / max(‖g‖, c), where ‖g‖ = √s for s > 0 and s
// otherwise, so a NaN norm makes the whole gradient NaN, an infinite one scales by 0 (Inf·0 = NaN
// for the infinite elements, 0 for the rest) and a zero gradient stays 0.
fn clipNormScale(squaredNorm: f32, clipNorm: f32) -> f32 {
  if (isNan(squaredNorm)) { return squaredNorm; }
  if (isInf(squaredNorm)) { return 0.0; }
  if (squaredNorm > 0.0) { return clipNorm / max(sqrt(squaredNorm), clipNorm); }
  return 1.0;
}

// global_clipnorm, Keras's clip_by_global_norm: c·min(1/n, 1/c) over the norm n of all gradients
// together; a NaN or infinite n makes every gradient NaN (Keras adds n − n), and n = 0 scales by 1.
fn globalClipNormScale(squaredNorm: f32, clipNorm: f32) -> f32 {
  if (isNonFinite(squaredNorm)) { return nanFrom(squaredNorm); }
  let norm = sqrt(squaredNorm);
  if (norm == 0.0) { return 1.0; }
  return clipNorm * min(1.0 / norm, 1.0 / clipNorm);
}

// clipvalue, Keras's ops.clip(g, −c, c) elementwise; NaN stays NaN (min and max may drop it).
fn clipByValue(g: vec4<f32>, clipValue: f32) -> vec4<f32> {
  let clamped = clamp(g, vec4<f32>(-clipValue), vec4<f32>(clipValue));
  let nan = vec4<bool>(isNan(g.x), isNan(g.y), isNan(g.z), isNan(g.w));
  return select(clamped, g, nan);
}
