// Checks on fit / evaluate / trainOnBatch arguments before any work is queued: the options, the
// sample counts and shapes, and the values a GPU kernel would otherwise misread silently (class
// indices for sparse losses, token ids for an Embedding), so bad data fails with a typed error
// naming the value and where it is, and the model is left as it was.
import { ShapeError, ValueError, formatShape } from '../errors';
import type { Tensor } from '../tensor';
import { shapesEqual } from '../shape';
import type { CallbackHandlers } from './callbacks';
import { Embedding } from './layers/embedding';
import { uploadedValues } from '../data/uploaded';
import type { CompiledTraining, OutputTraining, TrainableModel } from './compiled';

/** fit's options; `Data` is what validationData pairs (a tensor, or a list per input and output). */
export interface FitOptions<Data = Tensor> {
  epochs?: number;
  batchSize?: number;
  shuffle?: boolean;
  /** Fraction of the samples, taken from the end before shuffling (as Keras), held out for validation. */
  validationSplit?: number;
  validationData?: [Data, Data];
  initialEpoch?: number;
  /** 0 silent, 1 or 2 one console line per epoch. */
  verbose?: 0 | 1 | 2;
  callbacks?: CallbackHandlers | CallbackHandlers[];
}

/** FitOptions with Keras's defaults filled in, each checked. */
export interface FitSettings {
  epochs: number;
  batchSize: number;
  shuffle: boolean;
  validationSplit: number;
  initialEpoch: number;
  verbose: 0 | 1 | 2;
}

export function fitSettings(options: FitOptions<unknown>): FitSettings {
  const { epochs = 1, batchSize = 32, shuffle = true, validationSplit = 0, initialEpoch = 0, verbose = 1 } = options;
  assertInteger('fit', 'epochs', epochs, 0);
  assertInteger('fit', 'batchSize', batchSize, 1);
  assertInteger('fit', 'initialEpoch', initialEpoch, 0);
  if (typeof shuffle !== 'boolean') throw new ValueError(`fit: shuffle must be true or false, got ${String(shuffle)}`);
  if (!(typeof validationSplit === 'number' && validationSplit >= 0 && validationSplit < 1)) {
    throw new ValueError(`fit: validationSplit must be a number in [0, 1), got ${String(validationSplit)}`);
  }
  if (verbose !== 0 && verbose !== 1 && verbose !== 2) throw new ValueError(`fit: verbose must be 0, 1 or 2, got ${String(verbose)}`);
  return { epochs, batchSize, shuffle, validationSplit, initialEpoch, verbose };
}

/** An integer option at least `least` (NaN, fractions, strings and Infinity all refused). */
export function assertInteger(op: string, name: string, value: unknown, least: number): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < least) {
    const kind = least === 1 ? 'a positive integer' : least === 0 ? 'a non-negative integer' : `an integer ≥ ${least}`;
    throw new ValueError(`${op}: ${name} must be ${kind}, got ${String(value)}`);
  }
}

/**
 * The synchronous checks: x and y alive, one array per model input and output, at least one
 * sample, matching sample counts, the input shapes (which build an unbuilt model), and each y's
 * shape for its output's loss. With one input and output the arrays are named x and y.
 */
export function checkShapes(op: string, model: TrainableModel, training: CompiledTraining, x: readonly Tensor[], y: readonly Tensor[]): void {
  for (const t of [...x, ...y]) t.assertAlive(op);
  if (y.length !== training.outputs.length) throw new ValueError(`${op}: the model has ${training.outputs.length} outputs but y has ${y.length} arrays`);
  if (x.length === 0) throw new ValueError(`${op}: x holds no arrays`);
  const samples = x[0].shape[0];
  if (x[0].rank > 0 && samples === 0) throw new ValueError(`${op}: ${arrayName('x', 0, x.length)} has 0 samples ${formatShape(x[0].shape)}`);
  y.forEach((labels, i) => {
    if (labels.rank === 0 || labels.shape[0] !== samples) {
      throw new ShapeError(`${op}: ${arrayName('x', 0, x.length)} has ${samples} samples ${formatShape(x[0].shape)} but ${arrayName('y', i, y.length)} has ${labels.rank === 0 ? 'none (a scalar)' : labels.shape[0]} ${formatShape(labels.shape)}`);
    }
  });
  model.assertInputs(op, x);
  assertSameSamples(op, x, 'x');
  const outputShapes = model.outputShapes();
  training.outputs.forEach((output, i) => checkLabelShape(op, output, outputShapes[i], y[i], arrayName('y', i, y.length)));
}

