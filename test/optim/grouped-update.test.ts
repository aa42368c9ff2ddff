// The multi-tensor optimizer update: one dispatch updates a group of parameters, as many as the
// device's storage-binding limit allows. The per-element arithmetic is the per-parameter kernel's,
// so the grouped step must be bit-identical to one dispatch per parameter (setTensorsPerDispatch(1))
// for every optimizer and gradient option, with sizes that are not multiples of 4 (each tensor's
// last vec4 runs into its own padding); the float64 references of the rules are in
// optimizers.test.ts, gradient-options.test.ts and schedules.test.ts, which run the grouped path.
import { describe, expect, it } from 'vitest';
import type { Tensor } from '../../src/index';
import type { Optimizer } from '../../src/optim';
import { useGpuPage } from '../harness/gpu-page';
import { mulberry32, randomUniform, sizeOf } from '../reference';

const gpu = useGpuPage();

// Sizes 3, 15, 1, 7, 18, 13: none a multiple of 4.
const SHAPES = [[3], [5, 3], [1], [7], [2, 3, 3], [13]];
const STEPS = 4;

const OPTIMIZERS: [string, Record<string, number | boolean>][] = [
  ['SGD', { learningRate: 0.1 }],
  ['SGD', { learningRate: 0.1, momentum: 0.9 }],
  ['SGD', { learningRate: 0.05, momentum: 0.5, nesterov: true, weightDecay: 0.1 }],
  ['Adam', { learningRate: 0.01 }],
  ['Adam', { learningRate: 0.01, beta1: 0.8, beta2: 0.99, amsgrad: true }],
  ['AdamW', { learningRate: 0.02, weightDecay: 0.1 }],
  ['RMSprop', { learningRate: 0.01 }],
  ['RMSprop', { learningRate: 0.01, rho: 0.8, momentum: 0.9, centered: true }],
  ['Adagrad', { learningRate: 0.1 }],
];

// Each gradient option, and a schedule (made in the page: `schedule` stands for ExponentialDecay).
const GRADIENT_OPTIONS: Record<string, number | boolean>[] = [
  {}, { clipvalue: 0.3 }, { clipnorm: 0.5 }, { globalClipnorm: 1 }, { gradientAccumulationSteps: 2 },
  { clipnorm: 0.5, gradientAccumulationSteps: 2 }, { schedule: true },
];

function uniformValues(seed: number, n: number): number[] {
  const rng = mulberry32(seed);
  return Array.from({ length: n }, () => Math.fround(randomUniform(rng, -1, 1)));
}

const data = {
  shapes: SHAPES,
  params: SHAPES.map((shape, k) => uniformValues(100 + k, sizeOf(shape))),
  grads: Array.from({ length: STEPS }, (_, step) => SHAPES.map((shape, k) => uniformValues(200 + 10 * step + k, sizeOf(shape)))),
  // Every optimizer alone, and every gradient option with Adam and with one other optimizer in turn
  // (the gradient part is the same WGSL for all; the full product would take 20 s on SwiftShader).
  cases: [
    ...OPTIMIZERS.map(([kind, options]) => ({ kind, options })),
    // With Adam, and in turn SGD momentum, AMSGrad, centered RMSprop, Adagrad, Nesterov, AdamW.
    ...GRADIENT_OPTIONS.slice(1).flatMap((gradient, k) => [3, [1, 4, 7, 8, 2, 5][k]].map((o) => ({ kind: OPTIMIZERS[o][0], options: { ...OPTIMIZERS[o][1], ...gradient } }))),
  ],
};

