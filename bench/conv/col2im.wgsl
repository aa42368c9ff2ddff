// dx[n, ih, iw, c] = Σ cols[(n, oh, ow), (kh, kw, c)] over the output pixels whose tap (kh, kw) lands on
// (ih, iw): the adjoint of im2col.wgsl, the im2col plan's input gradient (after dcols = dY·Wᵀ). One
// invocation per input pixel, all its channels, gathering its terms (no atomics). Params from
// shaders/window.wgsl.
@group(0) @binding(0) var<storage, read> cols: array<f32>;
@group(0) @binding(1) var<storage, read_write> dx: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let pixel = gid.x + gid.y * groups.x * 64u;
  if (pixel >= params.count) { return; }
  let iw = pixel % params.inSize.y;
  let ih = (pixel / params.inSize.y) % params.inSize.x;
  let n = pixel / (params.inSize.y * params.inSize.x);
  let writeAt = pixel * params.channels;
  for (var c = 0u; c < params.channels; c++) { dx[writeAt + c] = 0.0; }
  let rowLength = params.window.x * params.window.y * params.channels;
  for (var kh = 0u; kh < params.window.x; kh++) {
    let oh = outputFor(ih, kh, params.strides.x, params.dilation.x, params.padStart.x, params.outSize.x);
    if (oh < 0) { continue; }
    for (var kw = 0u; kw < params.window.y; kw++) {
      let ow = outputFor(iw, kw, params.strides.y, params.dilation.y, params.padStart.y, params.outSize.y);
      if (ow < 0) { continue; }
      let readAt = ((n * params.outSize.x + u32(oh)) * params.outSize.y + u32(ow)) * rowLength + (kh * params.window.y + kw) * params.channels;
      for (var c = 0u; c < params.channels; c++) { dx[writeAt + c] += cols[readAt + c]; }
    }
  }
}