/** Every input array holds as many samples as the first. */
export function assertSameSamples(op: string, arrays: readonly Tensor[], what: string): void {
  const samples = arrays[0].shape[0];
  arrays.forEach((array, i) => {
    if (array.rank === 0) throw new ShapeError(`${op}: inputs need a batch dimension, got a scalar`);
    if (array.shape[0] !== samples) {
      throw new ShapeError(`${op}: ${arrayName(what, 0, arrays.length)} has ${samples} samples ${formatShape(arrays[0].shape)} but ${arrayName(what, i, arrays.length)} has ${array.shape[0]} ${formatShape(array.shape)}`);
    }
  });
}

function arrayName(what: string, index: number, count: number): string {
  return count === 1 ? what : `${what}[${index}]`;
}

function checkLabelShape(op: string, output: OutputTraining, outputShape: readonly number[], y: Tensor, what: string): void {
  const labelShape = y.shape.slice(1);
  if (isSparse(output)) {
    // One class index per output row: outputs [batch, ..., classes] take labels [batch, ...] or [batch, ..., 1].
    const perSample = outputShape.slice(0, -1);
    if (!(shapesEqual(labelShape, perSample) || shapesEqual(labelShape, [...perSample, 1]))) {
      const dims = perSample.map((dim) => `,${dim}`).join('');
      throw new ShapeError(`${op}: ${output.loss.name} takes class indices of shape [n${dims}] or [n${dims},1], got ${formatShape(y.shape)}`);
    }
  } else if (!shapesEqual(labelShape, outputShape)) {
    throw new ShapeError(`${op}: ${what} has shape ${formatShape(y.shape)} but the model outputs [batch,${outputShape.join(',')}]`);
  }
}

/**
 * The checks that need the values (one readback each, in parallel): every class index of a sparse
 * loss an integer in [0, classes), every token id fed straight to an Embedding in [0, inputDim). On
 * the GPU an out-of-range index would be clamped to a valid row and train on the wrong target.
 */
export async function checkValues(op: string, model: TrainableModel, training: CompiledTraining, x: readonly Tensor[], y: readonly Tensor[]): Promise<void> {
  const checks: Promise<void>[] = [];
  const outputShapes = model.outputShapes();
  training.outputs.forEach((output, i) => {
    if (!isSparse(output)) return;
    const classes = outputShapes[i][outputShapes[i].length - 1];
    checks.push(checkIndices(op, y[i], arrayName('y', i, y.length), classes, `${output.loss.name} takes integer class indices`));
  });
  model.inputConsumers().forEach((consumers, i) => {
    for (const layer of consumers) {
      if (layer instanceof Embedding && x[i].dtype === 'int32') {
        checks.push(checkIndices(op, x[i], arrayName('x', i, x.length), layer.inputDim, `Embedding '${layer.name}' takes token ids`));
      }
    }
  });
  await Promise.all(checks);
}

/** Throws naming the first element that is not an integer in [0, limit), with its index. */
async function checkIndices(op: string, values: Tensor, what: string, limit: number, rule: string): Promise<void> {
  const flat = uploadedValues(values) ?? await values.data();
  const bad = flat.findIndex((value) => !(Number.isInteger(value) && value >= 0 && value < limit));
  if (bad >= 0) {
    throw new ValueError(`${op}: ${rule} in [0, ${limit - 1}]; ${what}${formatIndex(bad, values.shape)} is ${flat[bad]}`);
  }
}

/** A flat index as [i,j,...] in `shape`. */
function formatIndex(flatIndex: number, shape: readonly number[]): string {
  const index: number[] = [];
  let rest = flatIndex;
  for (let axis = shape.length - 1; axis >= 0; axis--) {
    index.unshift(rest % shape[axis]);
    rest = Math.floor(rest / shape[axis]);
  }
  return `[${index.join(',')}]`;
}

function isSparse(output: OutputTraining): boolean {
  return output.loss.labels === 'sparse';
}
