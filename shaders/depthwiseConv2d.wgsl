// y[n, oh, ow, c·M + m] = Σ_{kh, kw} x[n, oh·sh + kh·dh − padTop, ow·sw + kw·dw − padLeft, c] · w[kh, kw, c, m],
// zero outside the image: each input channel c convolved with its own M = outChannels / channels
// filters. NHWC x and y, w [KH, KW, C, M] read flat as [KH·KW, C·M] (so output channel o = c·M + m
// sits at column o), Params from window.wgsl. Each invocation computes 4 neighbouring output pixels
// along ow × 4 output channels in four named vec4 accumulators (registers, not an indexed array),
// loading each filter vec4 once for the 4 pixels. Pixels in the padding read element 0 times 0.
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

fn wAt(index: u32, valid: bool) -> f32 {
  if (valid) { return w[index]; }
  return 0.0;
}

// w[tap, o..o+3] (flat columns o = c·M + m), zero past the last output channel.
fn filter4(tap: u32, o: u32) -> vec4<f32> {
  let base = tap * params.outChannels + o;
  let last = params.outChannels;
  return vec4<f32>(wAt(base, o < last), wAt(base + 1u, o + 1u < last), wAt(base + 2u, o + 2u < last), wAt(base + 3u, o + 3u < last));
}

// The input channel c = o / M of output channels o..o+3 (clamped to the last one, whose filter is zero past it).
fn inputChannels(o: u32) -> vec4<u32> {
  let multiplier = params.outChannels / params.channels;
  return min(vec4<u32>(o, o + 1u, o + 2u, o + 3u), vec4<u32>(params.outChannels - 1u)) / multiplier;
}

fn input4(base: u32, c: vec4<u32>, mask: f32) -> vec4<f32> {
  return vec4<f32>(x[base + c.x], x[base + c.y], x[base + c.z], x[base + c.w]) * mask;
}

fn store4(pixel: u32, o: u32, value: vec4<f32>) {
  for (var j = 0u; j < 4u; j++) {
    if (o + j < params.outChannels) { y[pixel * params.outChannels + o + j] = value[j]; }
  }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flatIndex(gid, groups);
  if (i >= params.count) { return; }
  let channelGroups = (params.outChannels + 3u) / 4u;
  let runs = (params.outSize.y + 3u) / 4u;
  let o = (i % channelGroups) * 4u;
  let ow0 = ((i / channelGroups) % runs) * 4u;
  let oh = (i / (channelGroups * runs)) % params.outSize.x;
  let n = i / (channelGroups * runs * params.outSize.x);
  let ows = vec4<u32>(ow0, ow0 + 1u, ow0 + 2u, ow0 + 3u);
  let c = inputChannels(o);
  var acc0 = vec4<f32>();
  var acc1 = vec4<f32>();
  var acc2 = vec4<f32>();
  var acc3 = vec4<f32>();
  for (var kh = 0u; kh < params.window.x; kh++) {
    let ih = i32(oh * params.strides.x + kh * params.dilation.x) - i32(params.padStart.x);
    if (ih < 0 || u32(ih) >= params.inSize.x) { continue; }
    let rowStart = (n * params.inSize.x + u32(ih)) * params.inSize.y;
    for (var kw = 0u; kw < params.window.y; kw++) {
      let iw = vec4<i32>(ows * params.strides.y + kw * params.dilation.y) - i32(params.padStart.y);
      let inside = (iw >= vec4<i32>(0)) & (iw < vec4<i32>(i32(params.inSize.y))) & (ows < vec4<u32>(params.outSize.y));
      let mask = select(vec4<f32>(0.0), vec4<f32>(1.0), inside);
      let base = select(vec4<u32>(0u), (rowStart + vec4<u32>(iw)) * params.channels, inside);
      let weights = filter4(kh * params.window.y + kw, o);
      acc0 += input4(base.x, c, mask.x) * weights;
      acc1 += input4(base.y, c, mask.y) * weights;
      acc2 += input4(base.z, c, mask.z) * weights;
      acc3 += input4(base.w, c, mask.w) * weights;
    }
  }
  let pixel = (n * params.outSize.x + oh) * params.outSize.y + ow0;
  store4(pixel, o, acc0);
  if (ow0 + 1u < params.outSize.y) { store4(pixel + 1u, o, acc1); }
  if (ow0 + 2u < params.outSize.y) { store4(pixel + 2u, o, acc2); }
  if (ow0 + 3u < params.outSize.y) { store4(pixel + 3u, o, acc3); }
}
