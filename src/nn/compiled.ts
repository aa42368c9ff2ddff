// What compile resolves (an optimizer, and a loss and metrics per model output) and the model
// interface the training loop runs on, so Sequential and functional models share one loop.
import { ValueError, formatValue } from '../errors';
import type { Tensor } from '../tensor';
import { getOptimizer, type Optimizer } from '../optim';
import { getLoss, type LossFunction, type ResolvedLoss } from '../losses';
import { getMetric, type MetricFunction } from '../metrics';
import type { TrainingTarget } from './callbacks';
import type { ModelActivity } from './activity';
import type { Layer, SampleShape } from './layer';

export type LossIdentifier = string | LossFunction;
export type MetricIdentifier = string | MetricFunction;

export interface CompileArgs {
  optimizer: string | Optimizer;
  /** One loss for every output, or one per output (a list in output order, or keyed by output name). */
  loss: LossIdentifier | LossIdentifier[] | Record<string, LossIdentifier>;
  /** For one output a list; for several, a list per output or a list keyed by output name (Keras 3's rule). */
  metrics?: MetricIdentifier[] | MetricIdentifier[][] | Record<string, MetricIdentifier[]>;
  /** Keras's loss_weights: the total loss is the sum of each output's loss times its weight (default 1); one number, a list, or keyed by output name. */
  lossWeights?: number[] | Record<string, number>;
  /**
   * Run fit / trainOnBatch's training steps and evaluate / predict's batches as compiled programs
   * (wg.jit), one per batch shape (default true); false runs every op eagerly, for debugging.
   */
  jit?: boolean;
}

/** One output's loss and metrics; `name` is the output layer's name (the prefix of its logs). */
export interface OutputTraining {
  name: string;
  loss: ResolvedLoss;
  metrics: { name: string; fn: MetricFunction }[];
  /** Its loss's weight in the total loss. */
  lossWeight: number;
}

/** The pieces `compile` resolved, used by the training loop. */
export interface CompiledTraining {
  optimizer: Optimizer;
  outputs: OutputTraining[];
  /** Whether training steps run compiled (CompileArgs.jit). */
  jit: boolean;
}

/** What the training loop needs of a model (Sequential is the one-input, one-output case). */
export interface TrainableModel extends TrainingTarget {
  readonly name: string;
  readonly activity: ModelActivity;
  readonly trainableWeights: Tensor[];
  compiled(op: string): CompiledTraining;
  /** compile's `jit` setting, or true before any compile (predict's default). */
  compiledJit(): boolean;
  /** Checks each input batch's sample shape (and builds an unbuilt model). */
  assertInputs(op: string, xs: readonly Tensor[]): void;
  /** The forward pass on one batch per input, one tensor per output. */
  applyAll(xs: readonly Tensor[], options: { training: boolean }): Tensor[];
  /** Each output's shape without the batch dimension (known once the inputs are). */
  outputShapes(): SampleShape[];
  /** The layers each input feeds directly (fit checks token ids for an Embedding among them). */
  inputConsumers(): Layer[][];
}

/** Resolves compile's arguments for outputs named `outputNames`; throws before anything changes. */
export function compileTraining(op: string, args: CompileArgs, outputNames: readonly string[]): CompiledTraining {
  const losses = perOutput(op, 'loss', args.loss, outputNames, (value) => typeof value === 'string' || typeof value === 'function')
    .map((identifier) => getLoss(identifier as LossIdentifier));
  const metricLists = args.metrics === undefined ? outputNames.map(() => [])
    : outputNames.length === 1 && Array.isArray(args.metrics) && !args.metrics.some(Array.isArray) ? [args.metrics as MetricIdentifier[]]
      : perOutput(op, 'metrics', args.metrics, outputNames, () => false, () => []) as MetricIdentifier[][];
  const lossWeights = args.lossWeights === undefined ? outputNames.map(() => 1) : perOutput(op, 'lossWeights', args.lossWeights, outputNames, (value) => typeof value === 'number', () => 1);
  const badWeight = lossWeights.findIndex((weight) => typeof weight !== 'number' || !Number.isFinite(weight));
  if (badWeight >= 0) throw new ValueError(`${op}: lossWeights for output '${outputNames[badWeight]}' must be a finite number, got ${formatValue(lossWeights[badWeight])}`);
  const optimizer = getOptimizer(args.optimizer);
  try {
    if (args.jit !== undefined && typeof args.jit !== 'boolean') throw new ValueError(`${op}: jit must be true or false, got ${formatValue(args.jit)}`);
    return {
      optimizer,
      jit: args.jit ?? true,
      outputs: outputNames.map((name, i) => {
        if (!Array.isArray(metricLists[i])) throw new ValueError(`${op}: metrics for output '${name}' must be a list, got ${formatValue(metricLists[i])}`);
        return { name, loss: losses[i], lossWeight: lossWeights[i] as number, metrics: metricLists[i].map((metric) => getMetric(metric, losses[i].name)) };
      }),
    };
  } catch (error) {
    optimizer.dispose();
    throw error;
  }
}

/**
 * `value` spread over the outputs: one entry shared by all (when `isSingle` says so), a list with
 * one entry per output, or an object keyed by output name — by every output name unless `absent`
 * gives what an output left out gets (Keras: no metrics, a loss weight of 1).
 */
function perOutput(op: string, what: string, value: unknown, outputNames: readonly string[], isSingle: (value: unknown) => boolean, absent?: () => unknown): unknown[] {
  if (isSingle(value)) return outputNames.map(() => value);
  if (Array.isArray(value)) {
    if (value.length !== outputNames.length) {
      throw new ValueError(`${op}: ${what} has ${value.length} entries but the model has ${outputNames.length} outputs (${outputNames.join(', ')})`);
    }
    return value;
  }
  if (value !== null && typeof value === 'object') {
    const byName = value as Record<string, unknown>;
    const unknown = Object.keys(byName).find((key) => !outputNames.includes(key));
    if (unknown !== undefined) throw new ValueError(`${op}: ${what} names output ${formatValue(unknown)}; the outputs are ${outputNames.join(', ')}`);
    const missing = outputNames.find((name) => !Object.hasOwn(byName, name));
    if (missing !== undefined && !absent) throw new ValueError(`${op}: ${what} has no entry for output '${missing}'`);
    return outputNames.map((name) => (Object.hasOwn(byName, name) ? byName[name] : (absent as () => unknown)()));
  }
  throw new ValueError(`${op}: ${what} must be one entry for every output, a list in output order, or an object keyed by output name, got ${formatValue(value)}`);
}

/**
 * Keras's log names: 'loss' and the metric names for one output; for several, 'loss' (the weighted sum),
 * '<output>_loss' for each, then '<output>_<metric>'.
 */
export function logNames(training: CompiledTraining): string[] {
  const { outputs } = training;
  if (outputs.length === 1) return ['loss', ...outputs[0].metrics.map((metric) => metric.name)];
  return ['loss', ...outputs.map(({ name }) => `${name}_loss`), ...outputs.flatMap(({ name, metrics }) => metrics.map((metric) => `${name}_${metric.name}`))];
}

/** A batch's log values in logNames order, from each output's labels and predictions (the total loss given). */
export function batchValues(training: CompiledTraining, ys: readonly Tensor[], predictions: readonly Tensor[], losses: readonly Tensor[], total: Tensor): Tensor[] {
  const { outputs } = training;
  const metrics = outputs.flatMap(({ metrics: list }, i) => list.map((metric) => metric.fn(ys[i], predictions[i])));
  return outputs.length === 1 ? [total, ...metrics] : [total, ...losses, ...metrics];
}
