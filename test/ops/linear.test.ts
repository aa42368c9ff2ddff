// linear(x, kernel, bias, activation) = f(x·kernel + bias) against a float64 closed form, forward
// (fused epilogue, no tape) and backward (on a tape), for every activation the epilogue applies.
// The gradient must be f' taken at the pre-activation z. z reaches ±3.5 in magnitude, where f(z) and
// z differ (but for relu at z > 0), so f' taken at the output instead (sigmoid'(σ(z)) for
// sigmoid'(z)) misses by far more than the tolerance.
import { describe, expect, it } from 'vitest';
import { useGpuPage } from '../harness/gpu-page';
import * as ref from '../reference';

const FLOAT32_EPSILON = 2 ** -23;

const activations = {
  linear: { f: (z: number) => z, derivative: () => 1 },
  relu: { f: (z: number) => Math.max(z, 0), derivative: (z: number) => (z > 0 ? 1 : 0) },
  sigmoid: { f: (z: number) => 1 / (1 + Math.exp(-z)), derivative: (z: number) => Math.exp(-z) / (1 + Math.exp(-z)) ** 2 },
  tanh: { f: Math.tanh, derivative: (z: number) => 1 - Math.tanh(z) ** 2 },
};
type Activation = keyof typeof activations;

const [ROWS, IN, OUT] = [4, 3, 5];

/** Inputs rounded to float32, so the GPU and the float64 reference see the same values. */
function inputs(seed: number): { x: number[]; kernel: number[]; bias: number[]; dy: number[] } {
  const rng = ref.mulberry32(seed);
  const draw = (count: number, scale: number): number[] => Array.from(Float32Array.from({ length: count }, () => scale * ref.randomUniform(rng)));
  return { x: draw(ROWS * IN, 1), kernel: draw(IN * OUT, 1), bias: draw(OUT, 0.5), dy: draw(ROWS * OUT, 1) };
}

