// int32 arithmetic with NumPy broadcasting: out[i] = f(a[offsetA(i)], b[offsetB(i)]), each input read
// through strides over the output's shape (stride 0 on broadcast dims). Rank ≤ 8 after collapsing.
// float32 arithmetic runs on the declared elementwise kernels instead (src/ops/binary.ts).
alias Element = i32;

struct Params {
  count: u32,
  rank: u32,
  outShape: array<vec4<u32>, 2>,
  stridesA: array<vec4<u32>, 2>,
  stridesB: array<vec4<u32>, 2>,
}

@group(0) @binding(0) var<storage, read> a: array<Element>;
@group(0) @binding(1) var<storage, read> b: array<Element>;
@group(0) @binding(2) var<storage, read_write> out: array<Element>;
@group(0) @binding(3) var<uniform> params: Params;

override OP: u32;

fn apply(x: Element, y: Element) -> Element {
  switch OP {
    case 0u: { return x + y; }
    case 1u: { return x - y; }
    case 2u: { return x * y; }
    case 5u: { return max(x, y); }
    case 6u: { return min(x, y); }
    default: { return x; }
  }
}

fn outputAt(i: u32) -> Element {
  let index = outputIndex(i, params.rank, params.outShape);
  return apply(a[stridedOffset(index, params.rank, params.stridesA)], b[stridedOffset(index, params.rank, params.stridesB)]);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flatIndex(gid, groups);
  if (i >= params.count) { return; }
  out[i] = outputAt(i);
}
