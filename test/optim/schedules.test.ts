// Learning-rate schedules against float64 references of Keras 3's formulas (schedule-reference.ts);
// the step an optimizer hands its schedule (Keras's iterations before the step) seen through the
// exact float32 arithmetic of an SGD step, every optimizer with a schedule against keras-rules.ts,
// fit with a schedule, serialization and the errors.
import { describe, expect, it } from 'vitest';
import { useGpuPage } from '../harness/gpu-page';
import { expectClose, mulberry32, randomUniform } from '../reference';
import { kerasRule, type Kind } from './keras-rules';
import { kerasSchedule, scheduleCases } from './schedule-reference';

const gpu = useGpuPage();
const STEPS = 26;

describe('schedules follow Keras formulas', () => {
  it('each schedule at steps 0..25 matches the float64 reference', async () => {
    const values = await gpu.run((wg, { cases, steps }) => {
      const s = wg.optimizers.schedules;
      const make = (className: string, options: Record<string, unknown>) => {
        if (className === 'ExponentialDecay') return new s.ExponentialDecay(options as never);
        if (className === 'InverseTimeDecay') return new s.InverseTimeDecay(options as never);
        if (className === 'PolynomialDecay') return new s.PolynomialDecay(options as never);
        if (className === 'CosineDecay') return new s.CosineDecay(options as never);
        return new s.PiecewiseConstantDecay(options as never);
      };
      return cases.map((c) => {
        const schedule = make(c.className, c.options);
        return Array.from({ length: steps }, (_, step) => schedule.call(step));
      });
    }, { cases: scheduleCases, steps: STEPS });
    scheduleCases.forEach((c, k) => {
      const expected = Array.from({ length: STEPS }, (_, step) => kerasSchedule(c, step));
      // Both sides compute in double precision, in a different order at most: 1e-14 relative.
      expectClose(values[k], expected, { rtol: 1e-14, atol: 0 }, c.label);
      // Every schedule changes over these steps, so a wrong step would fail.
      expect(new Set(expected).size, c.label).toBeGreaterThan(2);
    });
    // Hand-checked points from the Keras docstrings: PiecewiseConstantDecay keeps values[0] up to and
    // including boundaries[0]; CosineDecay's warm-up starts at initialLearningRate and reaches warmupTarget.
    expect(values[8].slice(0, 9)).toEqual([1, 1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.25]);
    expect(values[7][0]).toBe(0.01);
    expect(values[7][5]).toBe(0.2);
  });

  it('an optimizer evaluates its schedule at the steps applied before each step (exact in float32)', async () => {
    const out = await gpu.run(async (wg) => {
      const schedule = new wg.optimizers.schedules.ExponentialDecay({ initialLearningRate: 0.5, decaySteps: 1, decayRate: 0.5 });
      const sgd = new wg.optimizers.SGD({ learningRate: schedule });
      const p = wg.variable(wg.tensor([0]));
      const values: number[] = [];
      const rates: number[] = [sgd.learningRate];
      for (let step = 0; step < 5; step++) {
        const g = wg.tensor([-1]);
        sgd.applyGradients([p], [g]);
        g.dispose();
        values.push((await p.data())[0]);
        rates.push(sgd.learningRate);
      }
      let setError = '';
      try {
        sgd.learningRate = 0.1;
      } catch (error) {
        setError = `${(error as Error).name}: ${(error as Error).message}`;
      }
      const result = { values, rates, setError, iterations: sgd.iterations, sameSchedule: sgd.learningRateSchedule === schedule };
      p.dispose();
      sgd.dispose();
      return result;
    });
    // p ← p − lr·(−1) in float32, lr rounded to float32 once: with lr = 0.5·0.5^step every sum is exact.
    const expected: number[] = [];
    let p = 0;
    for (let step = 0; step < 5; step++) {
      p = Math.fround(p + Math.fround(0.5 * 0.5 ** step));
      expected.push(p);
    }
    expect(out.values).toEqual(expected);
    expect(out.rates).toEqual([0.5, 0.25, 0.125, 0.0625, 0.03125, 0.015625]);
    expect(out.iterations).toBe(5);
    expect(out.sameSchedule).toBe(true);
    // Keras (base_optimizer.py, learning_rate setter): a schedule's rate is not settable.
    expect(out.setError).toMatch(/^TypeError: sgd: .*ExponentialDecay schedule/);
  });

  it('every optimizer takes a schedule: four steps match keras-rules with the scheduled rate', async () => {
    const kinds: Kind[] = ['SGD', 'Adam', 'AdamW', 'RMSprop', 'Adagrad'];
    const rng = mulberry32(5);
    const p0 = Float32Array.from({ length: 6 }, () => randomUniform(rng, -1, 1));
    const grads = Array.from({ length: 4 }, () => Float32Array.from({ length: 6 }, () => randomUniform(rng, -1, 1)));
    const cosine = { initialLearningRate: 0.01, decaySteps: 3, warmupTarget: 0.1, warmupSteps: 1 };
    const runs = await gpu.run(async (wg, { kinds: names, p0: start, grads: steps, cosine: options }) => {
      const o = wg.optimizers;
      const results: number[][][] = [];
      for (const kind of names) {
        const learningRate = new o.schedules.CosineDecay(options);
        const optimizer = kind === 'SGD' ? new o.SGD({ learningRate, momentum: 0.5 }) : kind === 'Adam' ? new o.Adam({ learningRate })
          : kind === 'AdamW' ? new o.AdamW({ learningRate }) : kind === 'RMSprop' ? new o.RMSprop({ learningRate }) : new o.Adagrad({ learningRate });
        const p = wg.variable(wg.tensor(start));
        const trace: number[][] = [];
        for (const values of steps) {
          const g = wg.tensor(values);
          optimizer.applyGradients([p], [g]);
          g.dispose();
          trace.push(Array.from(await p.data()));
        }
        results.push(trace);
        p.dispose();
        optimizer.dispose();
      }
      return results;
    }, { kinds, p0, grads, cosine });
    kinds.forEach((kind, k) => {
      const p = Float64Array.from(p0);
      const options = kind === 'SGD' ? { momentum: 0.5 } : {};
      const state = kerasRule(kind, options).initialState(p.length);
      grads.forEach((g, step) => {
        const learningRate = kerasSchedule({ label: '', className: 'CosineDecay', options: cosine }, step);
        kerasRule(kind, { ...options, learningRate }).rule(p, Float64Array.from(g), state, step + 1);
        // A few float32 roundings per step on values of size ~1 (unit roundoff 6e-8); the rates
        // differ by far more between steps (0.01, 0.1, 0.075, 0.025), so a shifted step fails.
        expectClose(runs[k][step], p, { rtol: 1e-6, atol: 1e-6 }, `${kind} step ${step + 1}`);
      });
    });
  });

  it('fit uses one scheduled rate per batch, also with gradient accumulation (Keras: the schedule sees every call)', async () => {
    const piecewise = { boundaries: [1, 2, 3, 4], values: [0.5, 0.25, 0.125, 0.0625, 0.03125] };
    const out = await gpu.run(async (wg, piecewise) => {
      const trace = async (gradientAccumulationSteps: number | null): Promise<number[]> => {
        const model = new wg.Sequential([new wg.layers.Dense(1, { inputShape: [1], useBias: false, kernelInitializer: 'zeros' })]);
        const learningRate = new wg.optimizers.schedules.PiecewiseConstantDecay(piecewise);
        model.compile({ optimizer: new wg.optimizers.SGD({ learningRate, gradientAccumulationSteps }), loss: 'mean_absolute_error' });
        // |y − w·x| with x = 1, y = 1000 > w: the kernel's gradient is exactly −1 on every batch.
        const x = wg.tensor([[1]]);
        const y = wg.tensor([[1000]]);
        const kernels: number[] = [];
        await model.fit(x, y, {
          epochs: 6, batchSize: 1, verbose: 0,
          callbacks: { onBatchEnd: async () => void kernels.push((await model.layers[0].trainableWeights[0].data())[0]) },
        });
        [x, y].forEach((t) => t.dispose());
        model.dispose();
        return kernels;
      };
      return { plain: await trace(null), accumulated: await trace(2) };
    }, piecewise);
    const rate = (step: number): number => kerasSchedule({ label: '', className: 'PiecewiseConstantDecay', options: piecewise }, step);
    // Keras: step k (0-based) uses schedule(k); all these sums are exact in float32.
    let w = 0;
    expect(out.plain).toEqual(Array.from({ length: 6 }, (_, k) => (w += rate(k))));
    // Every second call applies the mean of two −1 gradients with schedule(_iterations), _iterations
    // counting every call: schedule(1), (3), (5), not (0), (1), (2).
    w = 0;
    expect(out.accumulated).toEqual(Array.from({ length: 6 }, (_, k) => (k % 2 === 1 ? (w += rate(k)) : w)));
  });
});

