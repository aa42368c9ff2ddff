// partial[chunk, kh, kw, o] = Σ x[n, oh·sh + kh·dh − padTop, ow·sw + kw·dw − padLeft, o / M] · dy[n, oh, ow, o]
// over the output rows (n, oh) of part `chunk` of the batch's N·OH rows and the pixels whose tap
// lands inside the image, for the flat filter columns o = c·M + m: the gradient of
// depthwiseConv2d.wgsl for w is the sum over the parts (same layouts, Params from window.wgsl).
// Splitting rows rather than images keeps a batch of one image parallel. Each invocation
// accumulates 4 columns in a vec4.
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read_write> partial: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flatIndex(gid, groups);
  if (i >= params.count) { return; }
  let columnGroups = (params.outChannels + 3u) / 4u;
  let taps = params.window.x * params.window.y;
  let o = (i % columnGroups) * 4u;
  let tap = (i / columnGroups) % taps;
  let chunk = i / (columnGroups * taps);
  let kh = tap / params.window.y;
  let kw = tap % params.window.y;
  let multiplier = params.outChannels / params.channels;
  // Columns past the last are clamped to it and never stored.
  let column = min(vec4<u32>(o, o + 1u, o + 2u, o + 3u), vec4<u32>(params.outChannels - 1u));
  let channel = column / multiplier;
  let rows = outputsInside(kh, params.strides.x, params.dilation.x, params.padStart.x, params.inSize.x, params.outSize.x);
  let cols = outputsInside(kw, params.strides.y, params.dilation.y, params.padStart.y, params.inSize.y, params.outSize.y);
  let outRows = params.batch * params.outSize.x;
  let perChunk = (outRows + params.chunks - 1u) / params.chunks;
  var acc = vec4<f32>();
  for (var row = chunk * perChunk; row < min((chunk + 1u) * perChunk, outRows); row++) {
    let oh = row % params.outSize.x;
    if (oh < rows.x || oh >= rows.y) { continue; }
    let n = row / params.outSize.x;
    let ih = oh * params.strides.x + kh * params.dilation.x - params.padStart.x;
    let inRow = (n * params.inSize.x + ih) * params.inSize.y;
    for (var ow = cols.x; ow < cols.y; ow++) {
      let iw = ow * params.strides.y + kw * params.dilation.y - params.padStart.y;
      let xb = (inRow + iw) * params.channels;
      let gb = (row * params.outSize.y + ow) * params.outChannels;
      let input = vec4<f32>(x[xb + channel.x], x[xb + channel.y], x[xb + channel.z], x[xb + channel.w]);
      acc += input * vec4<f32>(dy[gb + column.x], dy[gb + column.y], dy[gb + column.z], dy[gb + column.w]);
    }
  }
  let base = (chunk * taps + tap) * params.outChannels;
  for (var j = 0u; j < 4u; j++) {
    if (o + j < params.outChannels) { partial[base + o + j] = acc[j]; }
  }
}
