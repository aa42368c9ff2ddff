// Prepended to both pooling kernels (after window.wgsl): where max pooling takes its value from.

// Flat index into x of the first largest element (row-major within the window: TF's tie rule) of
// the window spanning input rows [rows.x, rows.y) and columns [cols.x, cols.y), image n, channel c.
fn firstArgmax(n: u32, c: u32, rows: vec2<u32>, cols: vec2<u32>) -> u32 {
  var best = 0.0; // replaced by the first pixel (found)
  var bestAt = 0u;
  var found = false;
  for (var ih = rows.x; ih < rows.y; ih++) {
    for (var iw = cols.x; iw < cols.y; iw++) {
      let at = ((n * params.inSize.x + ih) * params.inSize.y + iw) * params.channels + c;
      if (!found || x[at] > best) { best = x[at]; bestAt = at; found = true; }
    }
  }
  return bestAt;
}
