// dx[n, ih, iw, ci] = Σ dy[n, oh, ow, co] · w[kh, kw, ci, co] over the taps (kh, kw) and output pixels
// with oh·sh + kh·dh − padTop = ih and ow·sw + kw·dw − padLeft = iw: the transposed convolution, the
// gradient of conv2d.wgsl for x (same layouts, Params from window.wgsl). One invocation computes
// 4 neighbouring input pixels along iw × 4 input channels, gathering its terms (no atomics); each
// 4×4 block of the filter is loaded once for the 4 pixels.
@group(0) @binding(0) var<storage, read> dy: array<f32>;
@group(0) @binding(1) var<storage, read> dy4: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read> w4: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> dx: array<f32>;
@group(0) @binding(5) var<uniform> params: Params;

// Cout is a multiple of 4: runs of 4 output channels of dy and of a filter row are vec4 loads.
override VEC4_OUT: bool = false;

fn dyAt(index: u32, valid: bool) -> f32 {
  if (valid) { return dy[index]; }
  return 0.0;
}
fn wAt(index: u32, valid: bool) -> f32 {
  if (valid) { return w[index]; }
  return 0.0;
}

// dy[pixel, co..co+3], zero past Cout.
fn gradient4(pixel: u32, co: u32) -> vec4<f32> {
  let base = pixel * params.outChannels + co;
  if (VEC4_OUT) { return dy4[base / 4u]; }
  let last = params.outChannels;
  return vec4<f32>(dyAt(base, co < last), dyAt(base + 1u, co + 1u < last), dyAt(base + 2u, co + 2u < last), dyAt(base + 3u, co + 3u < last));
}

// w[row, co..co+3], zero past Cout and for rows past the input channels (valid false).
fn filter4(row: u32, co: u32, valid: bool) -> vec4<f32> {
  if (!valid) { return vec4<f32>(); }
  let base = row * params.outChannels + co;
  if (VEC4_OUT) { return w4[base / 4u]; }
  let last = params.outChannels;
  return vec4<f32>(wAt(base, co < last), wAt(base + 1u, co + 1u < last), wAt(base + 2u, co + 2u < last), wAt(base + 3u, co + 3u < last));
}

fn store4(pixel: u32, ci: u32, value: vec4<f32>) {
  for (var r = 0u; r < 4u; r++) {
    if (ci + r < params.channels) { dx[pixel * params.channels + ci + r] = value[r]; }
  }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flatIndex(gid, groups);
  if (i >= params.count) { return; }
  let channelGroups = (params.channels + 3u) / 4u;
  let runs = (params.inSize.y + 3u) / 4u;
  let ci = (i % channelGroups) * 4u;
  let iw0 = ((i / channelGroups) % runs) * 4u;
  let ih = (i / (channelGroups * runs)) % params.inSize.x;
  let n = i / (channelGroups * runs * params.inSize.x);
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
      let row = (kh * params.window.y + kw) * params.channels + ci;
      for (var co = 0u; co < params.outChannels; co += 4u) {
        // Column r holds filter row ci + r, so g · filters = (Σ_co g[co]·w[.., ci + r, co])_r.
        let filters = mat4x4<f32>(
          filter4(row, co, true), filter4(row + 1u, co, ci + 1u < params.channels),
          filter4(row + 2u, co, ci + 2u < params.channels), filter4(row + 3u, co, ci + 3u < params.channels)
        );
        acc0 += (gradient4(pixels.x, co) * mask.x) * filters;
        acc1 += (gradient4(pixels.y, co) * mask.y) * filters;
        acc2 += (gradient4(pixels.z, co) * mask.z) * filters;
        acc3 += (gradient4(pixels.w, co) * mask.w) * filters;
      }
    }
  }
  let pixel = (n * params.inSize.x + ih) * params.inSize.y + iw0;
  store4(pixel, ci, acc0);
  if (iw0 + 1u < params.inSize.y) { store4(pixel + 1u, ci, acc1); }
  if (iw0 + 2u < params.inSize.y) { store4(pixel + 2u, ci, acc2); }
  if (iw0 + 3u < params.inSize.y) { store4(pixel + 3u, ci, acc3); }
}
