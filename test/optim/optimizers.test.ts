// Each optimizer's fused GPU update against a float64 CPU reference of Keras's rule, step by step,
// on two parameters of different shapes; name resolution, configs and errors.
import { describe, expect, it } from 'vitest';
import type { Optimizer, OptimizerConfig } from '../../src/optim';
import { useGpuPage } from '../harness/gpu-page';
import { expectClose, mulberry32, randomUniform, sizeOf, type Rng } from '../reference';
import { kerasRule, type Kind, type Options } from './keras-rules';

interface OptimizerCase {
  label: string;
  kind: Kind;
  options: Options;
  shapes: number[][];
  /** Initial parameter values, float32-exact. */
  params: Float32Array[];
  /** grads[step][parameter], float32-exact. */
  grads: Float32Array[][];
}

interface OptimizerRun {
  /** Parameter values after each step: [step][parameter][element]. */
  steps: number[][][];
  iterations: number;
  name: string;
  config: OptimizerConfig;
  leakedTensors: number;
}

const gpu = useGpuPage();

/** Parameter values after each step, in float64. */
function referenceSteps(c: OptimizerCase): number[][][] {
  const { rule, initialState } = kerasRule(c.kind, c.options);
  const params = c.params.map((values) => Float64Array.from(values));
  const states = params.map((p) => initialState(p.length));
  return c.grads.map((stepGrads, s) => {
    params.forEach((p, k) => rule(p, Float64Array.from(stepGrads[k]), states[k], s + 1));
    return params.map((p) => Array.from(p));
  });
}

// ---- cases ------------------------------------------------------------------------------------

const STEPS = 5;
// [130] spans three workgroups of 64; [0] checks that an empty parameter is accepted.
const SHAPES = [[3, 5], [130], [0]];

function randomValues(rng: Rng, n: number, lo: number, hi: number): Float32Array {
  return Float32Array.from({ length: n }, () => randomUniform(rng, lo, hi));
}

function makeCase(label: string, kind: Kind, options: Options, seed: number): OptimizerCase {
  const rng = mulberry32(seed);
  return {
    label,
    kind,
    options,
    shapes: SHAPES,
    params: SHAPES.map((shape) => randomValues(rng, sizeOf(shape), -1, 1)),
    grads: Array.from({ length: STEPS }, () => SHAPES.map((shape) => randomValues(rng, sizeOf(shape), -1, 1))),
  };
}

const cases: OptimizerCase[] = [
  makeCase('SGD defaults', 'SGD', {}, 1),
  makeCase('SGD momentum', 'SGD', { learningRate: 0.1, momentum: 0.9 }, 2),
  makeCase('SGD Nesterov + weight decay', 'SGD', { learningRate: 0.05, momentum: 0.5, nesterov: true, weightDecay: 0.1 }, 3),
  makeCase('Adam defaults', 'Adam', {}, 4),
  makeCase('Adam options + AMSGrad', 'Adam', { learningRate: 0.01, beta1: 0.8, beta2: 0.99, epsilon: 1e-3, amsgrad: true }, 5),
  makeCase('AdamW defaults', 'AdamW', {}, 6),
  makeCase('AdamW options', 'AdamW', { learningRate: 0.02, weightDecay: 0.1, beta1: 0.5 }, 7),
  makeCase('RMSprop defaults', 'RMSprop', {}, 8),
  makeCase('RMSprop centered + momentum', 'RMSprop', { learningRate: 0.01, rho: 0.8, momentum: 0.9, centered: true, epsilon: 1e-4 }, 9),
  makeCase('RMSprop momentum only', 'RMSprop', { momentum: 0.5, weightDecay: 0.01 }, 10),
  makeCase('Adagrad defaults', 'Adagrad', {}, 11),
  makeCase('Adagrad options', 'Adagrad', { learningRate: 0.1, initialAccumulatorValue: 0.5, epsilon: 1e-3 }, 12),
];

