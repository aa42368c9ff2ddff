// dx[n, ih, iw, c] = Σ over the pooling windows (oh, ow) that contain (ih, iw) of their share of
// dy[n, oh, ow, c]: MAX gives all of it when (ih, iw) is the window's first largest x, AVG gives
// dy / (the window's pixel count inside the image). NHWC; Params from window.wgsl.
// One invocation per element of dx gathers its terms, so overlapping windows need no atomics.
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read_write> dx: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

override MAX: bool = true;

// A window along one axis: its first position (signed: padding is negative) and its clipped range.
struct Span { start: i32, first: u32, end: u32 }

fn span(o: u32, stride: u32, padStart: u32, size: u32, inSize: u32) -> Span {
  let start = i32(o * stride) - i32(padStart);
  return Span(start, u32(max(start, 0)), u32(min(start + i32(size), i32(inSize))));
}

// Flat index into x of the first largest element of window (oh, ow) in image n, channel c.
fn argmaxOf(n: u32, c: u32, rows: Span, cols: Span) -> u32 {
  var best = 0.0; // replaced by the first pixel (found)
  var bestAt = 0u;
  var found = false;
  for (var ih = rows.first; ih < rows.end; ih++) {
    for (var iw = cols.first; iw < cols.end; iw++) {
      let at = ((n * params.inSize.x + ih) * params.inSize.y + iw) * params.channels + c;
      if (!found || x[at] > best) { best = x[at]; bestAt = at; found = true; }
    }
  }
  return bestAt;
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = gid.x + gid.y * groups.x * 64u;
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
    let rows = span(oh, params.strides.x, params.padStart.x, params.window.x, params.inSize.x);
    for (var ow = owFirst; ow < owEnd; ow++) {
      let cols = span(ow, params.strides.y, params.padStart.y, params.window.y, params.inSize.y);
      let g = dy[((n * params.outSize.x + oh) * params.outSize.y + ow) * params.channels + c];
      if (MAX) {
        if (argmaxOf(n, c, rows, cols) == i) { total += g; }
      } else {
        total += g / f32((rows.end - rows.first) * (cols.end - cols.first));
      }
    }
  }
  dx[i] = total;
}
