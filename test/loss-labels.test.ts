// Each loss declares what its labels are (issue 10: declared, not matched by name): class indices
// ('sparse', checked as integers in range before training) or arrays shaped like the predictions.
// Pure Node: reads the loss table, runs no op.
import { describe, expect, it } from 'vitest';
import { getLoss, sparseCategoricalCrossentropyWith } from '../src/losses';
import type { Tensor } from '../src/tensor';

describe('loss label kinds', () => {
  it('sparse for sparse categorical cross-entropy in every spelling, dense for the rest and for custom losses', () => {
    for (const name of ['sparse_categorical_crossentropy', 'sparseCategoricalCrossentropy']) expect(getLoss(name).labels).toBe('sparse');
    expect(getLoss(sparseCategoricalCrossentropyWith({ fromLogits: true })).labels).toBe('sparse');
    for (const name of ['mse', 'mae', 'binary_crossentropy', 'categorical_crossentropy']) expect(getLoss(name).labels).toBe('dense');
    // A custom function is not checked as class indices, whatever its name says.
    const mySparseLoss = (_yTrue: Tensor, yPred: Tensor): Tensor => yPred;
    expect(getLoss(mySparseLoss).labels).toBe('dense');
  });
});
