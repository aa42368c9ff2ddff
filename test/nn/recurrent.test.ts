// LSTM and GRU against float64 implementations of Keras 3's cell equations (recurrent-reference.ts):
// outputs, and gradients of sum(layer(x)·w) with respect to x and every weight against central
// differences of that float64 forward; Keras's parameter counts; the orthogonal recurrent kernel;
// the forget-gate bias; save / load; errors.
import { describe, expect, it } from 'vitest';
import type { Tensor } from '../../src/tensor';
import { useGpuPage } from '../harness/gpu-page';
import { expectClose } from '../reference';
import { recurrentForward, recurrentRun, type RecurrentConfig, type RecurrentWeights } from './recurrent-reference';

const gpu = useGpuPage();
const [BATCH, STEPS, FEATURES, UNITS] = [2, 4, 3, 5];

const configs: (RecurrentConfig & { label: string; useBias: boolean })[] = [
  { label: 'LSTM', kind: 'lstm', units: UNITS, features: FEATURES, returnSequences: false, goBackwards: false, useBias: true },
  { label: 'LSTM sequences backwards', kind: 'lstm', units: UNITS, features: FEATURES, returnSequences: true, goBackwards: true, useBias: true },
  { label: 'LSTM without bias', kind: 'lstm', units: UNITS, features: FEATURES, returnSequences: true, goBackwards: false, useBias: false },
  { label: 'GRU', kind: 'gru', units: UNITS, features: FEATURES, returnSequences: false, goBackwards: false, useBias: true, resetAfter: true },
  { label: 'GRU sequences', kind: 'gru', units: UNITS, features: FEATURES, returnSequences: true, goBackwards: false, useBias: true, resetAfter: true },
  { label: 'GRU resetAfter false, backwards', kind: 'gru', units: UNITS, features: FEATURES, returnSequences: true, goBackwards: true, useBias: true, resetAfter: false },
];

interface LayerRun {
  x: number[];
  weights: Record<string, number[]>;
  shapes: Record<string, number[]>;
  y: number[];
  yShape: number[];
  w: number[];
  gradients: Record<string, number[]>;
  params: number;
  reloaded: number[];
}

/** Central differences of the float64 objective Σ y·w over every element of one array. */
function numericGradient(values: number[], objective: (values: number[]) => number): number[] {
  const h = 1e-6;
  return values.map((_, i) => {
    const plus = [...values];
    const minus = [...values];
    plus[i] += h;
    minus[i] -= h;
    return (objective(plus) - objective(minus)) / (2 * h);
  });
}