describe('grouped (multi-tensor) optimizer updates', () => {
  it('are bit-identical to one dispatch per parameter for every optimizer, gradient option and a schedule, on odd sizes', async () => {
    const out = await gpu.run(async (wg, a) => {
      const { optimizers } = wg;
      const make = (kind: string, options: Record<string, number | boolean>) => {
        const { schedule, ...rest } = options;
        const given = schedule ? { ...rest, learningRate: new optimizers.schedules.ExponentialDecay({ initialLearningRate: 0.05, decaySteps: 1, decayRate: 0.7 }) } : rest;
        const made = { SGD: optimizers.SGD, Adam: optimizers.Adam, AdamW: optimizers.AdamW, RMSprop: optimizers.RMSprop, Adagrad: optimizers.Adagrad }[kind];
        if (!made) throw new Error(`no optimizer ${kind}`);
        return new made(given);
      };
      const bits = async (tensor: { data(): Promise<Float32Array | Int32Array> }) => Array.from(new Uint32Array(Float32Array.from(await tensor.data()).buffer));
      // Final parameters and every slot, as float32 bit patterns, after STEPS steps under a cap.
      const train = async (kind: string, options: Record<string, number | boolean>, cap: number | null) => {
        optimizers.setTensorsPerDispatch(cap);
        const params = a.params.map((values, k) => wg.tensor(values, a.shapes[k]));
        const optimizer = make(kind, options);
        for (const stepGrads of a.grads) {
          const grads = stepGrads.map((values, k) => wg.tensor(values, a.shapes[k]));
          optimizer.applyGradients(params, grads);
          grads.forEach((g) => g.dispose());
        }
        const state: number[][] = [];
        for (const param of params) {
          state.push(await bits(param));
          for (const slot of optimizer.slotsOf(param).values()) state.push(await bits(slot));
        }
        const moved = (await params[1].data())[0] !== a.params[1][0];
        optimizer.dispose();
        params.forEach((p) => p.dispose());
        return { state, moved };
      };
      try {
        const results = [];
        for (const c of a.cases) {
          results.push({ grouped: await train(c.kind, c.options, null), pairs: await train(c.kind, c.options, 2), single: await train(c.kind, c.options, 1) });
        }
        return results;
      } finally {
        optimizers.setTensorsPerDispatch(null);
      }
    }, data);
    out.forEach((result, k) => {
      const label = JSON.stringify(data.cases[k]);
      expect(result.single.moved, label).toBe(true);
      expect(result.grouped.state, label).toEqual(result.single.state);
      expect(result.pairs.state, label).toEqual(result.single.state);
    });
  });

  it('take as few dispatches as the binding limit allows: the reference model and an MLP 784-256-128-10 under Adam, SGD under a cap', async () => {
    const out = await gpu.run(async (wg) => {
      const { optimizers } = wg;
      // Dispatches of the second step (the first also fills the new slots).
      const dispatchesPerStep = (shapes: number[][], optimizer: Optimizer, cap: number | null) => {
        optimizers.setTensorsPerDispatch(cap);
        const params = shapes.map((shape) => wg.zeros(shape));
        const grads = shapes.map((shape) => wg.ones(shape));
        optimizer.applyGradients(params, grads);
        const before = wg.commandStats().dispatches;
        optimizer.applyGradients(params, grads);
        const dispatches = wg.commandStats().dispatches - before;
        optimizer.dispose();
        [...params, ...grads].forEach((t) => t.dispose());
        return dispatches;
      };
      const reference = [[2, 2], [2], [2, 1], [1]];
      const mlp = [[784, 256], [256], [256, 128], [128], [128, 10], [10]];
      const sgd = [[3], [5], [1], [7], [2, 3], [9], [4]];
      try {
        return {
          limit: wg.getDevice().limits.maxStorageBuffersPerShaderStage,
          reference: dispatchesPerStep(reference, new optimizers.Adam(), null),
          referencePerParameter: dispatchesPerStep(reference, new optimizers.Adam(), 1),
          mlp: dispatchesPerStep(mlp, new optimizers.Adam(), null),
          mlpPerParameter: dispatchesPerStep(mlp, new optimizers.Adam(), 1),
          mlpSgd: dispatchesPerStep(mlp, new optimizers.SGD(), null),
          cpu: wg.getAdapterInfo().architecture === 'swiftshader',
          sgd: dispatchesPerStep(sgd, new optimizers.SGD(), null),
          sgdCappedAt3: dispatchesPerStep(sgd, new optimizers.SGD(), 3),
          // A cap above what the bindings allow is lowered to it.
          sgdCappedAt100: dispatchesPerStep(sgd, new optimizers.SGD(), 100),
        };
      } finally {
        optimizers.setTensorsPerDispatch(null);
      }
    });
    // Adam binds param, grad, m and v per parameter; plain SGD param and grad. SwiftShader's
    // maxStorageBuffersPerShaderStage is 10: Adam packs 2 parameters per dispatch, SGD 5.
    const adamPerDispatch = Math.floor(out.limit / 4);
    const sgdPerDispatch = Math.floor(out.limit / 2);
    expect(out.referencePerParameter).toBe(4);
    expect(out.reference).toBe(Math.ceil(4 / adamPerDispatch));
    expect(out.mlpPerParameter).toBe(6);
    if (out.cpu) {
      // On a CPU adapter a dispatch holding several tensors updates at most 4096 elements, so the
      // 784×256 and 256×128 kernels keep their own dispatches: Adam w1 | w2 | b1 b2 | w3 b3 (2 per
      // dispatch by bindings), SGD w1 | w2 | b1 b2 w3 b3 (1674 elements).
      expect(out.mlp).toBe(4);
      expect(out.mlpSgd).toBe(3);
    } else {
      expect(out.mlp).toBe(Math.ceil(6 / adamPerDispatch));
      expect(out.mlpSgd).toBe(Math.ceil(6 / sgdPerDispatch));
    }
    expect(out.sgd).toBe(Math.ceil(7 / sgdPerDispatch));
    expect(out.sgdCappedAt3).toBe(3);
    expect(out.sgdCappedAt100).toBe(out.sgd);
  });

  it('update a parameter listed twice twice, one update after the other, in separate dispatches', async () => {
    const out = await gpu.run(async (wg) => {
      const p = wg.tensor([1, -2, 3]);
      const q = wg.tensor([0.5, 4]);
      const optimizer = new wg.optimizers.SGD({ learningRate: 0.5 });
      const g1 = wg.tensor([0.25, 1, -3]);
      const g2 = wg.tensor([-1, 0.5, 2]);
      const gq = wg.tensor([3, -0.75]);
      const before = wg.commandStats().dispatches;
      optimizer.applyGradients([p, q, p], [g1, gq, g2]);
      return { dispatches: wg.commandStats().dispatches - before, p: Array.from(await p.data()), q: Array.from(await q.data()) };
    });
    // Two binds of one written buffer would be invalid in one dispatch: p's second update goes in
    // a second dispatch, after the one holding its first update and q's.
    expect(out.dispatches).toBe(2);
    // p − 0.5·g1 − 0.5·g2, each product exact in float32 and each difference rounded once.
    const expected = [1, -2, 3].map((p, i) => Math.fround(Math.fround(p - 0.5 * [0.25, 1, -3][i]) - 0.5 * [-1, 0.5, 2][i]));
    expect(out.p).toEqual(expected);
    expect(out.q).toEqual([0.5 - 1.5, 4 + 0.375]);
  });

  it('under wg.jit replay one dispatch per group with per-call uniforms, equal to eager per-parameter steps bit for bit', async () => {
    const out = await gpu.run(async (wg, a) => {
      const { optimizers } = wg;
      const run = async (compiled: boolean) => {
        optimizers.setTensorsPerDispatch(compiled ? null : 1);
        const params = a.params.map((values, k) => wg.variable(wg.tensor(values, a.shapes[k])));
        const schedule = new optimizers.schedules.ExponentialDecay({ initialLearningRate: 0.05, decaySteps: 1, decayRate: 0.7 });
        const optimizer = new optimizers.Adam({ learningRate: schedule, clipnorm: 0.5, gradientAccumulationSteps: 2 });
        const step = (...grads: Tensor[]) => { optimizer.applyGradients(params, grads); };
        const stepFn = compiled ? wg.jit(step) : step;
        for (let s = 0; s < 6; s++) {
          const grads = a.grads[s % a.grads.length].map((values, k) => wg.tensor(values, a.shapes[k]));
          stepFn(...grads);
          grads.forEach((g) => g.dispose());
        }
        const text = compiled ? (stepFn as ReturnType<typeof wg.jit>).describe() : '';
        return { weights: await Promise.all(params.map(async (p) => Array.from(new Uint32Array(Float32Array.from(await p.data()).buffer)))), text };
      };
      try {
        return { eager: await run(false), compiled: await run(true), limit: wg.getDevice().limits.maxStorageBuffersPerShaderStage };
      } finally {
        optimizers.setTensorsPerDispatch(null);
      }
    }, data);
    expect(out.compiled.weights).toEqual(out.eager.weights);
    // clipnorm and accumulation add a squared norm and an accumulator: 6 arrays per parameter.
    const groups = Math.ceil(SHAPES.length / Math.floor(out.limit / 6));
    expect(out.compiled.text).toContain(`per-call uniforms: ${groups} dispatches`);
  });

  it('setTensorsPerDispatch refuses anything but an integer ≥ 1 or null (ValueError)', async () => {
    const errors = await gpu.run((wg) => [0, 1.5, -1, Number.NaN].map((cap) => {
      try {
        wg.optimizers.setTensorsPerDispatch(cap);
        return 'accepted';
      } catch (error) {
        return `${(error as Error).name}: ${(error as Error).message}`;
      }
    }));
    for (const error of errors) expect(error).toMatch(/^ValueError: optimizers\.setTensorsPerDispatch: the cap must be an integer ≥ 1 or null, got /);
  });
});
