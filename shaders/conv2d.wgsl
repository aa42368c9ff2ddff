// y[n, oh, ow, co] = Σ_{kh, kw, ci} x[n, oh·sh + kh·dh − padTop, ow·sw + kw·dw − padLeft, ci] · w[kh, kw, ci, co],
// zero outside the image; NHWC x and y, HWIO w, Params from window.wgsl.
// Each invocation computes 4 neighbouring output pixels along ow × 4 output channels in four named
// vec4 accumulators (registers: an indexed array would live in memory on CPU adapters), loading each
// filter vec4 once for the 4 pixels. Pixels in the padding read element 0 and multiply it by 0.
// (Reading x as vec4s against 4×4 filter blocks when Cin % 4 == 0 measured slower: bench/NOTES.md.)
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read> w4: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@group(0) @binding(4) var<uniform> params: Params;

// Cout is a multiple of 4, so each run of 4 output channels of a filter row is one vec4 load.
override VEC4_OUT: bool = false;

fn wAt(index: u32, valid: bool) -> f32 {
  if (valid) { return w[index]; }
  return 0.0;
}

// w[row, co..co+3] for row = (kh·KW + kw)·Cin + ci, zero past Cout.
fn filter4(row: u32, co: u32) -> vec4<f32> {
  let base = row * params.outChannels + co;
  if (VEC4_OUT) { return w4[base / 4u]; }
  let last = params.outChannels;
  return vec4<f32>(wAt(base, co < last), wAt(base + 1u, co + 1u < last), wAt(base + 2u, co + 2u < last), wAt(base + 3u, co + 3u < last));
}

fn store4(pixel: u32, co: u32, value: vec4<f32>) {
  for (var j = 0u; j < 4u; j++) {
    if (co + j < params.outChannels) { y[pixel * params.outChannels + co + j] = value[j]; }
  }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flatIndex(gid, groups);
  if (i >= params.count) { return; }
  let channelGroups = (params.outChannels + 3u) / 4u;
  let runs = (params.outSize.y + 3u) / 4u;
  let co = (i % channelGroups) * 4u;
  let ow0 = ((i / channelGroups) % runs) * 4u;
  let oh = (i / (channelGroups * runs)) % params.outSize.x;
  let n = i / (channelGroups * runs * params.outSize.x);
  let ows = vec4<u32>(ow0, ow0 + 1u, ow0 + 2u, ow0 + 3u);
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
      let row = (kh * params.window.y + kw) * params.channels;
      for (var ci = 0u; ci < params.channels; ci++) {
        let weights = filter4(row + ci, co);
        acc0 += (x[base.x + ci] * mask.x) * weights;
        acc1 += (x[base.y + ci] * mask.y) * weights;
        acc2 += (x[base.z + ci] * mask.z) * weights;
        acc3 += (x[base.w + ci] * mask.w) * weights;
      }
    }
  }
  let pixel = (n * params.outSize.x + oh) * params.outSize.y + ow0;
  store4(pixel, co, acc0);
  if (ow0 + 1u < params.outSize.y) { store4(pixel + 1u, co, acc1); }
  if (ow0 + 2u < params.outSize.y) { store4(pixel + 2u, co, acc2); }
  if (ow0 + 3u < params.outSize.y) { store4(pixel + 3u, co, acc3); }
}
