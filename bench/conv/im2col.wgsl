// cols[(n, oh, ow), (kh, kw, c)] = x[n, oh·sh + kh·dh − padTop, ow·sw + kw·dw − padLeft, c], 0 in the padding:
// each output pixel's receptive field of the NHWC image x as one row, so that a convolution is one matmul
// of cols [N·OH·OW, KH·KW·C] with the HWIO filter as [KH·KW·C, Cout]. The im2col plan measured against
// the direct kernels by bench/conv-variants.*; one invocation writes one pixel's row (measured faster
// than one per element: the index arithmetic is per pixel). Params from shaders/window.wgsl.
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> cols: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let pixel = gid.x + gid.y * groups.x * 64u;
  if (pixel >= params.count) { return; }
  let ow = pixel % params.outSize.y;
  let oh = (pixel / params.outSize.y) % params.outSize.x;
  let n = pixel / (params.outSize.x * params.outSize.y);
  var writeAt = pixel * params.window.x * params.window.y * params.channels;
  for (var kh = 0u; kh < params.window.x; kh++) {
    let ih = i32(oh * params.strides.x + kh * params.dilation.x) - i32(params.padStart.x);
    let rowInside = ih >= 0 && u32(ih) < params.inSize.x;
    for (var kw = 0u; kw < params.window.y; kw++) {
      let iw = i32(ow * params.strides.y + kw * params.dilation.y) - i32(params.padStart.y);
      if (rowInside && iw >= 0 && u32(iw) < params.inSize.y) {
        let readAt = ((n * params.inSize.x + u32(ih)) * params.inSize.y + u32(iw)) * params.channels;
        for (var c = 0u; c < params.channels; c++) { cols[writeAt + c] = x[readAt + c]; }
      } else {
        for (var c = 0u; c < params.channels; c++) { cols[writeAt + c] = 0.0; }
      }
      writeAt += params.channels;
    }
  }
}
