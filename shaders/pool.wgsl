// out[n, oh, ow, c] over the window x[n, oh·sh − padTop + (0..ph−1), ow·sw − padLeft + (0..pw−1), c], NHWC,
// padding excluded (TF's rule): MAX takes `values` where x is first largest in the window, AVG
// averages `values`. Forward pooling binds x as the values too; the max-pool gradient's own
// gradient binds other values to gather at the same positions. Params from window.wgsl.
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> values: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

override MAX: bool = true;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flatIndex(gid, groups);
  if (i >= params.count) { return; }
  let c = i % params.channels;
  let ow = (i / params.channels) % params.outSize.y;
  let oh = (i / (params.channels * params.outSize.y)) % params.outSize.x;
  let n = i / (params.channels * params.outSize.y * params.outSize.x);
  let rows = windowInside(oh, params.strides.x, params.padStart.x, params.window.x, params.inSize.x);
  let cols = windowInside(ow, params.strides.y, params.padStart.y, params.window.y, params.inSize.y);
  if (MAX) {
    out[i] = values[firstArgmax(n, c, rows, cols)];
    return;
  }
  var total = 0.0;
  for (var ih = rows.x; ih < rows.y; ih++) {
    for (var iw = cols.x; iw < cols.y; iw++) {
      total += values[((n * params.inSize.x + ih) * params.inSize.y + iw) * params.channels + c];
    }
  }
  out[i] = total / f32((rows.y - rows.x) * (cols.y - cols.x));
}
