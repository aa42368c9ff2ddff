// Loss functions as in Keras: each returns a scalar, the mean over the batch ("sum_over_batch_size"),
// built from differentiable ops so the tape supplies gradients.
import { ShapeError, ValueError, formatShape } from './errors';
import { tidy } from './memory';
import type { Tensor } from './tensor';
import { shapesEqual } from './shape';
import { NameTable } from './names';
import { alignLabels, alignTargets, checkLossInputs } from './targets';
import { add, div, mul, sub } from './ops/binary';
import { cast } from './ops/cast';
import { clip } from './ops/clip';
import { greaterEqual, lessEqual } from './ops/compare';
import { oneHot } from './ops/indexing';
import { reshape } from './ops/movement';
import { mean, sum } from './ops/reduce';
import { logSoftmax } from './ops/softmax';
import { abs, log, neg, sigmoid, square } from './ops/unary';
import { defineElementwise } from './ops/elementwise';
import { acceptTensorLike } from './ops/public';
import stableMathSource from '../shaders/stableMath.wgsl';

/** (yTrue, yPred) → a scalar: the loss averaged over the batch. */
export type LossFunction = (yTrue: Tensor, yPred: Tensor) => Tensor;

export interface CrossentropyOptions {
  /** yPred holds logits (unnormalized scores) rather than probabilities. Default false. */
  fromLogits?: boolean;
}

/** Keras's backend epsilon: probabilities are clipped to [EPSILON, 1 − EPSILON] before the log. */
const EPSILON = 1e-7;

/** mean((yPred − yTrue)²). */
function meanSquaredErrorOfTensors(yTrue: Tensor, yPred: Tensor): Tensor {
  return tidy(() => mean(square(sub(yPred, alignTargets('meanSquaredError', yTrue, yPred)))));
}

/** mean(|yPred − yTrue|). */
function meanAbsoluteErrorOfTensors(yTrue: Tensor, yPred: Tensor): Tensor {
  return tidy(() => mean(abs(sub(yPred, alignTargets('meanAbsoluteError', yTrue, yPred)))));
}

/**
 * Every loss propagates NaN from yTrue and yPred (the probability clips keep NaN), so a NaN in the
 * data surfaces as a NaN loss: fit's NonFiniteLossError and TerminateOnNaN see it on its batch.
 *
 * mean of −[z·log p + (1 − z)·log(1 − p)] over every element, with p = yPred clipped to
 * [1e-7, 1 − 1e-7]. With fromLogits, yPred = x are logits and each term is computed as
 * softplus(x) − x·z = max(x, 0) − x·z + log(1 + e^−|x|), finite for any x. Each per-element term
 * and its gradient is one fused kernel.
 */
function binaryCrossentropyOfTensors(yTrue: Tensor, yPred: Tensor, options: CrossentropyOptions = {}): Tensor {
  return tidy(() => {
    const z = alignTargets('binaryCrossentropy', yTrue, yPred);
    return mean(options.fromLogits ? binaryCrossentropyFromLogitsTerms(z, yPred) : binaryCrossentropyTerms(z, yPred));
  });
}

/** p clipped to [ε, 1 − ε] in WGSL, NaN kept (clamp alone may turn it into a bound and hide it). */
const CLIPPED_P = `select(clamp(p, ${EPSILON}, 1.0 - ${EPSILON}), p, isNan(p))`;

/**
 * −[z·log q + (1 − z)·log(1 − q)], q = clip(p, ε, 1 − ε); no gradient flows where p was clipped.
 * A NaN in p or z gives NaN (ieeeLog, since WGSL's log of NaN is undefined: 89.1 on SwiftShader).
 */
const binaryCrossentropyTerms = defineElementwise({
  name: 'binaryCrossentropy',
  inputs: ['z', 'p'],
  body: `let q = ${CLIPPED_P};
  return -(z * ieeeLog(q) + (1.0 - z) * ieeeLog(1.0 - q));`,
  gradients: [
    {
      body: `let q = ${CLIPPED_P};
  return -dy * (ieeeLog(q) - ieeeLog(1.0 - q));`,
      composed: ([, p], _out, dy) => {
        const q = clip(p, EPSILON, 1 - EPSILON);
        return neg(mul(dy, sub(log(q), log(sub(1, q)))));
      },
    },
    {
      body: `if (p < ${EPSILON} || p > 1.0 - ${EPSILON}) { return 0.0; }
  return dy * (p - z) / (p * (1.0 - p));`,
      composed: ([z, p], _out, dy) => {
        const q = clip(p, EPSILON, 1 - EPSILON);
        const unclipped = mul(greaterEqual(p, EPSILON), lessEqual(p, 1 - EPSILON));
        return mul(mul(dy, unclipped), div(sub(q, z), mul(q, sub(1, q))));
      },
    },
  ],
});

