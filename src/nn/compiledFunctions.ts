// The wg.jit functions behind a model's fit, evaluate and predict, made on first use and kept per
// compile (training and evaluation: their losses and optimizer are compile's) or per model
// (prediction, which needs no compile), so their programs are replayed across calls.
import type { Tensor } from '../tensor';
import { jit, type JitFunction } from '../jit';
import type { CompiledTraining, TrainableModel } from './compiled';

/** A training step: the batch's inputs and labels, a cache key (see below) → its loss and metric values. */
type TrainFunction = JitFunction<[Tensor[], Tensor[], string], Tensor[]>;
type EvaluateFunction = JitFunction<[Tensor[], Tensor[], Tensor, number], Tensor>;
type PredictFunction = JitFunction<[Tensor[]], Tensor[]>;

const trainSteps = new WeakMap<CompiledTraining, TrainFunction>();
const evaluations = new WeakMap<CompiledTraining, EvaluateFunction>();
const predictions = new WeakMap<object, PredictFunction>();

/** The compiled training step of `training` (made from `step` on first use). */
export function compiledTrainStep(model: TrainableModel, training: CompiledTraining, step: (xs: Tensor[], ys: Tensor[]) => Tensor[]): TrainFunction {
  let compiled = trainSteps.get(training);
  if (!compiled) {
    // The third argument (the trainable weights' ids and the layers' trainable-flag version) only keys the cache: freezing a layer selects another program.
    compiled = jit((xs: Tensor[], ys: Tensor[], _weights: string) => step(xs, ys), { name: `${model.name}.trainStep` });
    trainSteps.set(training, compiled);
  }
  return compiled;
}

export function compiledEvaluation(model: TrainableModel, training: CompiledTraining, evaluate: (xs: Tensor[], ys: Tensor[], sums: Tensor, size: number) => Tensor): EvaluateFunction {
  let compiled = evaluations.get(training);
  if (!compiled) {
    compiled = jit(evaluate, { name: `${model.name}.evaluateBatch` });
    evaluations.set(training, compiled);
  }
  return compiled;
}

/** The compiled forward pass in inference mode, one program per shape of the input batches. */
export function compiledPrediction(model: TrainableModel): PredictFunction {
  let compiled = predictions.get(model);
  if (!compiled) {
    compiled = jit((xs: Tensor[]) => model.applyAll(xs, { training: false }), { name: `${model.name}.predictBatch` });
    predictions.set(model, compiled);
  }
  return compiled;
}

/** Each compiled function's cache counts and programs (wg.jit's describe), those not made yet left out. */
export function describeCompiled(model: object, training: CompiledTraining | null): string {
  const made = [training && trainSteps.get(training), training && evaluations.get(training), predictions.get(model)];
  return made.flatMap((compiled) => (compiled ? [compiled.describe()] : [])).join('\n\n');
}

/** Frees the programs' buffers of `training` (replaced by a new compile, or the model disposed) and, with `model`, of its predictions. */
export function disposeCompiled(training: CompiledTraining | null, model?: object): void {
  if (training) {
    trainSteps.get(training)?.dispose();
    trainSteps.delete(training);
    evaluations.get(training)?.dispose();
    evaluations.delete(training);
  }
  if (model) {
    predictions.get(model)?.dispose();
    predictions.delete(model);
  }
}
