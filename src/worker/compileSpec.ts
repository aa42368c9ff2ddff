// A compiled model's training settings in a form that crosses to a worker: the optimizer as
// optimizers.serialize writes it, each loss and metric by name. Only settings that the names
// rebuild exactly can cross: a custom function (or a loss with options fixed, such as
// sparseCategoricalCrossentropyWith) cannot be sent, and is refused rather than replaced.
import { ValueError } from '../errors';
import { getLoss } from '../losses';
import { getMetric } from '../metrics';
import { deserialize, serialize, type OptimizerConfig } from '../optim';
import type { CompileArgs, CompiledTraining } from '../nn/compiled';

export interface CompileSpec {
  optimizer: { className: string; config: OptimizerConfig };
  /** Per output, in output order. */
  losses: string[];
  metrics: string[][];
  lossWeights: number[];
}

/** The spec of `training`, or a ValueError naming the first loss or metric that has no name to travel by. */
export function describeCompile(op: string, training: CompiledTraining): CompileSpec {
  for (const { name, loss, metrics } of training.outputs) {
    if (!sameLoss(loss.name, loss.fn)) {
      throw new ValueError(`${op}: output '${name}' has a custom loss ('${loss.name}'); only losses given by name (or webgrad's own functions) can be rebuilt in a worker`);
    }
    const custom = metrics.find((metric) => !sameMetric(metric.name, loss.name, metric.fn));
    if (custom) {
      throw new ValueError(`${op}: output '${name}' has a custom metric ('${custom.name}'); only metrics given by name (or webgrad's own functions) can be rebuilt in a worker`);
    }
  }
  return {
    optimizer: serialize(training.optimizer),
    losses: training.outputs.map(({ loss }) => loss.name),
    metrics: training.outputs.map(({ metrics }) => metrics.map((metric) => metric.name)),
    lossWeights: training.outputs.map(({ lossWeight }) => lossWeight),
  };
}

/** compile's arguments rebuilding the spec (a fresh optimizer: its state, as Keras's serialize, stays behind). */
export function compileArgs(spec: CompileSpec): CompileArgs {
  return { optimizer: deserialize(spec.optimizer), loss: spec.losses, metrics: spec.metrics, lossWeights: spec.lossWeights };
}

/** Whether `name` resolves to this very function (false also when it resolves to nothing). */
function sameLoss(name: string, fn: unknown): boolean {
  try {
    return getLoss(name).fn === fn;
  } catch {
    return false;
  }
}

function sameMetric(name: string, lossName: string, fn: unknown): boolean {
  try {
    return getMetric(name, lossName).fn === fn;
  } catch {
    return false;
  }
}