/** softplus(x) − x·z: the binary cross-entropy of logits x, finite for any finite x; NaN in x or z gives NaN. */
const binaryCrossentropyFromLogitsTerms = defineElementwise({
  name: 'binaryCrossentropyFromLogits',
  inputs: ['z', 'x'],
  body: 'return select(select(x, 0.0, x < 0.0) - x * z + log(1.0 + exp(-abs(x))), x, isNan(x));',
  prelude: stableMathSource,
  gradients: [
    { body: 'return -dy * x;', composed: ([, x], _out, dy) => neg(mul(dy, x)) },
    { body: 'return dy * (stableSigmoid(x) - z);', composed: ([z, x], _out, dy) => mul(dy, sub(sigmoid(x), z)) },
  ],
});

/**
 * mean over the batch of −Σ yTrue·log p along the last axis. yTrue holds one-hot (or soft) rows of
 * yPred's shape. Probabilities are first rescaled to sum to 1 along the last axis and clipped to
 * [1e-7, 1 − 1e-7]; with fromLogits, log p = logSoftmax(yPred).
 */
function categoricalCrossentropyOfTensors(yTrue: Tensor, yPred: Tensor, options: CrossentropyOptions = {}): Tensor {
  const op = 'categoricalCrossentropy';
  checkLossInputs(op, yTrue, yPred);
  if (yPred.rank === 0 || !shapesEqual(yTrue.shape, yPred.shape)) {
    const looksLikeLabels = yTrue.rank === yPred.rank - 1 || (yTrue.rank === yPred.rank && yTrue.shape.at(-1) === 1);
    const hint = looksLikeLabels ? '; for integer class labels use sparseCategoricalCrossentropy' : '';
    throw new ShapeError(`${op}: yTrue ${formatShape(yTrue.shape)} must have yPred's shape ${formatShape(yPred.shape)} (rank ≥ 1, classes last)${hint}`);
  }
  return tidy(() => crossentropyAlongLastAxis(yTrue.dtype === 'float32' ? yTrue : cast(yTrue, 'float32'), yPred, options));
}

/**
 * categoricalCrossentropy with integer class labels: yTrue has yPred's shape without its last axis
 * (or with a last axis of 1), int32 or whole-number float32. Labels are not checked against the
 * number of classes (that needs a GPU readback; Sequential.fit checks them on upload): a label
 * outside [0, classes) selects no class and contributes a loss of 0. A NaN label makes the loss NaN.
 */
function sparseCategoricalCrossentropyOfTensors(yTrue: Tensor, yPred: Tensor, options: CrossentropyOptions = {}): Tensor {
  const op = 'sparseCategoricalCrossentropy';
  checkLossInputs(op, yTrue, yPred);
  const labels = alignLabels(op, yTrue, yPred);
  return tidy(() => {
    const indices = labels.dtype === 'int32' ? labels : cast(labels, 'int32');
    const classes = yPred.shape[yPred.rank - 1];
    const target = oneHot(reshape(indices, yPred.shape.slice(0, -1)), classes);
    // A NaN float32 label would cast to some integer and select a class (or none): adding label·0
    // (0, or NaN for NaN) to its one-hot row makes that row's loss NaN instead.
    const nanOfLabels = labels.dtype === 'float32' ? mul(reshape(labels, [...yPred.shape.slice(0, -1), 1]), 0) : null;
    return crossentropyAlongLastAxis(nanOfLabels ? add(target, nanOfLabels) : target, yPred, options);
  });
}

function crossentropyAlongLastAxis(target: Tensor, yPred: Tensor, options: CrossentropyOptions): Tensor {
  const logProbabilities = options.fromLogits
    ? logSoftmax(yPred, -1)
    : log(clip(div(yPred, sum(yPred, -1, true)), EPSILON, 1 - EPSILON));
  return neg(mean(sum(mul(target, logProbabilities), -1)));
}

// The public forms: labels and predictions may also be TensorLike (nested arrays, typed arrays),
// converted and disposed as the public ops do (src/ops/public.ts); tensors pass straight through.
export const meanSquaredError = acceptTensorLike('meanSquaredError', ['yTrue', 'yPred'], meanSquaredErrorOfTensors);
export const meanAbsoluteError = acceptTensorLike('meanAbsoluteError', ['yTrue', 'yPred'], meanAbsoluteErrorOfTensors);
export const binaryCrossentropy = acceptTensorLike('binaryCrossentropy', ['yTrue', 'yPred', null], binaryCrossentropyOfTensors);
export const categoricalCrossentropy = acceptTensorLike('categoricalCrossentropy', ['yTrue', 'yPred', null], categoricalCrossentropyOfTensors);
export const sparseCategoricalCrossentropy = acceptTensorLike('sparseCategoricalCrossentropy', ['yTrue', 'yPred', null], sparseCategoricalCrossentropyOfTensors);

/** A LossFunction with the options fixed, named like the Keras loss (so getLoss and accuracy know it). */
function withOptions(
  name: string,
  loss: (yTrue: Tensor, yPred: Tensor, options: CrossentropyOptions) => Tensor,
  options: CrossentropyOptions,
): LossFunction {
  const fixed: LossFunction = (yTrue, yPred) => loss(yTrue, yPred, options);
  Object.defineProperty(fixed, 'name', { value: name });
  return fixed;
}