describe('linear', () => {
  const gpu = useGpuPage();

  it('applies each activation at z and differentiates it at z, not at its output', async () => {
    const data = inputs(17);
    const names = Object.keys(activations) as Activation[];
    const results = await gpu.run(async (wg, { data, names, shape }) => {
      const [rows, inSize, outSize] = shape;
      const x = wg.tensor(data.x, [rows, inSize]);
      const kernel = wg.tensor(data.kernel, [inSize, outSize]);
      const bias = wg.tensor(data.bias, [outSize]);
      const dy = wg.tensor(data.dy, [rows, outSize]);
      const out = [];
      for (const activation of names) {
        const fused = wg.linear(x, kernel, bias, activation);
        const tape = new wg.Tape();
        const taped = tape.record(() => wg.linear(x, kernel, bias, activation));
        const gradients = tape.gradient(taped, [x, kernel, bias], { outputGradient: dy });
        out.push({
          fused: Array.from(await fused.data()),
          taped: Array.from(await taped.data()),
          gradients: await Promise.all(gradients.map(async (g) => Array.from(await g.data()))),
        });
        for (const t of [fused, taped, ...gradients]) t.dispose();
      }
      for (const t of [x, kernel, bias, dy]) t.dispose();
      return out;
    }, { data, names, shape: [ROWS, IN, OUT] });

    const z = Array.from({ length: ROWS * OUT }, (_, k) => {
      const [i, j] = [Math.floor(k / OUT), k % OUT];
      let total = data.bias[j];
      for (let l = 0; l < IN; l++) total += data.x[i * IN + l] * data.kernel[l * OUT + j];
      return total;
    });
    // z itself is a float32 sum of IN + 1 terms each below 1 in magnitude, so off by at most
    // (IN + 1)·2^-24·(IN + 1); f and f' move by at most that (|f'|, |f''| ≤ 1 here), and every
    // gradient element sums at most OUT (or ROWS) products of such values: 2^-17 bounds it all
    // with room.
    const tolerance = 2 ** 6 * FLOAT32_EPSILON;
    names.forEach((name, a) => {
      const { f, derivative } = activations[name];
      const dz = z.map((value, k) => data.dy[k] * derivative(value));
      const dx = Array.from({ length: ROWS * IN }, (_, k) => {
        const [i, l] = [Math.floor(k / IN), k % IN];
        return Array.from({ length: OUT }, (_, j) => dz[i * OUT + j] * data.kernel[l * OUT + j]).reduce((s, v) => s + v, 0);
      });
      const dkernel = Array.from({ length: IN * OUT }, (_, k) => {
        const [l, j] = [Math.floor(k / OUT), k % OUT];
        return Array.from({ length: ROWS }, (_, i) => data.x[i * IN + l] * dz[i * OUT + j]).reduce((s, v) => s + v, 0);
      });
      const dbias = Array.from({ length: OUT }, (_, j) => Array.from({ length: ROWS }, (_, i) => dz[i * OUT + j]).reduce((s, v) => s + v, 0));
      const expected = { fused: z.map(f), taped: z.map(f), dx, dkernel, dbias };
      const actual = { fused: results[a].fused, taped: results[a].taped, dx: results[a].gradients[0], dkernel: results[a].gradients[1], dbias: results[a].gradients[2] };
      for (const key of Object.keys(expected) as (keyof typeof expected)[]) {
        expect(actual[key].length, `${name} ${key}`).toBe(expected[key].length);
        actual[key].forEach((value, k) => expect(Math.abs(value - expected[key][k]), `${name} ${key}[${k}]`).toBeLessThanOrEqual(tolerance));
      }
    });
  });

  it('under a tape keeps the activation in the matmul epilogue (one dispatch) and differentiates NaN and ±Inf pre-activations by IEEE-754', async () => {
    const results = await gpu.run(async (wg) => {
      // x·[[1]] = x: z is NaN, +Inf, −Inf, 0 (and −2 for a finite slope off 0).
      const x = wg.tensor([NaN, Infinity, -Infinity, 0, -2], [5, 1]);
      const kernel = wg.tensor([1], [1, 1]);
      const out: Record<string, { dispatches: number; y: number[]; dx: number[] }> = {};
      for (const activation of ['sigmoid', 'tanh', 'relu'] as const) {
        await wg.synchronize();
        const before = wg.commandStats().dispatches;
        const tape = new wg.Tape();
        const y = tape.record(() => wg.linear(x, kernel, null, activation));
        await wg.synchronize();
        const dispatches = wg.commandStats().dispatches - before;
        const [dx] = tape.gradient(y, [x]);
        out[activation] = { dispatches, y: Array.from(await y.data()), dx: Array.from(await dx.data()) };
        for (const t of [y, dx]) t.dispose();
      }
      return out;
    });
    // f'(z) with dy = 1: NaN at NaN; at ±Inf sigmoid and tanh are flat (σ(1 − σ) = 0, 1 − tanh² = 0)
    // and relu passes dy at +Inf only; at 0, σ' = 1/4, tanh' = 1, relu'(0) = 0 (TF.js, PyTorch);
    // at −2, σ' = e^-2/(1 + e^-2)² and tanh' = 1 − tanh²(2) (float32, within 4 ulp of 1/8).
    const sigmoidSlope = Math.exp(-2) / (1 + Math.exp(-2)) ** 2;
    const expected = {
      sigmoid: [NaN, 0, 0, 0.25, sigmoidSlope],
      tanh: [NaN, 0, 0, 1, 1 - Math.tanh(2) ** 2],
      relu: [NaN, 1, 0, 0, 0],
    };
    for (const activation of ['sigmoid', 'tanh', 'relu'] as const) {
      const { dispatches, dx } = results[activation];
      expect(dispatches, activation).toBe(1);
      dx.forEach((value, k) => {
        const want = expected[activation][k];
        if (!Number.isFinite(want) || want === 0 || want === 1 || want === 0.25) expect(value, `${activation} dx[${k}]`).toBe(want);
        else expect(Math.abs(value - want), `${activation} dx[${k}]`).toBeLessThanOrEqual(4 * FLOAT32_EPSILON * want);
      });
    }
    expect(results.relu.y).toEqual([NaN, Infinity, 0, 0, 0]);
  });

  it('differentiates its own backward rule: a second derivative through the epilogue activation matches float64 finite differences', async () => {
    const data = inputs(23);
    const names = ['sigmoid', 'tanh'] as const;
    const results = await gpu.run(async (wg, { data, names, shape }) => {
      const [rows, inSize, outSize] = shape;
      const x = wg.tensor(data.x, [rows, inSize]);
      const kernel = wg.tensor(data.kernel, [inSize, outSize]);
      const bias = wg.tensor(data.bias, [outSize]);
      const out: number[][] = [];
      for (const activation of names) {
        // d/dx Σ (∂/∂x Σ linear(x))
        const first = (x: typeof kernel) => wg.grad((x: typeof kernel) => wg.sum(wg.linear(x, kernel, bias, activation)))(x)[0];
        const second = wg.grad((x: typeof kernel) => wg.sum(first(x)))(x)[0];
        out.push(Array.from(await second.data()));
        second.dispose();
      }
      return out;
    }, { data, names, shape: [ROWS, IN, OUT] });
    names.forEach((name, a) => {
      const { derivative } = activations[name];
      // g(x) = Σ_il ∂/∂x_il Σ_ij f(z_ij) = Σ_il Σ_j f'(z_ij)·kernel_lj, in float64.
      const g = ([x]: ref.NdArray[]): number => {
        let total = 0;
        for (let i = 0; i < ROWS; i++) {
          for (let j = 0; j < OUT; j++) {
            let z = data.bias[j];
            for (let l = 0; l < IN; l++) z += x.data[i * IN + l] * data.kernel[l * OUT + j];
            for (let l = 0; l < IN; l++) total += derivative(z) * data.kernel[l * OUT + j];
          }
        }
        return total;
      };
      const [expected] = ref.numericGradient(g, [ref.ndarray([ROWS, IN], data.x)]);
      // f'' and products of float32 values below 1 summed over OUT·IN terms; the central difference
      // is accurate to ~1e-9. An f'' taken at the output instead of z misses by O(0.1).
      ref.expectClose(results[a], expected.data, { rtol: 1e-4, atol: 1e-5 });
    });
  });

  it('has logged no console errors', () => {
    expect(gpu.consoleErrors()).toEqual([]);
  });
});
