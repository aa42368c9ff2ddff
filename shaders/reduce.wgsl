// Sum, max or min over a set of axes: out[o * chunks + c] folds chunk c of the reduced elements of
// output element o. The input is row-major; kept and reduced axes are read through their strides
// (reduced index r is row-major over reducedShape), so nothing is transposed. chunks > 1 writes
// partial results that the next pass reduces. A sum adds its chunk in blocks (see addBlocked), so
// float32 rounding grows with the depth of a shallow tree rather than with the chunk's length.
// Terms come from loadTerm and results go through storeResult: shaders/reduceIO.wgsl reads x and
// writes out as they are; wg.jit's fused variants compute elementwise ops there (src/jit/fuseReduce.ts).
alias Element = f32;
alias Accumulator = f32;
// The accumulator as float, its bits and a truth value per lane. Where wg.jit folds two reductions
// of the same elements in one pass (src/jit/fuseSiblings.ts) Accumulator is a vec2 and these are
// vec2s too: each lane then computes exactly what one scalar reduction computes.
alias AccumulatorFloat = f32;
alias AccumulatorBits = u32;
alias AccumulatorTruth = bool;

struct Params {
  partialCount: u32,
  chunks: u32,
  chunkSize: u32,
  reducedCount: u32,
  keptRank: u32,
  reducedRank: u32,
  keptShape: array<vec4<u32>, 2>,
  keptStrides: array<vec4<u32>, 2>,
  reducedShape: array<vec4<u32>, 2>,
  reducedStrides: array<vec4<u32>, 2>,
}

@group(0) @binding(0) var<uniform> params: Params;

// SUM, MAX and MIN are declared from src/ops/reduce.ts's list.
override OP: u32;

// NaN by its bits, as shaders/ieee.wgsl's isNan but lane by lane; an i32 converts to a finite
// f32, so int32 never is.
fn isNanValue(v: Accumulator) -> AccumulatorTruth {
  return (bitcast<AccumulatorBits>(AccumulatorFloat(v)) & AccumulatorBits(0x7fffffffu)) > AccumulatorBits(0x7f800000u);
}

fn combine(accumulated: Accumulator, v: Accumulator) -> Accumulator {
  if (OP == MAX) { return max(accumulated, v); }
  return min(accumulated, v);
}

// Blocked summation of a stream, in registers: terms go into a block of 8, full blocks into a
// block of 64, those into the chunk's total. Each float32 add then joins sums of similar size, so
// rounding grows with the depth of that tree (8 + 8 + 16 adds for a 1024-term chunk) rather than
// with the chunk's length; equal terms round the same way at every step of a plain loop, which
// drifted by 1.4e-5 over 10^7 terms. (A pairwise stack in a private array was slower for the
// same accuracy: bench/NOTES.md.)
var<private> blockOf8: Accumulator = Accumulator(0);
var<private> blockOf64: Accumulator = Accumulator(0);
var<private> blockedTotal: Accumulator = Accumulator(0);
var<private> termCount: u32 = 0u;

fn addBlocked(v: Accumulator) {
  blockOf8 += v;
  termCount++;
  if ((termCount & 7u) == 0u) {
    blockOf64 += blockOf8;
    blockOf8 = Accumulator(0);
    if ((termCount & 63u) == 0u) {
      blockedTotal += blockOf64;
      blockOf64 = Accumulator(0);
    }
  }
}

fn blockedSum() -> Accumulator {
  return blockedTotal + (blockOf64 + blockOf8);
}

// Offset of the r-th reduced element relative to the output element's first one.
fn reducedOffset(r: u32) -> u32 {
  var remaining = r;
  var offset = 0u;
  for (var d = i32(params.reducedRank) - 1; d >= 0; d--) {
    let dim = params.reducedShape[d / 4][d % 4];
    offset += (remaining % dim) * params.reducedStrides[d / 4][d % 4];
    remaining = remaining / dim;
  }
  return offset;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flatIndex(gid, groups);
  if (i >= params.partialCount) { return; }
  let o = i / params.chunks;
  let start = (i % params.chunks) * params.chunkSize;
  let end = min(start + params.chunkSize, params.reducedCount);

  var base = 0u;
  var remaining = o;
  for (var d = i32(params.keptRank) - 1; d >= 0; d--) {
    let dim = params.keptShape[d / 4][d % 4];
    base += (remaining % dim) * params.keptStrides[d / 4][d % 4];
    remaining = remaining / dim;
  }

  // max and min start from the chunk's first element (folding it twice is harmless); sum from 0.
  var accumulated = Accumulator(0);
  if (OP != SUM) { accumulated = loadTerm(base + reducedOffset(start)); }
  // OR of the bits of every NaN seen: still a NaN, and a runtime value (a constant NaN is a WGSL error).
  var nanBits = AccumulatorBits(0u);
  let innermost = params.reducedRank - 1u;
  let innerDim = params.reducedShape[innermost / 4u][innermost % 4u];
  let innerStride = params.reducedStrides[innermost / 4u][innermost % 4u];
  var r = start;
  // Walk the chunk one row of the innermost reduced axis at a time: one index decomposition per row.
  while (r < end) {
    let rowEnd = min(end, r - r % innerDim + innerDim);
    var offset = base + reducedOffset(r);
    for (; r < rowEnd; r++) {
      let v = loadTerm(offset);
      if (OP == SUM) {
        addBlocked(v);
      } else {
        accumulated = combine(accumulated, v);
        nanBits |= select(AccumulatorBits(0u), bitcast<AccumulatorBits>(v), isNanValue(v));
      }
      offset += innerStride;
    }
  }
  if (OP == SUM) { accumulated = blockedSum(); }
  // NumPy's max/min propagate NaN; WGSL's max/min may drop it.
  accumulated = select(accumulated, bitcast<Accumulator>(nanBits), nanBits != AccumulatorBits(0u));
  storeResult(i, accumulated);
}
