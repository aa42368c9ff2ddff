// The logits behind a softmax activation's output, so that a model's loss can take them. Keras's
// TensorFlow backend does the same: keras/src/backend/tensorflow/nn.py's softmax sets
// `output._keras_logits = logits`, and its categorical_crossentropy / sparse_categorical_crossentropy
// take them through `_get_logits` with from_logits=True. Exact where the clipped form saturates
// (a probability below 1e-7), one log-softmax instead of rescale + clip + log otherwise.
import type { Tensor } from '../tensor';
import { softmax } from '../ops/softmax';
import type { ResolvedLoss } from '../losses';

/** Each softmax activation's output → its input. Weak: entries go with the tensors. */
const logitsOfSoftmax = new WeakMap<Tensor, Tensor>();

/** The softmax activation along the last axis, remembering its logits. */
export function softmaxActivation(x: Tensor): Tensor {
  const y = softmax(x, -1);
  logitsOfSoftmax.set(y, x);
  return y;
}

/**
 * A model output's loss as fit / evaluate / trainOnBatch compute it: from the logits when the
 * output is a softmax activation's (still alive) and the loss has a form from logits, else `loss.fn`
 * on the probabilities. Metrics never come here: they see the probabilities.
 */
export function outputLoss(loss: ResolvedLoss, yTrue: Tensor, prediction: Tensor): Tensor {
  const logits = loss.softmaxLogits ? logitsOfSoftmax.get(prediction) : undefined;
  return loss.softmaxLogits && logits && !logits.isDisposed ? loss.softmaxLogits(yTrue, logits) : loss.fn(yTrue, prediction);
}
