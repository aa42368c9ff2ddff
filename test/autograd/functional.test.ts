// The functional forms over the tape: grad, valueAndGrad, variable and gradcheck, each checked
// against the Tape itself and a float64 CPU computation.
import { describe, expect, it } from 'vitest';
import type { Tensor } from '../../src/index';
import { useGpuPage } from '../harness/gpu-page';
import * as ref from '../reference';

function randomF32(shape: number[], rng: ref.Rng, lo = -1, hi = 1): number[] {
  return Array.from(ref.randomArray(shape, rng, lo, hi).data, Math.fround);
}

describe('grad, valueAndGrad, variable, gradcheck', () => {
  const gpu = useGpuPage();

  it('grad(f) and valueAndGrad(f) match the Tape bit for bit and a float64 reference; a non-scalar f is a ValueError', async () => {
    const rng = ref.mulberry32(301);
    const x = randomF32([3, 4], rng);
    const w = randomF32([4, 2], rng);
    const out = await gpu.run(async (wg, a) => {
      const data = async (t: Tensor) => Array.from(await t.data());
      const x = wg.tensor(a.x, [3, 4]);
      const w = wg.tensor(a.w, [4, 2]);
      const f = (x: Tensor, w: Tensor) => wg.sum(wg.square(wg.tanh(wg.matmul(x, w))));

      const tape = new wg.Tape();
      const y = tape.record(() => f(x, w));
      const viaTape = tape.gradient(y, [x, w]);
      const viaGrad = wg.grad(f)(x, w);
      const { value, grads } = wg.valueAndGrad(f)(x, w);

      const before = wg.memory().numTensors;
      let nonScalar = '';
      try {
        wg.valueAndGrad((x: Tensor, w: Tensor) => wg.matmul(x, w))(x, w);
      } catch (error) {
        nonScalar = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      }
      return {
        tape: await Promise.all(viaTape.map(data)), grad: await Promise.all(viaGrad.map(data)), valueAndGrad: await Promise.all(grads.map(data)),
        shapes: viaGrad.map((g) => [...g.shape]), tapeValue: (await y.data())[0], value: (await value.data())[0], valueShape: [...value.shape],
        nonScalar, leakedByNonScalar: wg.memory().numTensors - before,
      };
    }, { x, w });

    expect(out.grad).toEqual(out.tape);
    expect(out.valueAndGrad).toEqual(out.tape);
    expect(out.shapes).toEqual([[3, 4], [4, 2]]);
    expect(out.valueShape).toEqual([]);
    expect(out.value).toBe(out.tapeValue);

    // float64: L = Σ t², t = tanh(xw); dL/d(xw) = 2t(1 − t²); dL/dx = D·wᵀ, dL/dw = xᵀ·D.
    const xa = ref.ndarray([3, 4], x);
    const wa = ref.ndarray([4, 2], w);
    const t = ref.unary(ref.matmul(xa, wa), Math.tanh);
    const D = ref.unary(t, (v) => 2 * v * (1 - v * v));
    ref.expectClose([out.value], [t.data.reduce((s, v) => s + v * v, 0)], { rtol: 1e-5, atol: 0 }, 'value');
    ref.expectClose(out.grad[0], ref.matmul(D, wa, { transposeB: true }).data, { rtol: 1e-4, atol: 1e-6 }, 'grad x');
    ref.expectClose(out.grad[1], ref.matmul(xa, D, { transposeA: true }).data, { rtol: 1e-4, atol: 1e-6 }, 'grad w');

    expect(out.nonScalar).toBe('ValueError: valueAndGrad: f must return a scalar, got shape [3,2]');
    expect(out.leakedByNonScalar).toBe(0);
  });

  it('variable(t) is a trainable copy that survives tidy, can be differentiated and updated in place', async () => {
    const initial = [1.5, -2, 0.25];
    const out = await gpu.run(async (wg, a) => {
      const data = async (t: Tensor) => Array.from(await t.data());
      let v: Tensor | undefined;
      let frozen: Tensor | undefined;
      let ordinary: Tensor | undefined;
      let source: Tensor | undefined;
      wg.tidy(() => {
        source = wg.tensor(a.initial);
        v = wg.variable(source);
        frozen = wg.variable(wg.mul(source, 2), false);
        ordinary = wg.mul(source, 3);
      });
      if (!v || !frozen || !ordinary || !source) throw new Error('tidy did not run');
      const afterTidy = { v: v.isDisposed, frozen: frozen.isDisposed, ordinary: ordinary.isDisposed, source: source.isDisposed };
      const values = await data(v);

      // The variable as a tape source: d/dv Σ v² = 2v.
      const [gradient] = wg.grad((v: Tensor) => wg.sum(wg.square(v)))(v);
      // An optimizer-style in-place update (not recorded): v ← v − 0.5·gradient = 0.
      const update = wg.sub(v, wg.mul(gradient, 0.5));
      v.assign(update);
      return {
        afterTidy, values, trainable: v.trainable, frozenTrainable: frozen.trainable, frozenValues: await data(frozen),
        distinct: v !== source, gradient: await data(gradient), updated: await data(v), plainTrainable: wg.tensor([1]).trainable,
      };
    }, { initial });

    expect(out.afterTidy).toEqual({ v: false, frozen: false, ordinary: true, source: true });
    expect(out.values).toEqual(initial);
    expect(out.distinct).toBe(true);
    expect(out.trainable).toBe(true);
    expect(out.frozenTrainable).toBe(false);
    expect(out.plainTrainable).toBe(false);
    expect(out.frozenValues).toEqual(initial.map((v) => 2 * v));
    expect(out.gradient).toEqual(initial.map((v) => 2 * v));
    expect(out.updated).toEqual([0, 0, 0]);
  });

  it('gradcheck: small errors for correct gradients; a large error, per input, where noGrad hides part of f from the tape', async () => {
    const rng = ref.mulberry32(303);
    const x = randomF32([2, 3], rng);
    const w = randomF32([3, 2], rng);
    const out = await gpu.run(async (wg, a) => {
      const x = wg.tensor(a.x, [2, 3]);
      const w = wg.tensor(a.w, [3, 2]);
      const before = wg.memory().numTensors;
      const correct = await wg.gradcheck((x, w) => wg.sum(wg.mul(wg.tanh(wg.matmul(x, w)), wg.sin(wg.matmul(x, w)))), [x, w]);
      // exp(x) is computed under noGrad: the tape sees Σ(c + x) with c constant and reports 1, while
      // finite differences see exp(x) + 1.
      const hidden = await wg.gradcheck((x) => wg.sum(wg.add(wg.noGrad(() => wg.exp(x)), x)), [x]);
      // Only w's part is hidden: x's error stays small, w's is large.
      const partly = await wg.gradcheck((x, w) => wg.sum(wg.matmul(x, wg.noGrad(() => wg.mul(w, 1)))), [x, w]);
      return { correct, hidden, partly, leaked: wg.memory().numTensors - before };
    }, { x, w });

    // Central differences in float32 with eps 1e-2: truncation ~eps²·|f'''|/6 plus rounding ~1e-7·|f|/eps, both ≲ 1e-4.
    expect(out.correct.ok).toBe(true);
    expect(out.correct.maxRelativeError).toHaveLength(2);
    for (const error of out.correct.maxRelativeError) expect(error).toBeLessThan(2e-3);

    // The tape's gradient is 1 everywhere, the true one exp(x) + 1: relative error exp(x) / max(1, exp(x) + 1).
    expect(out.hidden.ok).toBe(false);
    const expectedHidden = Math.max(...x.map((v) => Math.exp(v) / Math.max(1, Math.exp(v) + 1)));
    ref.expectClose(out.hidden.maxRelativeError, [expectedHidden], { rtol: 0, atol: 2e-3 }, 'hidden exp error');

    // d/dw Σ x·w = column sums of x, which the tape reports as 0: the error is max |Σ_i x[i][k]| / max(1, ·).
    expect(out.partly.ok).toBe(false);
    expect(out.partly.maxRelativeError[0]).toBeLessThan(2e-3);
    const columnSums = [0, 1, 2].map((k) => x[k] + x[3 + k]);
    const expectedPartly = Math.max(...columnSums.map((s) => Math.abs(s) / Math.max(1, Math.abs(s))));
    expect(expectedPartly, 'the seed gives a clearly wrong w gradient').toBeGreaterThan(0.1);
    ref.expectClose([out.partly.maxRelativeError[1]], [expectedPartly], { rtol: 0, atol: 2e-3 }, 'hidden w error');
    expect(out.leaked).toBe(0);
  });
});