function runCases(all: OptimizerCase[]): Promise<OptimizerRun[]> {
  return gpu.run(async (wg, batch) => {
    const { SGD, Adam, AdamW, RMSprop, Adagrad } = wg.optimizers;
    const create = (kind: Kind, options: Options): Optimizer => {
      if (kind === 'SGD') return new SGD(options);
      if (kind === 'Adam') return new Adam(options);
      if (kind === 'AdamW') return new AdamW(options);
      if (kind === 'RMSprop') return new RMSprop(options);
      return new Adagrad(options);
    };
    const runs: OptimizerRun[] = [];
    for (const c of batch) {
      const before = wg.memory().numTensors;
      const params = c.params.map((values, k) => wg.tensor(values, c.shapes[k]));
      const optimizer = create(c.kind, c.options);
      const steps: number[][][] = [];
      for (const stepGrads of c.grads) {
        const grads = stepGrads.map((values, k) => wg.tensor(values, c.shapes[k]));
        optimizer.applyGradients(params, grads);
        grads.forEach((g) => g.dispose());
        steps.push(await Promise.all(params.map(async (p) => Array.from(await p.data()))));
      }
      runs.push({ steps, iterations: optimizer.iterations, name: optimizer.name, config: optimizer.getConfig(), leakedTensors: 0 });
      optimizer.dispose();
      params.forEach((p) => p.dispose());
      runs[runs.length - 1].leakedTensors = wg.memory().numTensors - before;
    }
    return runs;
  }, all);
}

describe('optimizer updates match float64 references of the Keras rules', () => {
  let runs: OptimizerRun[] = [];

  it('runs every case on the GPU', async () => {
    runs = await runCases(cases);
    expect(runs).toHaveLength(cases.length);
  });

  cases.forEach((c, index) => {
    it(c.label, () => {
      const run = runs[index];
      expect(run.iterations).toBe(STEPS);
      expect(run.leakedTensors).toBe(0);
      const expected = referenceSteps(c);
      // Each step rounds a handful of float32 operations on values of size ~1 (unit roundoff 6e-8);
      // five steps stay within 1e-6. The smallest updates checked (lr 1e-3, decayed moments) move a
      // parameter by ~1e-4 per step, so a wrong rule misses by far more than this tolerance.
      expected.forEach((stepParams, s) =>
        stepParams.forEach((values, k) => expectClose(run.steps[s][k], values, { rtol: 1e-6, atol: 1e-6 }, `${c.label} step ${s + 1} param ${k}`)),
      );
    });
  });

  it('moves parameters by more than the tolerance (the comparison can fail)', () => {
    runs.forEach((run, index) => {
      const initial = cases[index].params[1];
      const moved = Math.max(...run.steps[STEPS - 1][1].map((value, i) => Math.abs(value - initial[i])));
      expect(moved, cases[index].label).toBeGreaterThan(1e-4);
    });
  });

  it('reports names and Keras default configs', () => {
    expect(runs.map((run) => run.name)).toEqual(cases.map((c) => c.kind.toLowerCase()));
    expect(runs[0].config).toEqual({ learningRate: 0.01, momentum: 0, nesterov: false, weightDecay: 0 });
    expect(runs[3].config).toEqual({ learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, amsgrad: false, weightDecay: 0 });
    expect(runs[5].config).toMatchObject({ learningRate: 1e-3, weightDecay: 0.004 });
    expect(runs[7].config).toEqual({ learningRate: 1e-3, rho: 0.9, momentum: 0, epsilon: 1e-7, centered: false, weightDecay: 0 });
    expect(runs[10].config).toEqual({ learningRate: 1e-3, initialAccumulatorValue: 0.1, epsilon: 1e-7, weightDecay: 0 });
  });
});

