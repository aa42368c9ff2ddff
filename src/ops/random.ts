// Seeded random tensors generated on the GPU by Philox-4x32-10, a counter-based generator: each
// call hashes (seed, call number, element index), so no generator state lives on the GPU.
import randomSource from '../../shaders/random.wgsl';
import { ValueError } from '../errors';
import { assertValidShape, type Shape } from '../shape';
import type { Tensor, DType } from '../tensor';
import { kernelOp, opKernel, selectorCodes } from './kernelOp';

/** The random kernel's DISTRIBUTION selector: UNIFORM, NORMAL and INTEGER in the WGSL. */
const distributions = selectorCodes(['uniform', 'normal', 'integer'] as const);
const randomKernel = opKernel('random', distributions.wgsl + randomSource);

const ELEMENTS_PER_THREAD = 4;

/** The Philox key; null until the first call or setSeed. */
let seed: bigint | null = null;
/** Counts random calls since the seed was set: each call draws from its own stream. */
let stream = 0n;

/** Fixes the seed and restarts the call counter: the same sequence of calls then repeats bit for bit. */
export function setSeed(value: number): void {
  if (!Number.isSafeInteger(value)) throw new ValueError(`setSeed: the seed must be a safe integer, got ${value}`);
  seed = BigInt.asUintN(64, BigInt(value));
  stream = 0n;
}

interface DrawKey { seedLo: number; seedHi: number; streamLo: number; streamHi: number }

/** A 64-bit key and stream number as the kernel's 32-bit uniform halves. */
function drawKey(key: bigint, streamNumber: bigint): DrawKey {
  const low = (value: bigint): number => Number(BigInt.asUintN(32, value));
  return { seedLo: low(key), seedHi: low(key >> 32n), streamLo: low(streamNumber), streamHi: low(streamNumber >> 32n) };
}

/** A generator apart from the global one: its own key and call counter. */
export interface RandomGenerator {
  readonly key: bigint;
  calls: bigint;
}

/** The generator random calls draw from while `withGenerator` runs; null: the global one. */
let scoped: RandomGenerator | null = null;

/** The key and stream for the next call, seeding from the clock and Math.random the first time. */
function nextDraw(): DrawKey {
  if (scoped) return drawKey(scoped.key, scoped.calls++);
  seed ??= BigInt.asUintN(64, BigInt(Date.now()) * 4294967296n + BigInt(Math.floor(Math.random() * 4294967296)));
  return drawKey(seed, stream++);
}

