// GPU random numbers: the Philox-4x32-10 stream reproduced bit for bit by a CPU implementation
// (itself checked against the Random123 known-answer vectors), seeding and stream semantics, and
// distribution statistics over 10^6 samples with bounds of 5 standard errors (a false alarm once
// in ~1.7 million runs per statistic; the seeds are fixed, so a run either always passes or not).
import { describe, expect, it } from 'vitest';
import { useGpuPage } from '../harness/gpu-page';
import { expectClose } from '../reference';

const gpu = useGpuPage();

const MASK32 = 0xffffffffn;

/** Philox-4x32-10 (Salmon et al., SC'11), the CPU reference: counter and key → four 32-bit words. */
function philox(counter: readonly number[], key: readonly number[]): number[] {
  let [c0, c1, c2, c3] = counter.map(BigInt);
  let [k0, k1] = key.map(BigInt);
  for (let round = 0; round < 10; round++) {
    if (round > 0) {
      k0 = (k0 + 0x9e3779b9n) & MASK32;
      k1 = (k1 + 0xbb67ae85n) & MASK32;
    }
    const product0 = 0xd2511f53n * c0;
    const product1 = 0xcd9e8d57n * c2;
    [c0, c1, c2, c3] = [(product1 >> 32n) ^ c1 ^ k0, product1 & MASK32, (product0 >> 32n) ^ c3 ^ k1, product0 & MASK32];
  }
  return [c0, c1, c2, c3].map(Number);
}

/**
 * The raw 32-bit words behind element i of the `stream`-th call after setSeed(seed), as
 * shaders/random.wgsl documents: thread t = floor(i / 4) hashes counter (t, stream, 0, 0) with key
 * (seed low, seed high) and element i takes word i mod 4 (for randn, word pairs (0,1) and (2,3)).
 */
function wordsOf(seed: number, stream: number, thread: number): number[] {
  return philox([thread, stream, 0, 0], [seed >>> 0, Math.floor(seed / 2 ** 32) >>> 0]);
}

const unitInterval = (word: number): number => (word >>> 8) / 2 ** 24;

describe('Philox reference (Node)', () => {
  it('reproduces the Random123 known-answer vectors', () => {
    const hex = (words: number[]): string => words.map((w) => w.toString(16).padStart(8, '0')).join(' ');
    expect(hex(philox([0, 0, 0, 0], [0, 0]))).toBe('6627e8d5 e169c58d bc57ac4c 9b00dbd8');
    expect(hex(philox([0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff], [0xffffffff, 0xffffffff]))).toBe('408f276d 41c83b0e a20bc7c6 6d5451fd');
    expect(hex(philox([0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344], [0xa4093822, 0x299f31d0]))).toBe('d16cfe09 94fdcceb 5001e420 24126ea1');
  });
});

