// Checking and shaping (yTrue, yPred) pairs for losses and metrics.
import { ShapeError, ValueError, formatShape } from './errors';
import { Tensor } from './tensor';
import { shapesEqual } from './shape';
import { cast } from './ops/cast';
import { reshape } from './ops/movement';
import { assertFloat } from './ops/operand';

export function checkLossInputs(op: string, yTrue: Tensor, yPred: Tensor): void {
  if (!(yTrue instanceof Tensor) || !(yPred instanceof Tensor)) throw new ValueError(`${op}: yTrue and yPred must be Tensors`);
  yTrue.assertAlive(op);
  yPred.assertAlive(op);
  assertFloat(op, yPred);
}

/**
 * yTrue as float32 in yPred's shape. As Keras does, a rank difference of one where the longer shape
 * ends in 1 ([n] against [n,1], either way) is reshaped away; any other mismatch is an error rather
 * than a silent broadcast (that of [n] against [n,1] would compare every pair).
 */
export function alignTargets(op: string, yTrue: Tensor, yPred: Tensor): Tensor {
  checkLossInputs(op, yTrue, yPred);
  let aligned = yTrue;
  if (!shapesEqual(yTrue.shape, yPred.shape)) {
    if (!shapesEqual(withoutTrailingOne(yTrue.shape), withoutTrailingOne(yPred.shape)) || Math.abs(yTrue.rank - yPred.rank) !== 1) {
      throw new ShapeError(`${op}: yTrue ${formatShape(yTrue.shape)} and yPred ${formatShape(yPred.shape)} must have the same shape`);
    }
    aligned = reshape(yTrue, [...yPred.shape]);
  }
  return aligned.dtype === 'float32' ? aligned : cast(aligned, 'float32');
}

/** Integer labels for yPred [..., classes]: shaped yPred.shape[:-1], or that with a trailing 1. */
export function alignLabels(op: string, yTrue: Tensor, yPred: Tensor): Tensor {
  const batchShape = yPred.shape.slice(0, -1);
  if (yPred.rank === 0 || !(shapesEqual(yTrue.shape, batchShape) || shapesEqual(yTrue.shape, [...batchShape, 1]))) {
    throw new ShapeError(
      `${op}: class labels ${formatShape(yTrue.shape)} must have shape ${formatShape(batchShape)} or ${formatShape([...batchShape, 1])} ` +
        `for predictions ${formatShape(yPred.shape)}`,
    );
  }
  return yTrue;
}

function withoutTrailingOne(shape: readonly number[]): readonly number[] {
  return shape.length > 0 && shape[shape.length - 1] === 1 ? shape.slice(0, -1) : shape;
}
