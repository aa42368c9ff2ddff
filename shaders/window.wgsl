// Prepended to every sliding-window kernel (convolution, pooling): the window geometry over NHWC
// images, pairs as (height, width), and where a window tap lands. Filled by windowUniforms (windows.ts).
struct Params {
  count: u32,
  batch: u32,
  channels: u32,
  inSize: vec2<u32>,
  outSize: vec2<u32>,
  window: vec2<u32>,
  strides: vec2<u32>,
  dilation: vec2<u32>,
  padStart: vec2<u32>,
  // Convolutions: the filter's output channels (pooling: = channels).
  outChannels: u32,
  // conv2dFilterGrad: the batch is split into this many parts, summed afterwards (others: 1).
  chunks: u32,
}

// Along one axis: the output index o whose tap k reads input position p (o·stride + k·dilation −
// padStart = p), or −1 when there is none.
fn outputFor(p: u32, k: u32, stride: u32, dilation: u32, padStart: u32, outSize: u32) -> i32 {
  let shifted = i32(p + padStart) - i32(k * dilation);
  if (shifted < 0 || u32(shifted) % stride != 0u) { return -1; }
  let o = u32(shifted) / stride;
  return select(-1, i32(o), o < outSize);
}

// The output column whose tap kw reads input column iw, −1 when none (or when iw is past the image):
// the input gradients' gather along the width, 4 columns at a time.
fn outputColumn(iw: u32, kw: u32) -> i32 {
  if (iw >= params.inSize.y) { return -1; }
  return outputFor(iw, kw, params.strides.y, params.dilation.y, params.padStart.y, params.outSize.y);
}

// Along one axis: the outputs [first, end) whose tap k reads inside the image (0 ≤ o·stride + k·dilation − padStart < inSize).
fn outputsInside(k: u32, stride: u32, dilation: u32, padStart: u32, inSize: u32, outSize: u32) -> vec2<u32> {
  let offset = i32(k * dilation) - i32(padStart);
  let first = select(0u, (u32(-offset) + stride - 1u) / stride, offset < 0);
  let limit = i32(inSize) - offset; // o·stride < limit
  let end = select(0u, min((u32(max(limit, 0)) + stride - 1u) / stride, outSize), limit > 0);
  return vec2<u32>(first, max(first, end));
}

// Along one axis: the input positions [first, end) of pooling window o (no dilation), clipped to the image.
fn windowInside(o: u32, stride: u32, padStart: u32, size: u32, inSize: u32) -> vec2<u32> {
  let start = i32(o * stride) - i32(padStart);
  return vec2<u32>(u32(max(start, 0)), u32(clamp(start + i32(size), 0, i32(inSize))));
}
