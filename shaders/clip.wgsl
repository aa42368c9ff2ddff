// Elementwise clamp into [lo, hi]: out[i] = min(max(x[i], lo), hi), in f32 or i32 (rebound per dtype).
// NaN stays NaN (as TF.js and NumPy); WGSL's min and max may return either operand for NaN.
alias Element = f32;

struct Params { count: u32, lo: Element, hi: Element }

@group(0) @binding(0) var<storage, read> x: array<Element>;
@group(0) @binding(1) var<storage, read_write> out: array<Element>;
@group(0) @binding(2) var<uniform> params: Params;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flatIndex(gid, groups);
  if (i >= params.count) { return; }
  let v = x[i];
  out[i] = select(min(max(v, params.lo), params.hi), v, isNan(f32(v)));
}
