// The XOR demo's data and model, shared by the page (xor.js) and the terminal run
// (`npm run demo:node`, scripts/run-demo-node.mjs).
import * as wg from '../../dist/webgrad.js';

export const EPOCHS = 1000;
export const INPUTS = [[1, 2], [2, 3], [3, 4], [4, 5]];
export const TARGETS = [[0], [1], [1], [0]];

/** The reference model, compiled, its weights drawn from seed 42 so every run starts alike. */
export function referenceModel(optimizer) {
  wg.setSeed(42);
  const model = new wg.Sequential([
    new wg.layers.Dense(2, { activation: 'sigmoid', inputShape: [2] }),
    new wg.layers.Dense(1, { activation: 'sigmoid' }),
  ]);
  model.compile({ optimizer, loss: 'binary_crossentropy', metrics: ['accuracy'] });
  return model;
}

/** Each column shifted to mean 0 and scaled to variance 1 (the population variance of the data). */
export function standardize(x) {
  return wg.tidy(() => {
    const mean = x.mean(0);
    const std = x.sub(mean).square().mean(0).sqrt();
    return { standardized: x.sub(mean).div(std), mean, std };
  });
}
