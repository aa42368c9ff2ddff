// Metrics as in Keras: each returns a scalar batch mean, computed without recording on any tape.
import { noGrad } from './autograd/recorder';
import { ShapeError, ValueError, formatShape } from './errors';
import { tidy } from './memory';
import type { Tensor } from './tensor';
import { shapesEqual } from './shape';
import { equal } from './ops/compare';
import { defineElementwise } from './ops/elementwise';
import { acceptTensorLike } from './ops/public';
import { argmax, mean } from './ops/reduce';
import { reshape } from './ops/movement';
import { NameTable, nameKey } from './names';
import { alignLabels, alignTargets } from './targets';
import {
  binaryCrossentropy,
  canonicalLossName,
  categoricalCrossentropy,
  meanAbsoluteError,
  meanSquaredError,
  sparseCategoricalCrossentropy,
} from './losses';

/** (yTrue, yPred) → a scalar: the metric averaged over the batch. */
export type MetricFunction = (yTrue: Tensor, yPred: Tensor) => Tensor;

function metric(fn: () => Tensor): Tensor {
  return noGrad(() => tidy(fn));
}

/** Fraction of elements where (yPred > threshold) equals yTrue (0/1 labels), as Keras's binary_accuracy. */
function binaryAccuracyOfTensors(yTrue: Tensor, yPred: Tensor, threshold = 0.5): Tensor {
  return metric(() => mean(binaryHits(alignTargets('binaryAccuracy', yTrue, yPred), yPred, threshold)));
}

/** 1 where (p > threshold) equals z, else 0: one kernel instead of a comparison and an equality. */
const binaryHits = defineElementwise({
  name: 'binaryAccuracy',
  inputs: ['z', 'p', 'threshold'],
  body: 'return select(0.0, 1.0, z == select(0.0, 1.0, p > threshold));',
});

/** Fraction of rows whose largest yPred entry is where yTrue (one-hot rows) is largest. */
function categoricalAccuracyOfTensors(yTrue: Tensor, yPred: Tensor): Tensor {
  yTrue.assertAlive('categoricalAccuracy');
  yPred.assertAlive('categoricalAccuracy');
  if (yPred.rank === 0 || !shapesEqual(yTrue.shape, yPred.shape)) {
    throw new ShapeError(`categoricalAccuracy: yTrue ${formatShape(yTrue.shape)} must have yPred's shape ${formatShape(yPred.shape)} (rank ≥ 1, classes last)`);
  }
  return metric(() => mean(equal(argmax(yTrue, -1), argmax(yPred, -1))));
}

/** Fraction of rows whose largest yPred entry is at the class index yTrue gives (shape [n] or [n,1]). */
function sparseCategoricalAccuracyOfTensors(yTrue: Tensor, yPred: Tensor): Tensor {
  yTrue.assertAlive('sparseCategoricalAccuracy');
  yPred.assertAlive('sparseCategoricalAccuracy');
  const labels = alignLabels('sparseCategoricalAccuracy', yTrue, yPred);
  return metric(() => mean(equal(reshape(labels, yPred.shape.slice(0, -1)), argmax(yPred, -1))));
}

// The public forms: labels and predictions may also be TensorLike (nested arrays, typed arrays),
// converted and disposed as the public ops do (src/ops/public.ts); tensors pass straight through.
export const binaryAccuracy = acceptTensorLike('binaryAccuracy', ['yTrue', 'yPred', null], binaryAccuracyOfTensors);
export const categoricalAccuracy = acceptTensorLike('categoricalAccuracy', ['yTrue', 'yPred'], categoricalAccuracyOfTensors);
export const sparseCategoricalAccuracy = acceptTensorLike('sparseCategoricalAccuracy', ['yTrue', 'yPred'], sparseCategoricalAccuracyOfTensors);

/**
 * Accuracy chosen from the shapes, as Keras 3 does when the loss does not decide: one output
 * column → binary; labels with one axis fewer (or a last axis of 1 against several columns) →
 * sparse; otherwise categorical.
 */
export function accuracyFromShapes(yTrue: Tensor, yPred: Tensor): Tensor {
  if (yPred.rank === 0 || yPred.shape[yPred.rank - 1] === 1) return binaryAccuracy(yTrue, yPred);
  const sparse = yTrue.rank < yPred.rank || yTrue.shape[yTrue.rank - 1] === 1;
  return sparse ? sparseCategoricalAccuracy(yTrue, yPred) : categoricalAccuracy(yTrue, yPred);
}

/** The accuracy that fits a loss, as Keras picks it for metrics: ['accuracy']. */
const accuracyForLoss: Record<string, MetricFunction> = {
  binary_crossentropy: binaryAccuracy,
  categorical_crossentropy: categoricalAccuracy,
  sparse_categorical_crossentropy: sparseCategoricalAccuracy,
};

const asMetric = (loss: MetricFunction): MetricFunction => (yTrue, yPred) => metric(() => loss(yTrue, yPred));

const metricTable = new NameTable<MetricFunction>({
  mean_squared_error: { aliases: ['mse'], value: asMetric(meanSquaredError) },
  mean_absolute_error: { aliases: ['mae'], value: asMetric(meanAbsoluteError) },
  binary_accuracy: { value: binaryAccuracy },
  categorical_accuracy: { value: categoricalAccuracy },
  sparse_categorical_accuracy: { value: sparseCategoricalAccuracy },
  binary_crossentropy: { value: asMetric(binaryCrossentropy) },
  categorical_crossentropy: { value: asMetric(categoricalCrossentropy) },
  sparse_categorical_crossentropy: { value: asMetric(sparseCategoricalCrossentropy) },
});

/**
 * A metric by name or a function passed through. 'accuracy' / 'acc' become the accuracy that fits
 * `lossName` (binary_crossentropy → binaryAccuracy, categorical_crossentropy → categoricalAccuracy,
 * sparse_categorical_crossentropy → sparseCategoricalAccuracy; any other loss → accuracyFromShapes).
 * The reported name is the identifier as given ('acc' stays 'acc'), as Keras's history keys are.
 */
export function getMetric(identifier: string | MetricFunction, lossName: string): { name: string; fn: MetricFunction } {
  if (typeof identifier === 'function') return { name: metricTable.nameOf(identifier) ?? (identifier.name || 'metric'), fn: identifier };
  if (typeof identifier === 'string' && (nameKey(identifier) === 'accuracy' || nameKey(identifier) === 'acc')) {
    const loss = canonicalLossName(lossName) ?? '';
    return { name: identifier, fn: accuracyForLoss[loss] ?? accuracyFromShapes };
  }
  const found = typeof identifier === 'string' ? metricTable.get(identifier) : undefined;
  if (!found) {
    throw new ValueError(`getMetric: unknown metric ${JSON.stringify(identifier)}; known: accuracy, acc, ${metricTable.spellings.join(', ')}`);
  }
  return { name: identifier as string, fn: found.value };
}
