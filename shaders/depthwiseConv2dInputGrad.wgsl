// dx[n, ih, iw, c] = Σ dy[n, oh, ow, c·M + m] · w[kh, kw, c, m] over m, the taps (kh, kw) and the output
// pixels with oh·sh + kh·dh − padTop = ih and ow·sw + kw·dw − padLeft = iw: the gradient of
// depthwiseConv2d.wgsl for x (same layouts, Params from window.wgsl, M = outChannels / channels).
// One invocation computes 4 neighbouring input pixels along iw × 4 input channels, gathering its
// terms (no atomics); each filter vec4 is loaded once for the 4 pixels.
@group(0) @binding(0) var<storage, read> dy: array<f32>;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read_write> dx: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

fn wAt(index: u32, valid: bool) -> f32 {
  if (valid) { return w[index]; }
  return 0.0;
}

// Flat column o = c·M + m of input channels c..c+3 for multiplier index m; past the last channel
// the column is clamped (its filter reads as zero).
fn columns(c: u32, m: u32) -> vec4<u32> {
  let multiplier = params.outChannels / params.channels;
  let channel = min(vec4<u32>(c, c + 1u, c + 2u, c + 3u), vec4<u32>(params.channels - 1u));
  return channel * multiplier + m;
}

// w[tap, columns], zero for input channels past the last.
fn filter4(tap: u32, c: u32, o: vec4<u32>) -> vec4<f32> {
  let base = tap * params.outChannels;
  let last = params.channels;
  return vec4<f32>(wAt(base + o.x, c < last), wAt(base + o.y, c + 1u < last), wAt(base + o.z, c + 2u < last), wAt(base + o.w, c + 3u < last));
}

fn gradient4(pixel: u32, o: vec4<u32>, mask: f32) -> vec4<f32> {
  let base = pixel * params.outChannels;
  return vec4<f32>(dy[base + o.x], dy[base + o.y], dy[base + o.z], dy[base + o.w]) * mask;
}

fn store4(pixel: u32, c: u32, value: vec4<f32>) {
  for (var r = 0u; r < 4u; r++) {
    if (c + r < params.channels) { dx[pixel * params.channels + c + r] = value[r]; }
  }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flatIndex(gid, groups);
  if (i >= params.count) { return; }
  let channelGroups = (params.channels + 3u) / 4u;
  let runs = (params.inSize.y + 3u) / 4u;
  let c = (i % channelGroups) * 4u;
  let iw0 = ((i / channelGroups) % runs) * 4u;
  let ih = (i / (channelGroups * runs)) % params.inSize.x;
  let n = i / (channelGroups * runs * params.inSize.x);
  let multiplier = params.outChannels / params.channels;
  var acc0 = vec4<f32>();
  var acc1 = vec4<f32>();
  var acc2 = vec4<f32>();
  var acc3 = vec4<f32>();
  for (var kh = 0u; kh < params.window.x; kh++) {
    let oh = outputFor(ih, kh, params.strides.x, params.dilation.x, params.padStart.x, params.outSize.x);
    if (oh < 0) { continue; }
    let rowStart = (n * params.outSize.x + u32(oh)) * params.outSize.y;
    for (var kw = 0u; kw < params.window.y; kw++) {
      let ow = vec4<i32>(outputColumn(iw0, kw), outputColumn(iw0 + 1u, kw), outputColumn(iw0 + 2u, kw), outputColumn(iw0 + 3u, kw));
      let inside = ow >= vec4<i32>(0);
      if (!any(inside)) { continue; }
      let mask = select(vec4<f32>(0.0), vec4<f32>(1.0), inside);
      let pixels = select(vec4<u32>(0u), rowStart + vec4<u32>(ow), inside);
      let tap = kh * params.window.y + kw;
      for (var m = 0u; m < multiplier; m++) {
        let o = columns(c, m);
        let weights = filter4(tap, c, o);
        acc0 += gradient4(pixels.x, o, mask.x) * weights;
        acc1 += gradient4(pixels.y, o, mask.y) * weights;
        acc2 += gradient4(pixels.z, o, mask.z) * weights;
        acc3 += gradient4(pixels.w, o, mask.w) * weights;
      }
    }
  }
  let pixel = (n * params.inSize.x + ih) * params.inSize.y + iw0;
  store4(pixel, c, acc0);
  if (iw0 + 1u < params.inSize.y) { store4(pixel + 1u, c, acc1); }
  if (iw0 + 2u < params.inSize.y) { store4(pixel + 2u, c, acc2); }
  if (iw0 + 3u < params.inSize.y) { store4(pixel + 3u, c, acc3); }
}
