// Counter-based random numbers: thread t runs Philox-4x32-10 on counter (t, streamLo, streamHi, 0)
// with key (seedLo, seedHi) and writes elements 4t .. 4t+3 of `out` (row-major; f32 or i32 bits).
// DISTRIBUTION UNIFORM: low + scale·u, u in [0, 1); NORMAL: low + scale·z (Box–Muller); INTEGER:
// intLow + floor(u·intRange) (intRange 0 means the whole 2^32 range). The codes come from src/ops/random.ts.
struct Params {
  count: u32,
  seedLo: u32,
  seedHi: u32,
  streamLo: u32,
  streamHi: u32,
  low: f32,
  scale: f32,
  intLow: i32,
  intRange: u32,
}

@group(0) @binding(0) var<storage, read_write> out: array<u32>;
@group(0) @binding(1) var<uniform> params: Params;

override DISTRIBUTION: u32;

const PHILOX_M0: u32 = 0xD2511F53u;
const PHILOX_M1: u32 = 0xCD9E8D57u;
const PHILOX_W0: u32 = 0x9E3779B9u;
const PHILOX_W1: u32 = 0xBB67AE85u;
const TWO_PI: f32 = 6.283185307179586;

// The high 32 bits of the 64-bit product a·b, from 16-bit halves (WGSL has no 64-bit integers).
fn mulHigh(a: u32, b: u32) -> u32 {
  let aLow = a & 0xFFFFu;
  let aHigh = a >> 16u;
  let bLow = b & 0xFFFFu;
  let bHigh = b >> 16u;
  let lowHigh = aLow * bHigh;
  let highLow = aHigh * bLow;
  let carry = ((aLow * bLow) >> 16u) + (lowHigh & 0xFFFFu) + (highLow & 0xFFFFu);
  return aHigh * bHigh + (lowHigh >> 16u) + (highLow >> 16u) + (carry >> 16u);
}

fn philox(counter: vec4<u32>, seed: vec2<u32>) -> vec4<u32> {
  var c = counter;
  var k = seed;
  for (var roundIndex = 0u; roundIndex < 10u; roundIndex++) {
    if (roundIndex > 0u) { k += vec2<u32>(PHILOX_W0, PHILOX_W1); }
    c = vec4<u32>(
      mulHigh(PHILOX_M1, c.z) ^ c.y ^ k.x, PHILOX_M1 * c.z,
      mulHigh(PHILOX_M0, c.x) ^ c.w ^ k.y, PHILOX_M0 * c.x,
    );
  }
  return c;
}

// [0, 1) with 24 random bits: every value is exact in f32 and 1.0 cannot occur.
fn unitInterval(bits: u32) -> f32 {
  return f32(bits >> 8u) * (1.0 / 16777216.0);
}

// Box–Muller: two normals from two uniforms. The radius's uniform is in (0, 1] with 32 random bits,
// so log never sees 0 and the tails reach about 6.6 standard deviations.
fn normalPair(bitsRadius: u32, bitsAngle: u32) -> vec2<f32> {
  let u = (f32(bitsRadius) + 0.5) * (1.0 / 4294967296.0);
  let radius = sqrt(-2.0 * log(min(u, 1.0)));
  let angle = TWO_PI * unitInterval(bitsAngle);
  return radius * vec2<f32>(cos(angle), sin(angle));
}

fn sample(bits: vec4<u32>) -> vec4<u32> {
  switch DISTRIBUTION {
    case UNIFORM: {
      let u = vec4<f32>(unitInterval(bits.x), unitInterval(bits.y), unitInterval(bits.z), unitInterval(bits.w));
      return bitcast<vec4<u32>>(params.low + params.scale * u);
    }
    case NORMAL: {
      let z = vec4<f32>(normalPair(bits.x, bits.y), normalPair(bits.z, bits.w));
      return bitcast<vec4<u32>>(params.low + params.scale * z);
    }
    default: {
      let range = params.intRange;
      let offsets = select(
        vec4<u32>(mulHigh(bits.x, range), mulHigh(bits.y, range), mulHigh(bits.z, range), mulHigh(bits.w, range)),
        bits, range == 0u);
      return bitcast<u32>(params.intLow) + offsets;
    }
  }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let t = flatIndex(gid, groups);
  let first = 4u * t;
  if (first >= params.count) { return; }
  let values = sample(philox(vec4<u32>(t, params.streamLo, params.streamHi, 0u), vec2<u32>(params.seedLo, params.seedHi)));
  for (var k = 0u; k < 4u; k++) {
    if (first + k < params.count) { out[first + k] = values[k]; }
  }
}