describe('seeded streams', () => {
  it('rand, randomInt and randn follow the Philox stream: call k after setSeed uses stream k', async () => {
    const seed = 2 ** 40 + 12345; // exercises both key words
    const out = await gpu.run(async (wg, s) => {
      wg.setSeed(s);
      const uniform = wg.rand([2, 5]); // stream 0; 10 elements: 3 threads, the last one partly used
      const scaled = wg.rand([6], -2, 3); // stream 1
      const ints = wg.randomInt([7], -5, 11); // stream 2
      const normals = wg.randn([6], 1, 2); // stream 3
      const result = [uniform, scaled, ints, normals].map((t) => t.data());
      const values = await Promise.all(result);
      for (const t of [uniform, scaled, ints, normals]) t.dispose();
      return { uniform: values[0], scaled: values[1], ints: values[2], normals: values[3] };
    }, seed);
    const element = (stream: number, i: number): number => wordsOf(seed, stream, Math.floor(i / 4))[i % 4];
    // Uniform: 24 bits scaled by 2^-24 is exact in float32; low + scale·u rounds once per operation.
    expect(Array.from(out.uniform)).toEqual(Array.from({ length: 10 }, (_, i) => unitInterval(element(0, i))));
    expect(Array.from(out.scaled)).toEqual(Array.from({ length: 6 }, (_, i) => Math.fround(-2 + Math.fround(5 * unitInterval(element(1, i))))));
    // Integers: low + floor(word · range / 2^32), exact.
    expect(Array.from(out.ints)).toEqual(Array.from({ length: 7 }, (_, i) => -5 + Math.floor((element(2, i) * 16) / 2 ** 32)));
    // Normals: Box–Muller in float64 from the same words. The GPU's sin/cos are within 2^-11 (the
    // WGSL bound), times the radius (< 7) and the stddev 2: about 0.007; log's 2^-21 adds far less.
    const normals = Array.from({ length: 6 }, (_, i) => {
      const words = wordsOf(seed, 3, Math.floor(i / 4));
      const pair = i % 4 < 2 ? [words[0], words[1]] : [words[2], words[3]];
      const radius = Math.sqrt(-2 * Math.log(Math.min((pair[0] + 0.5) / 2 ** 32, 1)));
      const angle = 2 * Math.PI * unitInterval(pair[1]);
      return 1 + 2 * radius * (i % 2 === 0 ? Math.cos(angle) : Math.sin(angle));
    });
    expectClose(out.normals, normals, { rtol: 0, atol: 0.01 }, 'randn vs Box–Muller of the same words');
  });

  it('repeats bit for bit after the same seed, and differs across seeds and across calls', async () => {
    const out = await gpu.run(async (wg) => {
      const draw = async (): Promise<number[][]> => {
        const tensors = [wg.rand([100]), wg.randn([100]), wg.randomInt([100], 0, 1000)];
        const values = await Promise.all(tensors.map(async (t) => Array.from(await t.data())));
        for (const t of tensors) t.dispose();
        return values;
      };
      wg.setSeed(42);
      const first = await draw();
      const second = await draw(); // the next calls of the same sequence
      wg.setSeed(42);
      const again = await draw();
      wg.setSeed(43);
      const otherSeed = await draw();
      return { first, second, again, otherSeed };
    });
    expect(out.again).toEqual(out.first);
    for (let k = 0; k < 3; k++) {
      expect(out.second[k]).not.toEqual(out.first[k]);
      expect(out.otherSeed[k]).not.toEqual(out.first[k]);
    }
    // Not merely shifted: few positions agree between independent streams.
    const agreements = out.first[0].filter((v, i) => v === out.otherSeed[0][i]).length;
    expect(agreements).toBeLessThan(3);
  });

  it('handles size 0 and sizes that are not a multiple of 4 or 64, and validates arguments', async () => {
    const out = await gpu.run(async (wg) => {
      const shapes = [[0], [3, 0], [1], [5], [67]];
      const sizes = shapes.map((shape) => wg.rand(shape).size);
      const values = await Promise.all(shapes.map(async (shape) => Array.from(await wg.rand(shape).data())));
      const messages: string[] = [];
      const attempts = [
        () => wg.setSeed(1.5), () => wg.rand([2, -1]), () => wg.rand([2], 1, 1), () => wg.randn([2], 0, -1),
        () => wg.randomInt([2], 3, 3), () => wg.randomInt([2], 0.5, 3), () => wg.randomInt([2], 0, 2 ** 31 + 1),
      ];
      for (const attempt of attempts) {
        try {
          attempt();
          messages.push('no error');
        } catch (error) {
          messages.push(`${(error as Error).name}: ${(error as Error).message}`);
        }
      }
      return { sizes, values, messages };
    });
    expect(out.sizes).toEqual([0, 0, 1, 5, 67]);
    expect(out.values.map((v) => v.length)).toEqual([0, 0, 1, 5, 67]);
    for (const v of out.values) expect(v.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(new Set(out.values[4]).size).toBe(67);
    expect(out.messages[0]).toMatch(/^ValueError: setSeed/);
    expect(out.messages[1]).toMatch(/^ShapeError: rand: .*\[2,-1\]/);
    expect(out.messages[2]).toMatch(/^ValueError: rand/);
    expect(out.messages[3]).toMatch(/^ValueError: randn: .*stddev/);
    for (const message of out.messages.slice(4)) expect(message).toMatch(/^ValueError: randomInt/);
  });

  it('is treated as a constant by the tape', async () => {
    const out = await gpu.run(async (wg) => {
      wg.setSeed(5);
      const x = wg.tensor([1, 2, 3, 4]);
      const tape = new wg.Tape();
      const [y, noise] = tape.record(() => {
        const r = wg.rand([4]);
        return [wg.mul(x, r), r];
      });
      const [gradient] = tape.gradient(y, [x], { outputGradient: wg.ones([4]) });
      return { gradient: Array.from(await gradient.data()), noise: Array.from(await noise.data()) };
    });
    expect(out.gradient).toEqual(out.noise);
  });
});

describe('distributions over 10^6 samples', () => {
  const N = 1_000_000;

  /** Mean, variance, extremes, lag-1 correlation and a 10-bin histogram of [lo, hi), computed in the page in float64. */
  async function statistics(kind: 'rand' | 'randn' | 'randomInt', args: number[], lo: number, hi: number) {
    return gpu.run(async (wg, { kind, args, n, lo, hi }) => {
      wg.setSeed(2024);
      const tensor = kind === 'rand' ? wg.rand([n], args[0], args[1]) : kind === 'randn' ? wg.randn([n], args[0], args[1]) : wg.randomInt([n], args[0], args[1]);
      const values = await tensor.data();
      tensor.dispose();
      let sum = 0;
      let min = Infinity;
      let max = -Infinity;
      for (const v of values) {
        sum += v;
        min = Math.min(min, v);
        max = Math.max(max, v);
      }
      const mean = sum / n;
      let squares = 0;
      let lagProducts = 0;
      let withinOne = 0;
      const bins = new Array<number>(10).fill(0);
      for (let i = 0; i < n; i++) {
        const centred = values[i] - mean;
        squares += centred * centred;
        if (i > 0) lagProducts += centred * (values[i - 1] - mean);
        if (Math.abs(centred) < 1) withinOne++;
        const bin = Math.floor(((values[i] - lo) / (hi - lo)) * 10);
        if (bin >= 0 && bin < 10) bins[bin]++;
      }
      const variance = squares / n;
      return { mean, variance, min, max, lagCorrelation: lagProducts / (n - 1) / variance, withinOne: withinOne / n, bins, dtype: tensor.dtype };
    }, { kind, args, n: N, lo, hi });
  }

  /** 5 standard errors of a sample mean of n draws with variance v. */
  const fiveSigma = (variance: number): number => 5 * Math.sqrt(variance / N);

  it('rand: mean 1/2, variance 1/12, all in [0, 1), flat histogram, no lag-1 correlation', async () => {
    const s = await statistics('rand', [0, 1], 0, 1);
    expect(s.dtype).toBe('float32');
    expect(s.min).toBeGreaterThanOrEqual(0);
    expect(s.max).toBeLessThan(1);
    expect(Math.abs(s.mean - 0.5)).toBeLessThan(fiveSigma(1 / 12));
    // Var of (x − μ)² for U(0,1): μ4 − σ⁴ = 1/80 − 1/144 = 1/180.
    expect(Math.abs(s.variance - 1 / 12)).toBeLessThan(fiveSigma(1 / 180));
    expect(Math.abs(s.lagCorrelation)).toBeLessThan(fiveSigma(1));
    // Each bin count is binomial(N, 0.1): standard deviation √(N·0.1·0.9) = 300.
    for (const count of s.bins) expect(Math.abs(count - N / 10)).toBeLessThan(5 * 300);
  });

  it('rand(min, max) stays in [min, max) with mean (min + max) / 2', async () => {
    const s = await statistics('rand', [-2, 3], -2, 3);
    expect(s.min).toBeGreaterThanOrEqual(-2);
    expect(s.max).toBeLessThan(3);
    expect(Math.abs(s.mean - 0.5)).toBeLessThan(fiveSigma(25 / 12));
    expect(Math.abs(s.variance - 25 / 12)).toBeLessThan(fiveSigma(625 / 180));
  });

  it('randn: mean 0, variance 1, 68.27% within one sigma, no lag-1 correlation', async () => {
    const s = await statistics('randn', [0, 1], -5, 5);
    expect(Math.abs(s.mean)).toBeLessThan(fiveSigma(1));
    // Var of (x − μ)² for N(0,1): μ4 − σ⁴ = 3 − 1 = 2.
    expect(Math.abs(s.variance - 1)).toBeLessThan(fiveSigma(2));
    const p = 0.6826894921370859;
    expect(Math.abs(s.withinOne - p)).toBeLessThan(fiveSigma(p * (1 - p)));
    expect(Math.abs(s.lagCorrelation)).toBeLessThan(fiveSigma(1));
    // 10^6 normals reach past 4 sigma on both sides (P(no sample beyond 4σ) ≈ e^-32 per side).
    expect(s.min).toBeLessThan(-4);
    expect(s.max).toBeGreaterThan(4);
  });

  it('randn(mean, stddev) shifts and scales', async () => {
    const s = await statistics('randn', [3, 0.5], -2, 8);
    expect(Math.abs(s.mean - 3)).toBeLessThan(fiveSigma(0.25));
    expect(Math.abs(s.variance - 0.25)).toBeLessThan(fiveSigma(2 * 0.25 ** 2));
  });

  it('randomInt: int32 over [low, high), every value about equally often', async () => {
    const s = await statistics('randomInt', [-3, 7], -3, 7);
    expect(s.dtype).toBe('int32');
    expect(s.min).toBe(-3);
    expect(s.max).toBe(6);
    for (const count of s.bins) expect(Math.abs(count - N / 10)).toBeLessThan(5 * 300);
    expect(Math.abs(s.mean - 1.5)).toBeLessThan(fiveSigma(99 / 12));
  });

  it('randomInt over the whole int32 range covers negative and positive values', async () => {
    const s = await statistics('randomInt', [-(2 ** 31), 2 ** 31], -(2 ** 31), 2 ** 31);
    expect(s.min).toBeLessThan(-(2 ** 30));
    expect(s.max).toBeGreaterThan(2 ** 30);
    for (const count of s.bins) expect(Math.abs(count - N / 10)).toBeLessThan(5 * 300);
  });
});
