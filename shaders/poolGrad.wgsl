// dx[n, ih, iw, c] = Σ over the pooling windows (oh, ow) that contain (ih, iw) of their share of
// dy[n, oh, ow, c]: MAX gives all of it when (ih, iw) is the window's first largest x, AVG gives
// dy / (the window's pixel count inside the image). NHWC; Params from window.wgsl, firstArgmax
// from poolArgmax.wgsl.
// One invocation per element of dx gathers its terms, so overlapping windows need no atomics.
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read_write> dx: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

override MAX: bool = true;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flatIndex(gid, groups);
  if (i >= params.count) { return; }
  let c = i % params.channels;
  let iw = (i / params.channels) % params.inSize.y;
  let ih = (i / (params.channels * params.inSize.y)) % params.inSize.x;
  let n = i / (params.channels * params.inSize.y * params.inSize.x);
  // Windows along an axis containing p: o·stride − padStart ≤ p < o·stride − padStart + size.
  let ohFirst = select(0u, (ih + params.padStart.x + params.strides.x - params.window.x) / params.strides.x, ih + params.padStart.x + 1u > params.window.x);
  let owFirst = select(0u, (iw + params.padStart.y + params.strides.y - params.window.y) / params.strides.y, iw + params.padStart.y + 1u > params.window.y);
  let ohEnd = min((ih + params.padStart.x) / params.strides.x + 1u, params.outSize.x);
  let owEnd = min((iw + params.padStart.y) / params.strides.y + 1u, params.outSize.y);
  var total = 0.0;
  for (var oh = ohFirst; oh < ohEnd; oh++) {
    let rows = windowInside(oh, params.strides.x, params.padStart.x, params.window.x, params.inSize.x);
    for (var ow = owFirst; ow < owEnd; ow++) {
      let cols = windowInside(ow, params.strides.y, params.padStart.y, params.window.y, params.inSize.y);
      let g = dy[((n * params.outSize.x + oh) * params.outSize.y + ow) * params.channels + c];
      if (MAX) {
        if (firstArgmax(n, c, rows, cols) == i) { total += g; }
      } else {
        total += g / f32((rows.y - rows.x) * (cols.y - cols.x));
      }
    }
  }
  dx[i] = total;
}
