// A flat row-major index walked axis by axis (rank ≤ 8, shapes and strides as two vec4<u32>), for
// kernels that read or write tensors through strides: movement.wgsl, and elementwise.wgsl, whose
// inputs are read as if broadcast (stride 0 on broadcast axes). Prepended to both.
//
// Callers unroll the walk over the 8 possible axes, indexing the uniforms with constants, and RANK
// (the axes in use) is an override constant: SwiftShader compiles a loop over axes that indexes the
// uniforms by the loop's counter into per-lane work, 5× slower on a transpose than this straight-line
// walk in which each axis at or past RANK folds away (bench/NOTES.md, "strided index math").
override RANK: u32;

// Axis d's coordinate, taken off `remaining` (axes are walked last first); axes from RANK on are
// not walked.
fn axisCoordinate(d: u32, dim: u32, remaining: ptr<function, u32>) -> u32 {
  if (d >= RANK) { return 0u; }
  let coordinate = *remaining % dim;
  *remaining = *remaining / dim;
  return coordinate;
}