describe('getOptimizer and errors', () => {
  it('resolves names case-insensitively and passes instances through', async () => {
    const result = await gpu.run((wg) => {
      const { getOptimizer, Adam } = wg.optimizers;
      const names = ['sgd', 'Adam', 'ADAMW', 'RMSprop', 'adagrad'].map((name) => getOptimizer(name).name);
      const instance = new Adam({ learningRate: 0.5 });
      let unknown = '';
      try {
        getOptimizer('adamax');
      } catch (error) {
        unknown = `${(error as Error).name}: ${(error as Error).message}`;
      }
      // AdamW is Adam with weightDecay 0.004 by default, made with or without `new`.
      const { AdamW } = wg.optimizers;
      const adamW = new AdamW({ learningRate: 0.5 });
      const adamWCalled = AdamW({ weightDecay: 0.1 });
      const adamWFacts = {
        isAdam: adamW instanceof Adam && adamWCalled instanceof Adam,
        isAdamW: adamW instanceof AdamW && adamWCalled instanceof AdamW,
        adamIsNotAdamW: !(instance instanceof AdamW),
        configs: [adamW.getConfig(), adamWCalled.getConfig()],
        names: [adamW.name, adamWCalled.name],
      };
      return { names, same: getOptimizer(instance) === instance, unknown, adamW: adamWFacts };
    });
    expect(result.adamW.isAdam && result.adamW.isAdamW && result.adamW.adamIsNotAdamW).toBe(true);
    expect(result.adamW.names).toEqual(['adamw', 'adamw']);
    // Keras 3's AdamW defaults (keras/src/optimizers/adamw.py): weight_decay 0.004, Adam's others.
    expect(result.adamW.configs[0]).toEqual({ learningRate: 0.5, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, amsgrad: false, weightDecay: 0.004 });
    expect(result.adamW.configs[1]).toMatchObject({ learningRate: 1e-3, weightDecay: 0.1 });
    expect(result.names).toEqual(['sgd', 'adam', 'adamw', 'rmsprop', 'adagrad']);
    expect(result.same).toBe(true);
    expect(result.unknown).toMatch(/^ValueError: .*adamax.*sgd, adam, adamw, rmsprop, adagrad/);
  });

  it('validates parameters, gradients and options before launching anything', async () => {
    const errors = await gpu.run(async (wg) => {
      const caught = (fn: () => unknown): string => {
        try {
          fn();
          return 'no error';
        } catch (error) {
          return `${(error as Error).name}: ${(error as Error).message}`;
        }
      };
      const p = wg.variable(wg.tensor([1, 2, 3]));
      const q = wg.variable(wg.tensor([[1, 2]]));
      const sgd = new wg.optimizers.SGD({ learningRate: 0.5 });
      const result = {
        // The first pair is fine, the second mismatched: nothing may be updated.
        shape: caught(() => sgd.applyGradients([p, q], [wg.tensor([1, 1, 1]), wg.tensor([1, 1])])),
        count: caught(() => sgd.applyGradients([p, q], [wg.tensor([1, 1, 1])])),
        dtype: caught(() => sgd.applyGradients([p], [wg.tensor(new Int32Array([1, 1, 1]))])),
        disposed: caught(() => {
          const g = wg.tensor([1, 1, 1]);
          g.dispose();
          sgd.applyGradients([p], [g]);
        }),
        momentum: caught(() => new wg.optimizers.SGD({ momentum: 1.5 })),
        beta: caught(() => new wg.optimizers.Adam({ beta1: 1 })),
        accumulator: caught(() => new wg.optimizers.Adagrad({ initialAccumulatorValue: -1 })),
        learningRate: caught(() => {
          sgd.learningRate = Number.NaN;
          sgd.applyGradients([p], [wg.tensor([1, 1, 1])]);
        }),
        iterations: sgd.iterations,
        p: Array.from(await p.data()),
      };
      p.dispose();
      q.dispose();
      return result;
    });
    expect(errors.shape).toMatch(/^ShapeError: sgd.applyGradients: gradient \[2\] does not match parameter #\d+ \[1,2\]$/);
    expect(errors.count).toMatch(/^ValueError: sgd.applyGradients: 2 parameters but 1 gradients/);
    expect(errors.dtype).toMatch(/^ValueError: .*float32/);
    expect(errors.disposed).toMatch(/^DisposedTensorError/);
    expect(errors.momentum).toMatch(/^ValueError: sgd: momentum must be a number in \[0, 1\], got 1.5/);
    expect(errors.beta).toMatch(/^ValueError: adam: beta1/);
    expect(errors.accumulator).toMatch(/^ValueError: adagrad: initialAccumulatorValue/);
    expect(errors.learningRate).toMatch(/^ValueError: sgd: learningRate/);
    expect(errors.iterations).toBe(0);
    expect(errors.p).toEqual([1, 2, 3]);
  });

  it('reads learningRate on every step (schedules) and records nothing on a tape', async () => {
    const result = await gpu.run(async (wg) => {
      const p = wg.variable(wg.tensor([1, 1]));
      const sgd = new wg.optimizers.SGD({ learningRate: 0.5 });
      const tape = new wg.Tape();
      tape.record(() => {
        sgd.applyGradients([p], [wg.tensor([1, 2])]);
        sgd.learningRate = 0.25;
        sgd.applyGradients([p], [wg.tensor([1, 2])]);
      });
      const recorded = tape.size;
      tape.dispose();
      const values = Array.from(await p.data());
      p.dispose();
      return { recorded, values };
    });
    expect(result.recorded).toBe(0);
    expect(result.values).toEqual([1 - 0.5 - 0.25, 1 - 1 - 0.5]);
  });
});
