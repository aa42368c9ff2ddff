// Reading inputs of other shapes as if broadcast to the output's shape (rank ≤ 8, shapes and strides
// as two vec4<u32>): the output index is decomposed once, then each input's offset is that index
// dotted with the input's strides (stride 0 on broadcast dims). Prepended to elementwise.wgsl.
fn outputIndex(i: u32, rank: u32, shape: array<vec4<u32>, 2>) -> array<u32, 8> {
  var index: array<u32, 8>;
  var remaining = i;
  for (var d = i32(rank) - 1; d >= 0; d--) {
    let dim = shape[d / 4][d % 4];
    index[d] = remaining % dim;
    remaining = remaining / dim;
  }
  return index;
}

fn stridedOffset(index: array<u32, 8>, rank: u32, strides: array<vec4<u32>, 2>) -> u32 {
  var offset = 0u;
  for (var d = 0u; d < rank; d++) { offset += index[d] * strides[d / 4u][d % 4u]; }
  return offset;
}
