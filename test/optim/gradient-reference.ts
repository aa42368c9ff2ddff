// Float64 reference of what Keras 3's base optimizer (keras/src/optimizers/base_optimizer.py) does
// to gradients before an update rule: _backend_apply_gradients (accumulate, and on every N-th call
// average (g + acc) / N), _clip_gradients (_clip_by_norm, clip_by_global_norm, ops.clip), the
// learning rate from the schedule at _iterations (every call counted) and the rule's step
// iterations + 1 with iterations = _iterations // N. Math.max and Math.min propagate NaN, as
// ops.maximum / ops.minimum do (NumPy, JAX and torch; TF since 2.4, tensorflow/tfjs#4883); Keras's
// TF backend calls tf.clip_by_norm, the same formula as the generic _clip_by_norm.
import type { GradientOptions } from '../../src/optim';
import { kerasRule, type Kind, type Options } from './keras-rules';
import { kerasSchedule, type ScheduleCase } from './schedule-reference';


export interface GradientCase {
  label: string;
  kind: Kind;
  options: Options & GradientOptions;
  /** A schedule for the learning rate instead of options.learningRate. */
  schedule?: ScheduleCase;
  shapes: number[][];
  params: Float32Array[];
  /** grads[call][parameter] */
  grads: Float32Array[][];
}

/** Deliberate mistakes the reference can make, to show that the comparison would catch them. */
export interface Mistakes {
  /** Apply the sum of the accumulated gradients instead of their mean. */
  sumInsteadOfMean?: boolean;
  /** Count every call as an update step in the rule (Adam's bias correction). */
  stepCountsCalls?: boolean;
  /** Evaluate the schedule at the update count instead of at every call. */
  scheduleAtUpdates?: boolean;
}

function clipByNorm(g: Float64Array, clipnorm: number): Float64Array {
  let l2sum = 0;
  for (const v of g) l2sum += v * v;
  const l2norm = l2sum > 0 ? Math.sqrt(l2sum) : l2sum;
  return g.map((v) => (v * clipnorm) / Math.max(l2norm, clipnorm));
}

function clipByGlobalNorm(grads: Float64Array[], clipnorm: number): Float64Array[] {
  let squared = 0;
  for (const g of grads) for (const v of g) squared += v * v;
  const useNorm = Math.sqrt(squared);
  const scale = clipnorm * Math.min(1 / useNorm, 1 / clipnorm) + (useNorm - useNorm);
  return grads.map((g) => g.map((v) => v * scale));
}

function clipByValue(g: Float64Array, clipvalue: number): Float64Array {
  return g.map((v) => (Number.isNaN(v) ? v : Math.min(Math.max(v, -clipvalue), clipvalue)));
}

/** Parameter values after each call, [call][parameter][element]. */
export function referenceTrace(c: GradientCase, mistakes: Mistakes = {}): number[][][] {
  const { clipnorm, clipvalue, globalClipnorm, gradientAccumulationSteps, ...ruleOptions } = c.options;
  const steps = gradientAccumulationSteps ?? 1;
  if (ruleOptions.learningRate !== undefined && typeof ruleOptions.learningRate !== 'number') throw new Error('the reference takes a schedule as GradientCase.schedule');
  const params = c.params.map((values) => Float64Array.from(values));
  const states = params.map((p) => kerasRule(c.kind, ruleOptions).initialState(p.length));
  const accumulators = params.map((p) => new Float64Array(p.length));
  return c.grads.map((callGrads, call) => {
    const grads = callGrads.map((g) => Float64Array.from(g));
    if ((call + 1) % steps !== 0) {
      grads.forEach((g, k) => g.forEach((v, i) => (accumulators[k][i] += v)));
      return params.map((p) => Array.from(p));
    }
    let averaged: Float64Array[] = grads.map((g, k) => g.map((v, i) => (v + accumulators[k][i]) / (mistakes.sumInsteadOfMean ? 1 : steps)));
    accumulators.forEach((acc) => acc.fill(0));
    if (clipnorm) averaged = averaged.map((g) => clipByNorm(g, clipnorm));
    else if (globalClipnorm) averaged = clipByGlobalNorm(averaged, globalClipnorm);
    else if (clipvalue) averaged = averaged.map((g) => clipByValue(g, clipvalue));
    const updates = Math.floor(call / steps);
    const learningRate = c.schedule ? kerasSchedule(c.schedule, mistakes.scheduleAtUpdates ? updates : call) : ruleOptions.learningRate;
    const { rule } = kerasRule(c.kind, { ...ruleOptions, learningRate });
    params.forEach((p, k) => rule(p, averaged[k], states[k], mistakes.stepCountsCalls ? call + 1 : updates + 1));
    return params.map((p) => Array.from(p));
  });
}
