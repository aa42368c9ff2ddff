// clipnorm, clipvalue, globalClipnorm and gradientAccumulationSteps against the float64 reference
// of Keras 3's base optimizer (gradient-reference.ts): SGD and Adam, a gradient below the clip norm,
// a zero gradient, NaN and Inf gradients, accumulation with a schedule, weight decay and clipping,
// and reference mistakes (sum for mean, wrong step counts) that the comparison must catch.
import { describe, expect, it } from 'vitest';
import { useGpuPage } from '../harness/gpu-page';
import { expectClose, mulberry32, randomUniform, sizeOf } from '../reference';
import { referenceTrace, type GradientCase, type Mistakes } from './gradient-reference';
import type { Kind } from './keras-rules';
import type { ScheduleCase } from './schedule-reference';

const gpu = useGpuPage();

// [3,4] spans three vec4s, [7] ends in a partial vec4 and gets gradients below the clip norms,
// [0] is an empty parameter.
const SHAPES = [[3, 4], [7], [0]];

function makeCase(label: string, kind: Kind, options: GradientCase['options'], calls: number, seed: number, edit?: (grads: Float32Array[][]) => void, schedule?: ScheduleCase): GradientCase {
  const rng = mulberry32(seed);
  const values = (n: number, scale: number) => Float32Array.from({ length: n }, () => scale * randomUniform(rng, -1, 1));
  const grads = Array.from({ length: calls }, () => SHAPES.map((shape, k) => values(sizeOf(shape), k === 1 ? 0.02 : 1)));
  edit?.(grads);
  return { label, kind, options, schedule, shapes: SHAPES, params: SHAPES.map((shape) => values(sizeOf(shape), 1)), grads };
}

const zeroAt = (call: number, param: number) => (grads: Float32Array[][]) => grads[call][param].fill(0);
const valueAt = (call: number, value: number) => (grads: Float32Array[][]) => void (grads[call][0][2] = value);

const sgd: GradientCase['options'] = { learningRate: 0.1 };
const adam: GradientCase['options'] = { learningRate: 0.01 };

const clipCases: GradientCase[] = [
  makeCase('SGD clipnorm, a zero gradient', 'SGD', { ...sgd, clipnorm: 0.5 }, 3, 1, zeroAt(1, 0)),
  makeCase('Adam clipnorm', 'Adam', { ...adam, clipnorm: 0.5 }, 3, 2),
  makeCase('SGD globalClipnorm, an all-zero step', 'SGD', { ...sgd, momentum: 0.9, globalClipnorm: 1 }, 3, 3, (g) => [0, 1, 2].forEach((k) => zeroAt(1, k)(g))),
  makeCase('Adam globalClipnorm', 'Adam', { ...adam, globalClipnorm: 1 }, 3, 4),
  makeCase('SGD clipvalue', 'SGD', { ...sgd, clipvalue: 0.3 }, 3, 5),
  makeCase('Adam clipvalue + weight decay', 'Adam', { ...adam, clipvalue: 0.3, weightDecay: 0.1 }, 3, 6),
  // Keras's _clip_by_norm: a NaN norm makes that gradient NaN; an infinite one scales it by 0
  // (NaN where it was infinite). clip_by_global_norm: NaN everywhere. ops.clip keeps the NaN alone.
  makeCase('SGD clipnorm, NaN', 'SGD', { ...sgd, clipnorm: 0.5 }, 3, 7, valueAt(1, Number.NaN)),
  makeCase('SGD clipnorm, Inf', 'SGD', { ...sgd, clipnorm: 0.5 }, 3, 8, valueAt(1, Number.POSITIVE_INFINITY)),
  makeCase('SGD globalClipnorm, Inf', 'SGD', { ...sgd, globalClipnorm: 1 }, 3, 9, valueAt(1, Number.POSITIVE_INFINITY)),
  makeCase('Adam globalClipnorm, NaN', 'Adam', { ...adam, globalClipnorm: 1 }, 3, 10, valueAt(1, Number.NaN)),
  makeCase('Adam clipvalue, NaN', 'Adam', { ...adam, clipvalue: 0.3 }, 3, 11, valueAt(1, Number.NaN)),
  // −Inf clamps to −clipvalue: the update stays finite.
  makeCase('SGD clipvalue, −Inf', 'SGD', { ...sgd, clipvalue: 0.3 }, 3, 16, valueAt(1, Number.NEGATIVE_INFINITY)),
];

const exponential: ScheduleCase = { label: '', className: 'ExponentialDecay', options: { initialLearningRate: 0.05, decaySteps: 1, decayRate: 0.7 } };
const accumulationCases: GradientCase[] = [
  makeCase('SGD momentum, accumulate 3', 'SGD', { ...sgd, momentum: 0.9, gradientAccumulationSteps: 3 }, 7, 12),
  makeCase('Adam, accumulate 2, schedule, weight decay', 'Adam', { weightDecay: 0.1, gradientAccumulationSteps: 2 }, 6, 13, undefined, exponential),
  makeCase('Adam, accumulate 3, clipnorm', 'Adam', { ...adam, clipnorm: 0.5, gradientAccumulationSteps: 3 }, 7, 14),
  makeCase('SGD, accumulate 2, globalClipnorm', 'SGD', { ...sgd, globalClipnorm: 2, gradientAccumulationSteps: 2 }, 4, 15),
];

