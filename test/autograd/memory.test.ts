// What the tape keeps alive and when it lets go: exact tensor and byte counts after gradient, no
// growth over repeated record/gradient loops (inside and outside tidy), tidy inside record, and
// no leak when gradient or valueAndGrad throw.
import { describe, expect, it } from 'vitest';
import type { Tensor } from '../../src/index';
import { useGpuPage } from '../harness/gpu-page';
import * as ref from '../reference';

function randomF32(shape: number[], rng: ref.Rng, lo = -1, hi = 1): number[] {
  return Array.from(ref.randomArray(shape, rng, lo, hi).data, Math.fround);
}

describe('tape memory', () => {
  const gpu = useGpuPage();

  it('after gradient only the target and the returned gradients remain; 50 record/gradient rounds leak nothing, inside or outside tidy', async () => {
    const rng = ref.mulberry32(401);
    const args = { x: randomF32([4, 3], rng), w: randomF32([3, 5], rng), b: randomF32([5], rng) };
    const out = await gpu.run(async (wg, a) => {
      const x = wg.tensor(a.x, [4, 3]);
      const w = wg.tensor(a.w, [3, 5]);
      const b = wg.tensor(a.b, [5]);
      // Number operands (scalar tensors the ops make and drop), a reshape view, mean (whose inner
      // sum the op disposes itself), relu's comparison mask: all must be freed with the tape.
      const loss = () => wg.mean(wg.reshape(wg.square(wg.sub(wg.relu(wg.add(wg.matmul(x, w), b)), 0.5)), [20]));
      const snapshot = () => ({ tensors: wg.memory().numTensors, bytes: wg.memory().numBytes });

      const before = snapshot();
      const tape = new wg.Tape();
      const y = tape.record(loss);
      const recorded = tape.size;
      const whileHeld = snapshot();
      const grads = tape.gradient(y, [x, w, b]);
      const afterGradient = snapshot();
      const gradientBytes = 4 * (y.size + grads.reduce((total, g) => total + g.size, 0));
      y.dispose();
      grads.forEach((g) => g.dispose());
      const afterDispose = snapshot();

      const outside: { tensors: number; bytes: number }[] = [];
      const pool: number[] = [];
      for (let round = 0; round < 50; round++) {
        const roundTape = new wg.Tape();
        const value = roundTape.record(loss);
        roundTape.gradient(value, [x, w, b]).forEach((g) => g.dispose());
        value.dispose();
        outside.push(snapshot());
        pool.push(wg.memory().numBytesInPool);
      }
      const inside: { tensors: number; bytes: number }[] = [];
      for (let round = 0; round < 50; round++) {
        wg.tidy(() => {
          const roundTape = new wg.Tape();
          roundTape.gradient(roundTape.record(loss), [x, w, b]);
        });
        inside.push(snapshot());
      }
      // A tidy that returns the gradients hands exactly those to the caller.
      const kept = wg.tidy(() => {
        const roundTape = new wg.Tape();
        return roundTape.gradient(roundTape.record(loss), [x, w, b]);
      });
      const afterKept = snapshot();
      kept.forEach((g) => g.dispose());
      return { before, recorded, whileHeld, afterGradient, gradientBytes, afterDispose, outside, inside, pool, afterKept, end: snapshot() };
    }, args);

    // The forward records matmul, add, relu, sub, square, reshape, sum (mean's) and div: 8 ops, and
    // every intermediate stays alive until gradient.
    expect(out.recorded).toBe(8);
    expect(out.whileHeld.tensors).toBeGreaterThan(out.before.tensors + 1 + 5);
    // Left after gradient: x, w, b (in `before`), the target y, and the three gradients. Nothing else.
    expect(out.afterGradient.tensors).toBe(out.before.tensors + 1 + 3);
    expect(out.afterGradient.bytes).toBe(out.before.bytes + out.gradientBytes);
    expect(out.gradientBytes).toBe(4 * (1 + 12 + 15 + 5));
    expect(out.afterDispose).toEqual(out.before);
    for (const [round, counts] of out.outside.entries()) expect(counts, `round ${round} outside tidy`).toEqual(out.before);
    for (const [round, counts] of out.inside.entries()) expect(counts, `round ${round} inside tidy`).toEqual(out.before);
    // Identical rounds reuse the same pooled buffers: the pool stops growing after the first.
    expect(new Set(out.pool.slice(1)).size).toBe(1);
    expect(out.afterKept.tensors).toBe(out.before.tensors + 3);
    expect(out.end).toEqual(out.before);
  });

  it('a tidy inside record, and intermediates disposed by hand, do not break backward; the tape frees them afterwards', async () => {
    const rng = ref.mulberry32(402);
    const x = randomF32([3, 4], rng);
    const w = randomF32([4, 2], rng);
    const out = await gpu.run(async (wg, a) => {
      const x = wg.tensor(a.x, [3, 4]);
      const w = wg.tensor(a.w, [4, 2]);
      const before = wg.memory().numTensors;
      const tape = new wg.Tape();
      const y = tape.record(() => {
        // tidy disposes the matmul and tanh outputs, which tanh's and square's rules still need.
        const squared = wg.tidy(() => wg.square(wg.tanh(wg.matmul(x, w))));
        const total = wg.sum(squared);
        squared.dispose();
        return total;
      });
      const [gx, gw] = tape.gradient(y, [x, w]);
      const result = { gx: Array.from(await gx.data()), gw: Array.from(await gw.data()), remaining: wg.memory().numTensors - before };
      for (const t of [y, gx, gw]) t.dispose();
      return { ...result, end: wg.memory().numTensors - before };
    }, { x, w });

    const xa = ref.ndarray([3, 4], x);
    const wa = ref.ndarray([4, 2], w);
    const D = ref.unary(ref.matmul(xa, wa), (v) => 2 * Math.tanh(v) * (1 - Math.tanh(v) ** 2));
    ref.expectClose(out.gx, ref.matmul(D, wa, { transposeB: true }).data, { rtol: 1e-4, atol: 1e-6 }, 'dL/dx');
    ref.expectClose(out.gw, ref.matmul(xa, D, { transposeA: true }).data, { rtol: 1e-4, atol: 1e-6 }, 'dL/dw');
    expect(out.remaining).toBe(3);
    expect(out.end).toBe(0);
  });

  it('a gradient that throws still releases a one-shot tape; grad and valueAndGrad leak nothing when they throw, and never dispose an argument', async () => {
    const out = await gpu.run(async (wg) => {
      const x = wg.tensor([0.5, -1.5, 2]);
      const count = () => wg.memory().numTensors;
      const errorName = (f: () => unknown) => {
        try {
          f();
          return 'no error';
        } catch (error) {
          return error instanceof Error ? error.name : String(error);
        }
      };
      const comparisonOnly = (x: Tensor) => wg.sum(wg.mul(wg.greater(wg.exp(x), 1), 2));

      let before = count();
      const tape = new wg.Tape();
      const y = tape.record(() => comparisonOnly(x));
      const tapeError = errorName(() => tape.gradient(y, [x]));
      y.dispose();
      const tapeLeak = count() - before;
      const reuse = errorName(() => tape.gradient(y, [x]));

      before = count();
      const gradError = errorName(() => wg.grad(comparisonOnly)(x));
      const valueAndGradError = errorName(() => wg.valueAndGrad(comparisonOnly)(x));
      const functionalLeak = count() - before;

      // f returning its own argument: the value is the argument, which grad must not dispose.
      const s = wg.tensor(3);
      before = count();
      const [ds] = wg.grad((s: Tensor) => s)(s);
      const identity = { disposed: s.isDisposed, gradient: Array.from(await ds.data()), value: Array.from(await s.data()) };
      ds.dispose();
      const identityLeak = count() - before;
      before = count();
      const nonScalarError = errorName(() => wg.valueAndGrad((x: Tensor) => x)(x));
      const nonScalarIdentity = { disposed: x.isDisposed, leak: count() - before };
      return { tapeError, tapeLeak, reuse, gradError, valueAndGradError, functionalLeak, identity, identityLeak, nonScalarError, nonScalarIdentity };
    });

    expect(out.tapeError).toBe('NonDifferentiableError');
    expect(out.tapeLeak).toBe(0);
    expect(out.reuse).toBe('ValueError');
    expect(out.gradError).toBe('NonDifferentiableError');
    expect(out.valueAndGradError).toBe('NonDifferentiableError');
    expect(out.functionalLeak).toBe(0);
    expect(out.identity).toEqual({ disposed: false, gradient: [1], value: [3] });
    expect(out.identityLeak).toBe(0);
    expect(out.nonScalarError).toBe('ValueError');
    expect(out.nonScalarIdentity).toEqual({ disposed: false, leak: 0 });
  });
});
