// Checks on fit / evaluate / trainOnBatch arguments before any work is queued: the options, the
// sample counts and shapes, and the values a GPU kernel would otherwise misread silently (class
// indices for sparse losses, token ids for an Embedding), so bad data fails with a typed error
// naming the value and where it is, and the model is left as it was.
import { ShapeError, ValueError, formatShape } from '../errors';
import type { Tensor } from '../tensor';
import { shapesEqual } from '../shape';
import type { CallbackHandlers } from './callbacks';
import { Embedding } from './layers/embedding';
import type { CompiledTraining, Sequential } from './sequential';

export interface FitOptions {
  epochs?: number;
  batchSize?: number;
  shuffle?: boolean;
  /** Fraction of the samples, taken from the end before shuffling (as Keras), held out for validation. */
  validationSplit?: number;
  validationData?: [Tensor, Tensor];
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

export function fitSettings(options: FitOptions): FitSettings {
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
 * The synchronous checks: x and y alive, at least one sample, matching sample counts, the input
 * shape (which builds an unbuilt model), and y's shape for the loss.
 */
export function checkShapes(op: string, model: Sequential, training: CompiledTraining, x: Tensor, y: Tensor): void {
  x.assertAlive(op);
  y.assertAlive(op);
  if (x.rank > 0 && x.shape[0] === 0) throw new ValueError(`${op}: x has 0 samples ${formatShape(x.shape)}`);
  if (y.rank === 0 || y.shape[0] !== x.shape[0]) {
    throw new ShapeError(`${op}: x has ${x.shape[0]} samples ${formatShape(x.shape)} but y has ${y.rank === 0 ? 'none (a scalar)' : y.shape[0]} ${formatShape(y.shape)}`);
  }
  model.assertInput(op, x);
  const outputShape = model.outputShape ?? [];
  const labelShape = y.shape.slice(1);
  if (isSparse(training)) {
    // One class index per output row: outputs [batch, ..., classes] take labels [batch, ...] or [batch, ..., 1].
    const perSample = outputShape.slice(0, -1);
    if (!(shapesEqual(labelShape, perSample) || shapesEqual(labelShape, [...perSample, 1]))) {
      const dims = perSample.map((dim) => `,${dim}`).join('');
      throw new ShapeError(`${op}: ${training.loss.name} takes class indices of shape [n${dims}] or [n${dims},1], got ${formatShape(y.shape)}`);
    }
  } else if (!shapesEqual(labelShape, outputShape)) {
    throw new ShapeError(`${op}: y has shape ${formatShape(y.shape)} but the model outputs [batch,${outputShape.join(',')}]`);
  }
}

/**
 * The checks that need the values (one readback each, in parallel): every class index of a sparse
 * loss an integer in [0, classes), every token id of a leading Embedding in [0, inputDim). On the
 * GPU an out-of-range index would be clamped to a valid row and train on the wrong target.
 */
export async function checkValues(op: string, model: Sequential, training: CompiledTraining, x: Tensor, y: Tensor): Promise<void> {
  const checks: Promise<void>[] = [];
  if (isSparse(training)) {
    const outputShape = model.outputShape ?? [];
    const classes = outputShape[outputShape.length - 1];
    checks.push(checkIndices(op, y, 'y', classes, `${training.loss.name} takes integer class indices`));
  }
  const first = model.layers[0];
  if (first instanceof Embedding && x.dtype === 'int32') {
    checks.push(checkIndices(op, x, 'x', first.inputDim, `Embedding '${first.name}' takes token ids`));
  }
  await Promise.all(checks);
}

/** Throws naming the first element that is not an integer in [0, limit), with its index. */
async function checkIndices(op: string, values: Tensor, what: string, limit: number, rule: string): Promise<void> {
  const flat = await values.data();
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

function isSparse(training: CompiledTraining): boolean {
  return /sparse/i.test(training.loss.name);
}