interface Run { trace: number[][][]; iterations: number; leaked: number }

function runCases(cases: GradientCase[]): Promise<Run[]> {
  return gpu.run(async (wg, all) => {
    const o = wg.optimizers;
    const runs: Run[] = [];
    for (const c of all) {
      const before = wg.memory().numTensors;
      const learningRate = c.schedule ? o.schedules.deserialize({ className: c.schedule.className, config: c.schedule.options }) : c.options.learningRate;
      const options = { ...c.options, learningRate };
      const optimizer = c.kind === 'SGD' ? new o.SGD(options) : new o.Adam(options);
      const params = c.params.map((values, k) => wg.tensor(values, c.shapes[k]));
      const trace: number[][][] = [];
      for (const callGrads of c.grads) {
        const grads = callGrads.map((values, k) => wg.tensor(values, c.shapes[k]));
        optimizer.applyGradients(params, grads);
        grads.forEach((g) => g.dispose());
        trace.push(await Promise.all(params.map(async (p) => Array.from(await p.data()))));
      }
      const iterations = optimizer.iterations;
      optimizer.dispose();
      params.forEach((p) => p.dispose());
      runs.push({ trace, iterations, leaked: wg.memory().numTensors - before });
    }
    return runs;
  }, cases);
}

// A few float32 roundings per step on values of size ~1 (unit roundoff 6e-8), the norms summed in
// float32 over at most 12 elements: 1e-6 covers them; the smallest checked updates (Adam, lr 0.01)
// move parameters by ~1e-2.
const TOLERANCE = { rtol: 1e-6, atol: 1e-6 };

function expectTrace(run: Run, c: GradientCase): void {
  referenceTrace(c).forEach((stepParams, call) =>
    stepParams.forEach((values, k) => expectClose(run.trace[call][k], values, TOLERANCE, `${c.label} call ${call + 1} param ${k}`)));
  expect(run.leaked, c.label).toBe(0);
}

/** Whether the run differs from a reference that makes `mistakes` by more than the tolerance somewhere. */
function differsFrom(run: Run, c: GradientCase, mistakes: Mistakes): boolean {
  return referenceTrace(c, mistakes).some((stepParams, call) => stepParams.some((values, k) => {
    try {
      expectClose(run.trace[call][k], values, TOLERANCE);
      return false;
    } catch {
      return true;
    }
  }));
}

describe('gradient clipping matches Keras', () => {
  let runs: Run[] = [];
  it('runs every case on the GPU', async () => {
    runs = await runCases(clipCases);
    expect(runs).toHaveLength(clipCases.length);
  });

  clipCases.forEach((c, index) => it(c.label, () => {
    expectTrace(runs[index], c);
    expect(runs[index].iterations).toBe(3);
  }));

  it('clipping changes the updates (the comparison can fail) and the NaN and Inf patterns are as Keras', () => {
    const unclipped = (c: GradientCase): GradientCase => ({ ...c, options: { ...c.options, clipnorm: undefined, clipvalue: undefined, globalClipnorm: undefined } });
    clipCases.slice(0, 6).forEach((c, index) => expect(differsFrom(runs[index], unclipped(c), {}), c.label).toBe(true));
    const nanCount = (values: number[]) => values.filter(Number.isNaN).length;
    // After call 2 (index 1): clipnorm NaN → all 12 of parameter 0; Inf → only the infinite element.
    expect(runs[6].trace[1].map(nanCount)).toEqual([12, 0, 0]);
    expect(runs[7].trace[1].map(nanCount)).toEqual([1, 0, 0]);
    expect(runs[8].trace[1].map(nanCount)).toEqual([12, 7, 0]);
    expect(runs[9].trace[1].map(nanCount)).toEqual([12, 7, 0]);
    expect(runs[10].trace[1].map(nanCount)).toEqual([1, 0, 0]);
    expect(runs[11].trace[2].every((values) => values.every(Number.isFinite))).toBe(true);
  });
});

describe('gradient accumulation matches Keras', () => {
  let runs: Run[] = [];
  it('runs every case on the GPU', async () => {
    runs = await runCases(accumulationCases);
    expect(runs).toHaveLength(accumulationCases.length);
  });

  accumulationCases.forEach((c, index) => it(c.label, () => {
    expectTrace(runs[index], c);
    // Keras's iterations: calls // N.
    expect(runs[index].iterations).toBe(Math.floor(c.grads.length / (c.options.gradientAccumulationSteps as number)));
  }));

  it('a wrong averaging, step count or schedule step would fail', () => {
    accumulationCases.forEach((c, index) => expect(differsFrom(runs[index], c, { sumInsteadOfMean: true }), c.label).toBe(true));
    expect(differsFrom(runs[1], accumulationCases[1], { stepCountsCalls: true })).toBe(true);
    expect(differsFrom(runs[2], accumulationCases[2], { stepCountsCalls: true })).toBe(true);
    expect(differsFrom(runs[1], accumulationCases[1], { scheduleAtUpdates: true })).toBe(true);
  });
});