/**
 * The categorical cross-entropies on probabilities, each mapped to the same loss from logits. A
 * model's training takes that form when its output is a softmax of known logits (getLoss's
 * `softmaxLogits`, used by src/nn/outputLogits.ts); keyed by identity, so a user's own function
 * that calls these losses keeps the clipped form.
 */
const softmaxLogitsForms = new WeakMap<LossFunction, LossFunction>([
  [categoricalCrossentropy, withOptions('categorical_crossentropy', categoricalCrossentropy, { fromLogits: true })],
  [sparseCategoricalCrossentropy, withOptions('sparse_categorical_crossentropy', sparseCategoricalCrossentropy, { fromLogits: true })],
]);

/** A categorical cross-entropy with its options fixed; on probabilities, registered with its form from logits. */
function categoricalWithOptions(
  name: string,
  loss: (yTrue: Tensor, yPred: Tensor, options: CrossentropyOptions) => Tensor,
  options: CrossentropyOptions,
): LossFunction {
  const fixed = withOptions(name, loss, options);
  if (!options.fromLogits) softmaxLogitsForms.set(fixed, withOptions(name, loss, { ...options, fromLogits: true }));
  return fixed;
}

/** binaryCrossentropy with its options fixed, e.g. for compile: `binaryCrossentropyWith({ fromLogits: true })`. */
export const binaryCrossentropyWith = (options: CrossentropyOptions): LossFunction =>
  withOptions('binary_crossentropy', binaryCrossentropy, options);
export const categoricalCrossentropyWith = (options: CrossentropyOptions): LossFunction =>
  categoricalWithOptions('categorical_crossentropy', categoricalCrossentropy, options);
export const sparseCategoricalCrossentropyWith = (options: CrossentropyOptions): LossFunction =>
  categoricalWithOptions('sparse_categorical_crossentropy', sparseCategoricalCrossentropy, options);

/**
 * What a loss's labels are: 'sparse', class indices (one per prediction row, checked as integers in
 * range before training), or 'dense', arrays shaped like the predictions.
 */
export type LabelKind = 'sparse' | 'dense';

const lossEntries: Record<string, { aliases?: string[]; value: LossFunction; labels: LabelKind }> = {
  mean_squared_error: { aliases: ['mse'], value: meanSquaredError, labels: 'dense' },
  mean_absolute_error: { aliases: ['mae'], value: meanAbsoluteError, labels: 'dense' },
  binary_crossentropy: { value: binaryCrossentropy, labels: 'dense' },
  categorical_crossentropy: { value: categoricalCrossentropy, labels: 'dense' },
  sparse_categorical_crossentropy: { value: sparseCategoricalCrossentropy, labels: 'sparse' },
};
const lossTable = new NameTable<LossFunction>(lossEntries);

/** The canonical (Keras snake_case) name of a known loss spelling, else undefined. */
export function canonicalLossName(name: string): string | undefined {
  return lossTable.get(name)?.name;
}

/**
 * A loss by name ('mse', 'mean_squared_error', 'meanSquaredError', … in any case) or a function
 * passed through. The name is the Keras snake_case one; a function's own name is resolved the same
 * way when it is a known loss (so `binaryCrossentropyWith(...)` reports 'binary_crossentropy').
 */
export function getLoss(identifier: string | LossFunction): ResolvedLoss {
  if (typeof identifier === 'function') {
    // By identity first: a bundler may rename functions, but not the closures named by withOptions.
    const name = lossTable.nameOf(identifier) ?? canonicalLossName(identifier.name) ?? identifier.name;
    // A custom function's labels are taken as dense: nothing checks them as class indices.
    return { name: name || 'custom_loss', fn: identifier, labels: labelsOf(name), softmaxLogits: softmaxLogitsForms.get(identifier) ?? null };
  }
  const found = typeof identifier === 'string' ? lossTable.get(identifier) : undefined;
  if (!found) {
    throw new ValueError(`getLoss: unknown loss ${JSON.stringify(identifier)}; known: ${lossTable.spellings.join(', ')}`);
  }
  return { name: found.name, fn: found.value, labels: labelsOf(found.name), softmaxLogits: softmaxLogitsForms.get(found.value) ?? null };
}

/** A loss resolved by getLoss. */
export interface ResolvedLoss {
  name: string;
  fn: LossFunction;
  labels: LabelKind;
  /**
   * For (sparse) categorical cross-entropy on probabilities, the same loss from logits: what a
   * model's fit / evaluate computes when its output is a softmax of known logits (Keras's
   * TensorFlow backend); null for every other loss.
   */
  softmaxLogits: LossFunction | null;
}

function labelsOf(canonicalName: string): LabelKind {
  return Object.hasOwn(lossEntries, canonicalName) ? lossEntries[canonicalName].labels : 'dense';
}