describe('serialization and errors', () => {
  it('optimizer configs carry the schedule and load back', async () => {
    const out = await gpu.run((wg) => {
      const o = wg.optimizers;
      const adam = new o.Adam({ learningRate: new o.schedules.CosineDecay({ initialLearningRate: 0, decaySteps: 10, warmupTarget: 0.1, warmupSteps: 4 }), clipnorm: 1, beta1: 0.8 });
      const json = JSON.stringify(o.serialize(adam));
      const back = o.deserialize(JSON.parse(json));
      const sgd = o.deserialize({ className: 'SGD', config: { learningRate: 0.3, momentum: 0.5, globalClipnorm: 2, gradientAccumulationSteps: 3 } });
      const piecewise = o.schedules.deserialize(o.schedules.serialize(new o.schedules.PiecewiseConstantDecay({ boundaries: [2], values: [1, 0.1] })));
      return {
        json,
        backConfig: JSON.stringify(back.getConfig()),
        originalConfig: JSON.stringify(adam.getConfig()),
        backRates: [0, 2, 4, 9].map((step) => back.learningRateSchedule!.call(step)),
        sgd: sgd.getConfig(),
        piecewise: [1, 2, 3].map((step) => piecewise.call(step)),
      };
    });
    expect(JSON.parse(out.json)).toEqual({
      className: 'Adam',
      config: {
        learningRate: { className: 'CosineDecay', config: { initialLearningRate: 0, decaySteps: 10, alpha: 0, warmupTarget: 0.1, warmupSteps: 4, name: 'CosineDecay' } },
        beta1: 0.8, beta2: 0.999, epsilon: 1e-7, amsgrad: false, weightDecay: 0, clipnorm: 1,
      },
    });
    expect(out.backConfig).toBe(out.originalConfig);
    const reference = (step: number) => kerasSchedule({ label: '', className: 'CosineDecay', options: { initialLearningRate: 0, decaySteps: 10, warmupTarget: 0.1, warmupSteps: 4 } }, step);
    expectClose(out.backRates, [0, 2, 4, 9].map(reference), { rtol: 1e-14, atol: 0 }, 'deserialized schedule');
    expect(out.sgd).toEqual({ learningRate: 0.3, momentum: 0.5, nesterov: false, weightDecay: 0, globalClipnorm: 2, gradientAccumulationSteps: 3 });
    expect(out.piecewise).toEqual([1, 1, 0.1]);
  });

  it('bad schedules, configs and option combinations are ValueErrors', async () => {
    const errors = await gpu.run((wg) => {
      const o = wg.optimizers;
      const caught = (fn: () => unknown): string => {
        try {
          fn();
          return 'no error';
        } catch (error) {
          return `${(error as Error).name}: ${(error as Error).message}`;
        }
      };
      return {
        decaySteps: caught(() => new o.schedules.ExponentialDecay({ initialLearningRate: 0.1, decaySteps: 0, decayRate: 0.5 })),
        boundaries: caught(() => new o.schedules.PiecewiseConstantDecay({ boundaries: [1, 2], values: [1, 2] })),
        increasing: caught(() => new o.schedules.PiecewiseConstantDecay({ boundaries: [2, 2], values: [1, 2, 3] })),
        className: caught(() => o.schedules.deserialize({ className: 'StepDecay', config: {} })),
        unknownOption: caught(() => o.schedules.deserialize({ className: 'ExponentialDecay', config: { initialLearningRate: 0.1, decaySteps: 2, decayRate: 0.5, gamma: 1 } })),
        twoClips: caught(() => new o.SGD({ clipnorm: 1, globalClipnorm: 1 })),
        negativeClip: caught(() => new o.Adam({ clipvalue: -1 })),
        accumulation: caught(() => new o.SGD({ gradientAccumulationSteps: 1 })),
        optimizerOption: caught(() => o.deserialize({ className: 'SGD', config: { learningRate: 0.1, beta1: 0.9 } })),
        optimizerType: caught(() => o.deserialize({ className: 'SGD', config: { nesterov: 1 } })),
        negativeRate: caught(() => {
          const sgd = new o.SGD({ learningRate: new o.schedules.PolynomialDecay({ initialLearningRate: 0.1, decaySteps: 2, endLearningRate: -1 }) });
          const p = wg.variable(wg.tensor([1]));
          try {
            sgd.applyGradients([p], [wg.tensor([1])]);
            sgd.applyGradients([p], [wg.tensor([1])]);
          } finally {
            p.dispose();
          }
        }),
      };
    });
    expect(errors.decaySteps).toMatch(/^ValueError: ExponentialDecay: decaySteps must be a finite number > 0, got 0/);
    expect(errors.boundaries).toMatch(/^ValueError: PiecewiseConstantDecay: boundaries must be a list one shorter than values/);
    expect(errors.increasing).toMatch(/^ValueError: PiecewiseConstantDecay: boundaries must increase strictly/);
    expect(errors.className).toMatch(/^ValueError: schedules.deserialize: expected \{ className, config \} with className one of ExponentialDecay/);
    expect(errors.unknownOption).toMatch(/^ValueError: schedules.deserialize: ExponentialDecay has no option "gamma"/);
    // Keras (base_optimizer.py): "Only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be set".
    expect(errors.twoClips).toMatch(/^ValueError: sgd: only one of clipnorm, clipvalue and globalClipnorm can be set/);
    expect(errors.negativeClip).toMatch(/^ValueError: adam: clipvalue must be a finite number ≥ 0 or null, got -1/);
    // Keras: "`gradient_accumulation_steps` must be an integer >= 2".
    expect(errors.accumulation).toMatch(/^ValueError: sgd: gradientAccumulationSteps must be an integer ≥ 2 or null, got 1/);
    expect(errors.optimizerOption).toMatch(/^ValueError: optimizers.deserialize: SGD has no option "beta1"/);
    expect(errors.optimizerType).toMatch(/^ValueError: optimizers.deserialize: SGD config nesterov must be a boolean, got 1/);
    // The polynomial reaches −1 at step 2; step 1's rate (−0.45) is refused before anything launches.
    expect(errors.negativeRate).toMatch(/^ValueError: sgd: learningRate must be a number in \[0, Infinity\], got -0.4499/);
  });
});
