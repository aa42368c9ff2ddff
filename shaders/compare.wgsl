// Elementwise comparison with NumPy broadcasting: out[i] = 1.0 if a[offsetA(i)] OP b[offsetB(i)] else 0.0.
// Inputs share one element type (f32 or i32, rebound per dtype); the output is always f32. Each input
// is read through strides over the output's shape (stride 0 on broadcast dims), as in binary.wgsl.
alias Element = f32;

struct Params {
  count: u32,
  rank: u32,
  outShape: array<vec4<u32>, 2>,
  stridesA: array<vec4<u32>, 2>,
  stridesB: array<vec4<u32>, 2>,
}

@group(0) @binding(0) var<storage, read> a: array<Element>;
@group(0) @binding(1) var<storage, read> b: array<Element>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

override OP: u32;

// By IEEE-754 a NaN is unequal to everything and unordered: only notEqual holds. Tested on the bits
// (shaders/ieee.wgsl) since WGSL may fold float comparisons as if NaN never occurred; an i32 converts
// to a finite f32, so the test is false for int32.
fn holds(x: Element, y: Element) -> bool {
  if (isNan(f32(x)) || isNan(f32(y))) { return OP == 1u; }
  switch OP {
    case 0u: { return x == y; }
    case 1u: { return x != y; }
    case 2u: { return x > y; }
    case 3u: { return x >= y; }
    case 4u: { return x < y; }
    default: { return x <= y; }
  }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flatIndex(gid, groups);
  if (i >= params.count) { return; }
  let index = outputIndex(i, params.rank, params.outShape);
  let x = a[stridedOffset(index, params.rank, params.stridesA)];
  let y = b[stridedOffset(index, params.rank, params.stridesB)];
  out[i] = select(0.0, 1.0, holds(x, y));
}
