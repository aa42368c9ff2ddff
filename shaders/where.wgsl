// Elementwise selection with NumPy broadcasting: out[i] = condition[offsetC(i)] != 0 ? a[offsetA(i)] : b[offsetB(i)].
// The condition is read as raw bits (f32 or i32, told by CONDITION_IS_FLOAT); a, b and out share
// Element. Each input is read through strides over the output's shape (stride 0 on broadcast dims).
alias Element = f32;

struct Params {
  count: u32,
  rank: u32,
  outShape: array<vec4<u32>, 2>,
  stridesCondition: array<vec4<u32>, 2>,
  stridesA: array<vec4<u32>, 2>,
  stridesB: array<vec4<u32>, 2>,
}

@group(0) @binding(0) var<storage, read> condition: array<u32>;
@group(0) @binding(1) var<storage, read> a: array<Element>;
@group(0) @binding(2) var<storage, read> b: array<Element>;
@group(0) @binding(3) var<storage, read_write> out: array<Element>;
@group(0) @binding(4) var<uniform> params: Params;

override CONDITION_IS_FLOAT: bool;

// Tested on the bits because WGSL lets float comparisons ignore NaN: for f32, -0.0 counts as zero
// and NaN as nonzero, as NumPy's truth test does.
fn isNonzero(bits: u32) -> bool {
  return select(bits, bits & 0x7FFFFFFFu, CONDITION_IS_FLOAT) != 0u;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flatIndex(gid, groups);
  if (i >= params.count) { return; }
  let index = outputIndex(i, params.rank, params.outShape);
  let chosen = isNonzero(condition[stridedOffset(index, params.rank, params.stridesCondition)]);
  out[i] = select(b[stridedOffset(index, params.rank, params.stridesB)], a[stridedOffset(index, params.rank, params.stridesA)], chosen);
}
