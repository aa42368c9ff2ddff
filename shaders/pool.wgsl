// out[n, oh, ow, c] over the window x[n, oh·sh − padTop + (0..ph−1), ow·sw − padLeft + (0..pw−1), c], NHWC,
// padding excluded (TF's rule): MAX picks values at the window's first largest key, AVG averages
// values. Forward pooling binds x as both keys and values; the max-pool gradient's own gradient
// binds other values to gather at the same positions. Params from window.wgsl.
@group(0) @binding(0) var<storage, read> keys: array<f32>;
@group(0) @binding(1) var<storage, read> values: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

override MAX: bool = true;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = gid.x + gid.y * groups.x * 64u;
  if (i >= params.count) { return; }
  let c = i % params.channels;
  let ow = (i / params.channels) % params.outSize.y;
  let oh = (i / (params.channels * params.outSize.y)) % params.outSize.x;
  let n = i / (params.channels * params.outSize.y * params.outSize.x);
  // The window clipped to the image, as signed starts so that leading padding is negative.
  let top = i32(oh * params.strides.x) - i32(params.padStart.x);
  let left = i32(ow * params.strides.y) - i32(params.padStart.y);
  let rowStart = u32(max(top, 0));
  let rowEnd = u32(min(top + i32(params.window.x), i32(params.inSize.x)));
  let colStart = u32(max(left, 0));
  let colEnd = u32(min(left + i32(params.window.y), i32(params.inSize.y)));

  var best = 0.0; // replaced by the first pixel (found)
  var bestAt = 0u;
  var found = false;
  var total = 0.0;
  for (var ih = rowStart; ih < rowEnd; ih++) {
    for (var iw = colStart; iw < colEnd; iw++) {
      let at = ((n * params.inSize.x + ih) * params.inSize.y + iw) * params.channels + c;
      if (MAX) {
        // Strictly greater keeps the first of equal maxima, as TF's gradient does.
        if (!found || keys[at] > best) { best = keys[at]; bestAt = at; found = true; }
      } else {
        total += values[at];
      }
    }
  }
  if (MAX) {
    out[i] = values[bestAt];
  } else {
    out[i] = total / f32((rowEnd - rowStart) * (colEnd - colStart));
  }
}