/** SplitMix64's finalizer: nearby inputs give unrelated 64-bit outputs. */
function mix64(value: bigint): bigint {
  let z = BigInt.asUintN(64, value + 0x9e3779b97f4a7c15n);
  z = BigInt.asUintN(64, (z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n);
  z = BigInt.asUintN(64, (z ^ (z >> 27n)) * 0x94d049bb133111ebn);
  return z ^ (z >> 31n);
}

/**
 * A new generator keyed by one draw of the current one (fit takes one per call), so what it later
 * draws does not depend on how other code's draws interleave with it.
 */
export function forkGenerator(): RandomGenerator {
  const { seedLo, seedHi, streamLo, streamHi } = nextDraw();
  const key = (BigInt(seedHi) << 32n) | BigInt(seedLo);
  const streamNumber = (BigInt(streamHi) << 32n) | BigInt(streamLo);
  return { key: mix64(key ^ mix64(streamNumber)), calls: 0n };
}

/** Runs `fn` (synchronous) with every random call in it drawing from `generator`. */
export function withGenerator<T>(generator: RandomGenerator, fn: () => T): T {
  const outer = scoped;
  scoped = generator;
  try {
    return fn();
  } finally {
    scoped = outer;
  }
}

/**
 * A 32-bit seed for host-side randomness (fit's shuffling), drawn from the same seeded stream as
 * the GPU tensors, so setSeed makes shuffles reproducible too.
 */
export function hostRandomSeed(): number {
  const { seedLo, seedHi, streamLo } = nextDraw();
  // Mix key and stream number (a murmur3-style finalizer) so consecutive streams look unrelated.
  let h = (seedLo ^ Math.imul(seedHi, 0x9e3779b1) ^ Math.imul(streamLo + 1, 0x85ebca6b)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

interface DrawParameters { low?: number; scale?: number; intLow?: number; intRange?: number }

/** Draws from the generator in use, or with a fixed `key` (randWithSeed) that every call reuses. */
function draw(op: string, shape: Shape, distribution: keyof typeof distributions.code, dtype: DType, parameters: DrawParameters, key?: DrawKey): Tensor {
  return kernelOp(op, [], () => {
    assertValidShape(op, shape);
    return {
      output: { shape, dtype },
      steps: (out) => {
        const fixed = {
          count: out.size,
          low: parameters.low ?? 0,
          scale: parameters.scale ?? 0,
          intLow: parameters.intLow ?? 0,
          intRange: parameters.intRange ?? 0,
        };
        return [{
          kernel: randomKernel,
          tensors: { out },
          uniforms: { ...fixed, ...(key ?? nextDraw()) },
          variant: { constants: { DISTRIBUTION: distributions.code[distribution] } },
          threads: Math.ceil(out.size / ELEMENTS_PER_THREAD),
          // Under wg.jit each replay takes the next stream, as an eager call would: new values per
          // call, the same sequence after the same setSeed.
          refresh: key ? undefined : () => ({ ...fixed, ...nextDraw() }),
        }];
      },
    };
  });
}

function assertFiniteNumbers(op: string, values: Record<string, number>): void {
  for (const [name, value] of Object.entries(values)) {
    if (typeof value !== 'number' || !Number.isFinite(value)) throw new ValueError(`${op}: ${name} must be a finite number, got ${value}`);
  }
}

/** float32 uniform in [min, max) (24 random bits each; a wide range may round up to max). */
export function rand(shape: readonly number[], min = 0, max = 1): Tensor {
  assertFiniteNumbers('rand', { min, max });
  if (!(min < max)) throw new ValueError(`rand: min ${min} must be less than max ${max}`);
  return draw('rand', shape, 'uniform', 'float32', { low: min, scale: max - min });
}

/**
 * rand(shape) exactly as the first call after setSeed(seedValue) draws it, without touching the
 * global generator: the same seed always gives the same values (dropout's `seed` option).
 */
export function randWithSeed(shape: readonly number[], seedValue: number): Tensor {
  if (!Number.isSafeInteger(seedValue)) throw new ValueError(`rand: the seed must be a safe integer, got ${seedValue}`);
  return draw('rand', shape, 'uniform', 'float32', { low: 0, scale: 1 }, drawKey(BigInt.asUintN(64, BigInt(seedValue)), 0n));
}

/** float32 normal with the given mean and standard deviation (Box–Muller). */
export function randn(shape: readonly number[], mean = 0, stddev = 1): Tensor {
  assertFiniteNumbers('randn', { mean, stddev });
  if (stddev < 0) throw new ValueError(`randn: stddev must be non-negative, got ${stddev}`);
  return draw('randn', shape, 'normal', 'float32', { low: mean, scale: stddev });
}

/** int32 uniform over the integers low, low + 1, …, high − 1 (high excluded, as NumPy's randint). */
export function randomInt(shape: readonly number[], low: number, high: number): Tensor {
  if (!Number.isInteger(low) || !Number.isInteger(high) || low < -(2 ** 31) || high > 2 ** 31 || low >= high) {
    throw new ValueError(`randomInt: need integers -2^31 <= low < high <= 2^31, got low ${low} and high ${high}`);
  }
  // A range of exactly 2^32 does not fit a u32: the kernel reads 0 as "every 32-bit value".
  const range = high - low;
  return draw('randomInt', shape, 'integer', 'int32', { intLow: low, intRange: range === 2 ** 32 ? 0 : range });
}
