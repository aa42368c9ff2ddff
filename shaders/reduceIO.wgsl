// The reduce kernel's plain terms and results (shaders/reduce.wgsl): term k is x[k] as stored,
// result i goes to out[i] as folded.
@group(0) @binding(1) var<storage, read> x: array<Element>;
@group(0) @binding(2) var<storage, read_write> out: array<Accumulator>;

fn loadTerm(offset: u32) -> Accumulator {
  return Accumulator(x[offset]);
}

fn storeResult(i: u32, value: Accumulator) {
  out[i] = value;
}
