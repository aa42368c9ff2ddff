// partial[chunk, kh, kw, ci, co] = Σ x[n, oh·sh + kh·dh − padTop, ow·sw + kw·dw − padLeft, ci] · dy[n, oh, ow, co]
// over the images n of batch part `chunk` and the output pixels whose tap lands inside the image: the
// gradient of conv2d.wgsl for w is the sum over the parts (same layouts, Params from window.wgsl).
// Splitting the batch gives a GPU enough invocations for small filters. Each invocation accumulates
// 4 input × 4 output channels as outer products of a vec4 of x and a vec4 of dy.
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> x4: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read> dy4: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> partial: array<f32>;
@group(0) @binding(5) var<uniform> params: Params;

// Cin (Cout) is a multiple of 4: runs of 4 channels of x (dy) are vec4 loads.
override VEC4_IN: bool = false;
override VEC4_OUT: bool = false;

fn xAt(index: u32, valid: bool) -> f32 {
  if (valid) { return x[index]; }
  return 0.0;
}
fn dyAt(index: u32, valid: bool) -> f32 {
  if (valid) { return dy[index]; }
  return 0.0;
}

// x[pixel, ci..ci+3] and dy[pixel, co..co+3], zero past the channel count.
fn input4(pixel: u32, ci: u32) -> vec4<f32> {
  let base = pixel * params.channels + ci;
  if (VEC4_IN) { return x4[base / 4u]; }
  let last = params.channels;
  return vec4<f32>(xAt(base, ci < last), xAt(base + 1u, ci + 1u < last), xAt(base + 2u, ci + 2u < last), xAt(base + 3u, ci + 3u < last));
}
fn gradient4(pixel: u32, co: u32) -> vec4<f32> {
  let base = pixel * params.outChannels + co;
  if (VEC4_OUT) { return dy4[base / 4u]; }
  let last = params.outChannels;
  return vec4<f32>(dyAt(base, co < last), dyAt(base + 1u, co + 1u < last), dyAt(base + 2u, co + 2u < last), dyAt(base + 3u, co + 3u < last));
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flatIndex(gid, groups);
  if (i >= params.count) { return; }
  let outGroups = (params.outChannels + 3u) / 4u;
  let inGroups = (params.channels + 3u) / 4u;
  let taps = params.window.x * params.window.y;
  let co = (i % outGroups) * 4u;
  let ci = ((i / outGroups) % inGroups) * 4u;
  let tap = (i / (outGroups * inGroups)) % taps;
  let chunk = i / (outGroups * inGroups * taps);
  let kh = tap / params.window.y;
  let kw = tap % params.window.y;
  let rows = outputsInside(kh, params.strides.x, params.dilation.x, params.padStart.x, params.inSize.x, params.outSize.x);
  let cols = outputsInside(kw, params.strides.y, params.dilation.y, params.padStart.y, params.inSize.y, params.outSize.y);
  let perChunk = (params.batch + params.chunks - 1u) / params.chunks;
  var acc: mat4x4<f32>; // column j: output channel co + j, over the input channels ci..ci+3
  for (var n = chunk * perChunk; n < min((chunk + 1u) * perChunk, params.batch); n++) {
    for (var oh = rows.x; oh < rows.y; oh++) {
      let ih = oh * params.strides.x + kh * params.dilation.x - params.padStart.x;
      let inRow = (n * params.inSize.x + ih) * params.inSize.y;
      let outRow = (n * params.outSize.x + oh) * params.outSize.y;
      for (var ow = cols.x; ow < cols.y; ow++) {
        let iw = ow * params.strides.y + kw * params.dilation.y - params.padStart.y;
        let input = input4(inRow + iw, ci);
        let g = gradient4(outRow + ow, co);
        acc += mat4x4<f32>(input * g.x, input * g.y, input * g.z, input * g.w);
      }
    }
  }
  let base = (chunk * taps + tap) * params.channels;
  for (var r = 0u; r < 4u; r++) {
    if (ci + r >= params.channels) { break; }
    for (var j = 0u; j < 4u; j++) {
      if (co + j < params.outChannels) { partial[(base + ci + r) * params.outChannels + co + j] = acc[j][r]; }
    }
  }
}