describe('LSTM and GRU', () => {
  it('match float64 Keras cells in outputs and in every gradient, with Keras parameter counts, and survive save / load', async () => {
    const runs = await gpu.run(async (wg, { configs, BATCH, STEPS, FEATURES }) => {
      wg.setSeed(11);
      const out: Record<string, LayerRun> = {};
      for (const config of configs) {
        const options = { returnSequences: config.returnSequences, goBackwards: config.goBackwards, useBias: config.useBias, inputShape: [STEPS, FEATURES] };
        const layer = config.kind === 'lstm'
          ? new wg.layers.LSTM(config.units, options)
          : new wg.layers.GRU(config.units, { ...options, resetAfter: config.resetAfter });
        const model = new wg.Sequential([layer]);
        // Non-zero biases so every bias path is exercised (they start at zeros and ones).
        const current = model.getWeights();
        const biasIndex = [...layer.weights.keys()].indexOf('bias');
        if (biasIndex >= 0) current[biasIndex] = wg.randn(current[biasIndex].shape, 0, 0.5);
        model.setWeights(current);
        current.forEach((t) => t.dispose());
        const x = wg.randn([BATCH, STEPS, FEATURES]);
        const y = model.predict(x) as Tensor;
        const w = wg.randn(y.shape);
        const sources = [x, ...layer.weights.values()];
        const tape = new wg.Tape();
        const objective = tape.record(() => wg.sum(wg.mul(layer.apply(x), w)));
        const grads = tape.gradient(objective, sources);
        const names = ['x', ...layer.weights.keys()];
        const loaded = wg.loadModel(await model.save());
        const reloaded = loaded.predict(x) as Tensor;
        const run: LayerRun = {
          x: Array.from(await x.data()), weights: {}, shapes: {}, y: Array.from(await y.data()), yShape: [...y.shape],
          w: Array.from(await w.data()), gradients: {}, params: model.countParams(), reloaded: Array.from(await reloaded.data()),
        };
        for (const [name, weight] of layer.weights) {
          run.weights[name] = Array.from(await weight.data());
          run.shapes[name] = [...weight.shape];
        }
        for (const [k, g] of grads.entries()) run.gradients[names[k]] = Array.from(await g.data());
        [x, y, w, objective, reloaded, ...grads].forEach((t) => t.dispose());
        model.dispose();
        loaded.dispose();
        out[config.label] = run;
      }
      return out;
    }, { configs, BATCH, STEPS, FEATURES });

    for (const config of configs) {
      const run = runs[config.label];
      const weightsOf = (values: Record<string, number[]>): RecurrentWeights => ({
        kernel: values.kernel, recurrentKernel: values.recurrent_kernel, bias: values.bias ?? null,
      });
      const forward = (x: number[], weights: Record<string, number[]>) => recurrentForward(x, BATCH, STEPS, config, weightsOf(weights));
      const gates = config.kind === 'lstm' ? 4 : 3;
      // Keras's layouts: kernel [features, gates·units], recurrent_kernel [units, gates·units];
      // bias [4u] for LSTM, [2, 3u] for GRU with resetAfter, [3u] without.
      expect(run.shapes.kernel, config.label).toEqual([FEATURES, gates * UNITS]);
      expect(run.shapes.recurrent_kernel, config.label).toEqual([UNITS, gates * UNITS]);
      if (config.useBias) expect(run.shapes.bias, config.label).toEqual(config.kind === 'gru' && config.resetAfter ? [2, 3 * UNITS] : [gates * UNITS]);
      else expect(run.shapes.bias, config.label).toBeUndefined();
      // Keras's count_params(): the sum of those shapes' sizes.
      const biasSize = !config.useBias ? 0 : config.kind === 'gru' && config.resetAfter ? 6 * UNITS : gates * UNITS;
      expect(run.params, config.label).toBe(gates * UNITS * (FEATURES + UNITS) + biasSize);

      expect(run.yShape, config.label).toEqual(config.returnSequences ? [BATCH, STEPS, UNITS] : [BATCH, UNITS]);
      // Float32 through four steps of matmuls and saturating activations: a few 1e-7 per step.
      expectClose(run.y, forward(run.x, run.weights), { rtol: 1e-5, atol: 2e-6 }, `${config.label} output`);
      expect(run.reloaded, `${config.label} reloaded`).toEqual(run.y);

      const objective = (x: number[], weights: Record<string, number[]>) => forward(x, weights).reduce((sum, v, i) => sum + v * run.w[i], 0);
      // The float64 central difference is exact to ~1e-9; the float32 backward through time to ~1e-6.
      const tolerance = { rtol: 1e-4, atol: 1e-5 };
      expectClose(run.gradients.x, numericGradient(run.x, (x) => objective(x, run.weights)), tolerance, `${config.label} dx`);
      for (const name of Object.keys(run.weights)) {
        const numeric = numericGradient(run.weights[name], (values) => objective(run.x, { ...run.weights, [name]: values }));
        expectClose(run.gradients[name], numeric, tolerance, `${config.label} d${name}`);
      }
    }
  });

  it('start from an orthogonal recurrent kernel (reproducible under setSeed) and a forget-gate bias of ones', async () => {
    const out = await gpu.run(async (wg) => {
      const read = async (units: number, features: number, seed: number) => {
        wg.setSeed(seed);
        const layer = new wg.layers.LSTM(units);
        layer.build([3, features]);
        const result = {
          recurrent: Array.from(await layer.weights.get('recurrent_kernel')!.data()),
          bias: Array.from(await layer.weights.get('bias')!.data()),
        };
        layer.dispose();
        return result;
      };
      const gru = new wg.layers.GRU(6);
      gru.build([2, 4]);
      const gruRecurrent = Array.from(await gru.weights.get('recurrent_kernel')!.data());
      gru.dispose();
      return { a: await read(4, 2, 7), b: await read(4, 2, 7), c: await read(4, 2, 8), gruRecurrent };
    });
    // recurrent_kernel [u, 4u] is wide: its rows are orthonormal, R·Rᵀ = I (float32: ~1e-7 each).
    const rowsOrthonormal = (values: number[], rows: number, cols: number) => {
      for (let i = 0; i < rows; i++) {
        for (let j = 0; j < rows; j++) {
          let dot = 0;
          for (let k = 0; k < cols; k++) dot += values[i * cols + k] * values[j * cols + k];
          expect(Math.abs(dot - (i === j ? 1 : 0)), `row ${i}·row ${j}`).toBeLessThan(1e-6);
        }
      }
    };
    rowsOrthonormal(out.a.recurrent, 4, 16);
    rowsOrthonormal(out.gruRecurrent, 6, 18);
    expect(out.b.recurrent).toEqual(out.a.recurrent);
    expect(out.c.recurrent).not.toEqual(out.a.recurrent);
    // unitForgetBias: zeros for i, c and o, ones for f (Keras's LSTMCell bias_initializer).
    expect(out.a.bias).toEqual([0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('return their states and start from given ones: a Keras encoder-decoder as a functional model, vs float64, through save / load', async () => {
    const out = await gpu.run(async (wg) => {
      wg.setSeed(5);
      const encoderInput = wg.input({ shape: [3, 2], name: 'source' });
      const decoderInput = wg.input({ shape: [4, 3], name: 'target' });
      const encoder = new wg.layers.LSTM(4, { returnState: true, name: 'encoder' });
      // Typed as a list: returnState: true makes apply return [output, h, c].
      const [, h, c] = encoder.apply(encoderInput);
      const decoder = new wg.layers.LSTM(4, { returnSequences: true, name: 'decoder' });
      const sequence = decoder.apply([decoderInput, h, c]);
      const gru = new wg.layers.GRU(4, { returnState: true, name: 'gru' });
      const [gruOut, gruState] = gru.apply([sequence, h]);
      const model = wg.model({ inputs: [encoderInput, decoderInput], outputs: [sequence, gruOut, gruState, c] });
      const xs = [wg.randn([2, 3, 2]), wg.randn([2, 4, 3])];
      const predictions = model.predict(xs) as Tensor[];
      const loaded = wg.loadModel(await model.save());
      const reloaded = loaded.predict(xs) as Tensor[];
      const weights: Record<string, Record<string, number[]>> = {};
      for (const layer of [encoder, decoder, gru]) {
        weights[layer.name] = {};
        for (const [name, w] of layer.weights) weights[layer.name][name] = Array.from(await w.data());
      }
      const errors: Record<string, string> = {};
      const attempts: Record<string, () => unknown> = {
        sequential: () => new wg.Sequential([new wg.layers.GRU(2, { returnState: true, inputShape: [3, 2] })]),
        stateShape: () => new wg.layers.LSTM(4).apply([decoderInput, h, wg.input({ shape: [5] })]),
        stateCount: () => new wg.layers.GRU(4).apply([decoderInput, h, c]),
      };
      for (const [name, attempt] of Object.entries(attempts)) {
        try {
          attempt();
          errors[name] = 'no error';
        } catch (error) {
          errors[name] = `${(error as Error).name}: ${(error as Error).message}`;
        }
      }
      const result = {
        xs: await Promise.all(xs.map(async (x) => Array.from(await x.data()))),
        predictions: await Promise.all(predictions.map(async (p) => Array.from(await p.data()))),
        shapes: predictions.map((p) => [...p.shape]),
        reloaded: await Promise.all(reloaded.map(async (p) => Array.from(await p.data()))),
        weights,
        summary: model.summary(),
        errors,
      };
      [...xs, ...predictions, ...reloaded].forEach((t) => t.dispose());
      model.dispose();
      loaded.dispose();
      return result;
    });
    const weightsOf = (layer: string): RecurrentWeights => ({
      kernel: out.weights[layer].kernel, recurrentKernel: out.weights[layer].recurrent_kernel, bias: out.weights[layer].bias,
    });
    const base = { units: 4, returnSequences: false, goBackwards: false };
    const encoded = recurrentRun(out.xs[0], 2, 3, { ...base, kind: 'lstm', features: 2 }, weightsOf('encoder'));
    const decoded = recurrentRun(out.xs[1], 2, 4, { ...base, kind: 'lstm', features: 3, returnSequences: true }, weightsOf('decoder'), encoded);
    const gru = recurrentRun(decoded.output, 2, 4, { ...base, kind: 'gru', features: 4, resetAfter: true }, weightsOf('gru'), { h: encoded.h });
    expect(out.shapes).toEqual([[2, 4, 4], [2, 4], [2, 4], [2, 4]]);
    const tolerance = { rtol: 1e-5, atol: 2e-6 };
    expectClose(out.predictions[0], decoded.output, tolerance, 'decoder sequence');
    expectClose(out.predictions[1], gru.output, tolerance, 'gru output');
    // A GRU's output without returnSequences is its final state.
    expectClose(out.predictions[2], gru.h, tolerance, 'gru state');
    expectClose(out.predictions[3], encoded.c, tolerance, 'encoder carry');
    expect(out.reloaded).toEqual(out.predictions);
    // Keras's "Connected to": the decoder reads the encoder's outputs 1 and 2 (h and c) of node 0.
    expect(out.summary).toMatch(/decoder \(LSTM\).*target\[0\]\[0\], encoder\[0\]\[1\], encoder\[0\]\[2\]/);
    expect(out.summary).toMatch(/encoder \(LSTM\)\s+\(None, 4\), \(None, 4\), \(None, 4\)/);
    expect(out.errors.sequential).toMatch(/ValueError: .*returns 2 tensors; a Sequential model passes one/);
    expect(out.errors.stateShape).toMatch(/ShapeError: .*initial state 1 must be \[batch, 4\], got samples of shape \[5\]/);
    expect(out.errors.stateCount).toMatch(/ValueError: .*GRU takes a sequence, or \[x, h0\] to start from given states; got 3 inputs/);
  });

  it('drop inputs and states in training with one mask per call, shared by every step, as Keras; none in inference', async () => {
    const out = await gpu.run(async (wg) => {
      wg.setSeed(9);
      const runs: Record<string, { weights: Record<string, number[]>; x: number[]; training: number[][]; inference: number[] }> = {};
      for (const kind of ['lstm', 'gru', 'gruBefore'] as const) {
        const options = { dropout: 0.5, recurrentDropout: 0.5, returnSequences: true };
        const layer = kind === 'lstm' ? new wg.layers.LSTM(2, options) : new wg.layers.GRU(2, { ...options, resetAfter: kind === 'gru' });
        const x = wg.randn([1, 3, 2]);
        const inference = layer.apply(x);
        const training: number[][] = [];
        for (let call = 0; call < 12; call++) {
          const y = layer.apply(x, { training: true });
          training.push(Array.from(await y.data()));
          y.dispose();
        }
        const weights: Record<string, number[]> = {};
        for (const [name, w] of layer.weights) weights[name] = Array.from(await w.data());
        runs[kind] = { weights, x: Array.from(await x.data()), training, inference: Array.from(await inference.data()) };
        [x, inference].forEach((t) => t.dispose());
        layer.dispose();
      }
      return runs;
    });
    // Every mask a rate of 0.5 can draw over 2 features and 2 units: each element 0 or 1/(1 − 0.5) = 2.
    const masks = [0, 1, 2, 3].map((bits) => [bits & 1 ? 2 : 0, bits & 2 ? 2 : 0]);
    for (const [kind, run] of Object.entries(out)) {
      const config: RecurrentConfig = { kind: kind === 'lstm' ? 'lstm' : 'gru', units: 2, features: 2, returnSequences: true, goBackwards: false, resetAfter: kind === 'gru' };
      const weights: RecurrentWeights = { kernel: run.weights.kernel, recurrentKernel: run.weights.recurrent_kernel, bias: run.weights.bias };
      expectClose(run.inference, recurrentForward(run.x, 1, 3, config, weights), { rtol: 1e-5, atol: 2e-6 }, `${kind} inference`);
      const candidates = masks.flatMap((input) => masks.map((state) => ({ key: `${input}|${state}`, y: recurrentRun(run.x, 1, 3, config, weights, {}, { input, state }).output })));
      const drawn = run.training.map((y) => {
        // The one mask pair whose float64 run the output matches, at every step of the sequence.
        const matches = candidates.filter((candidate) => candidate.y.every((v, i) => Math.abs(v - y[i]) < 1e-5));
        expect(matches.length, `${kind}: masks matching ${y}`).toBeGreaterThan(0);
        return matches[0].key;
      });
      // 12 calls draw fresh masks: P(all equal) = 16 · 16^-12, negligible.
      expect(new Set(drawn).size, kind).toBeGreaterThan(1);
    }
  });

  it('carry NaN and ±Infinity in x as IEEE-754 and the float64 cells do: NaN poisons its sample from its step on, ±Infinity saturates the gates', async () => {
    const cases = [configs[2], configs[4]];
    const runs = await gpu.run(async (wg, { cases, STEPS, FEATURES }) => {
      wg.setSeed(23);
      const out = [];
      for (const config of cases) {
        const options = { returnSequences: true, useBias: config.useBias, inputShape: [STEPS, FEATURES] };
        const layer = config.kind === 'lstm' ? new wg.layers.LSTM(config.units, options) : new wg.layers.GRU(config.units, { ...options, resetAfter: config.resetAfter });
        const x = wg.randn([2, STEPS, FEATURES]);
        const values = Array.from(await x.data());
        // Sample 0: NaN at step 1. Sample 1: -Infinity at step 0 and +Infinity at step 2 (each alone in its step).
        values[(0 * STEPS + 1) * FEATURES + 0] = NaN;
        values[(1 * STEPS + 0) * FEATURES + 2] = -Infinity;
        values[(1 * STEPS + 2) * FEATURES + 1] = Infinity;
        const special = wg.tensor(values, [2, STEPS, FEATURES]);
        const y = layer.apply(special) as Tensor;
        const weights: Record<string, number[]> = {};
        for (const [name, weight] of layer.weights) weights[name] = Array.from(await weight.data());
        out.push({ x: values, y: Array.from(await y.data()), weights });
        [x, special, y].forEach((t) => t.dispose());
        layer.dispose();
      }
      return out;
    }, { cases, STEPS, FEATURES });
    cases.forEach((config, k) => {
      const run = runs[k];
      const expected = recurrentForward(run.x, 2, STEPS, { ...config, returnSequences: true },
        { kernel: run.weights.kernel, recurrentKernel: run.weights.recurrent_kernel, bias: run.weights.bias ?? null });
      const kind = (v: number): string => (Number.isNaN(v) ? 'NaN' : Number.isFinite(v) ? 'finite' : String(v));
      expect(run.y.map(kind), config.label).toEqual(expected.map(kind));
      // Sample 0 is NaN from step 1 on (every unit), finite before; sample 1 stays finite throughout.
      const perSample = STEPS * UNITS;
      expect(run.y.slice(UNITS, perSample).every(Number.isNaN), config.label).toBe(true);
      expect([...run.y.slice(0, UNITS), ...run.y.slice(perSample)].every(Number.isFinite), config.label).toBe(true);
      const finite = expected.map((v, i) => (Number.isFinite(v) ? i : -1)).filter((i) => i >= 0);
      expectClose(finite.map((i) => run.y[i]), finite.map((i) => expected[i]), { rtol: 1e-5, atol: 2e-6 }, config.label);
    });
  });

  it('refuse inputs that are not [batch, steps, features] and bad options, naming the layer', async () => {
    const errors = await gpu.run(async (wg) => {
      const attempts: Record<string, () => unknown> = {
        rank: () => new wg.layers.LSTM(3, { name: 'enc' }).apply(wg.input({ shape: [4] })),
        units: () => new wg.layers.GRU(0),
        activation: () => new wg.layers.GRU(2, { activation: 'swish' as never }),
        features: () => {
          const layer = new wg.layers.LSTM(2, { name: 'dec' });
          layer.build([3, 4]);
          return layer.apply(wg.zeros([1, 3, 5]));
        },
      };
      const out: Record<string, string> = {};
      for (const [name, attempt] of Object.entries(attempts)) {
        try {
          attempt();
          out[name] = 'no error';
        } catch (error) {
          out[name] = `${(error as Error).name}: ${(error as Error).message}`;
        }
      }
      return out;
    });
    expect(errors.rank).toMatch(/ShapeError: enc: LSTM needs samples shaped \[steps, features\], got \[4\]/);
    expect(errors.units).toMatch(/ValueError: .*GRU.*units/);
    expect(errors.activation).toMatch(/ValueError: unknown activation 'swish'/);
    expect(errors.features).toMatch(/dec: already built for input \[3,4\]|dec: expected inputs \[batch, steps, 4\], got \[1,3,5\]/);
  });
});
