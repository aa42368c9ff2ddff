// The "same digit?" demo end to end: a two-input functional model with a shared residual encoder
// trains on MNIST pairs; its reported test loss and accuracy agree with its own predictions
// (float64 cross-entropy and a count), its parameter count is Keras's, its summary shows the encoder
// model as one Functional row read by both inputs and the encoder's own summary the residual join, and it learns well beyond guessing.
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { prepareMnist } from '../../scripts/prepare-mnist.mjs';
import { useGpuPage } from '../harness/gpu-page';
import { waitForDemoDone } from '../harness/page-wait';

interface PairsStatus {
  error?: string;
  result?: {
    epochs: { epoch: number; loss: number; accuracy: number; testLoss: number; testAccuracy: number }[];
    params: number;
    summary: string;
    encoderSummary: string;
    testLoss: number;
    testAccuracy: number;
    probabilities: number[];
    targets: number[];
  };
}

/** Keras's binary cross-entropy in float64, predictions clipped to [1e-7, 1 − 1e-7]. */
function binaryCrossEntropy(p: number[], y: number[]): number {
  return p.reduce((sum, value, i) => {
    const q = Math.min(Math.max(value, 1e-7), 1 - 1e-7);
    return sum - (y[i] * Math.log(q) + (1 - y[i]) * Math.log(1 - q));
  }, 0) / p.length;
}

describe('pairs demo page', () => {
  const gpu = useGpuPage();
  beforeAll(() => prepareMnist());

  it('trains the two-input residual model and reports figures that match its predictions', async () => {
    const { page } = gpu;
    await page.goto(`${inject('baseUrl')}/demos/pairs/index.html?headless=1&epochs=2&train=2000&test=400`);
    const status = await waitForDemoDone<PairsStatus>(page, 'pairs', 400_000);
    expect(status.error).toBeUndefined();
    expect(gpu.consoleErrors()).toEqual([]);
    const result = status.result!;
    expect(result.epochs.map((row) => row.epoch)).toEqual([1, 2]);
    expect(result.probabilities).toHaveLength(400);
    // Half the pairs are of one class, as the page samples them.
    expect(result.targets.filter((t) => t === 1).length).toBeGreaterThan(150);
    // evaluate's float32 batch means against float64 over the same 400 predictions.
    expect(result.testLoss).toBeCloseTo(binaryCrossEntropy(result.probabilities, result.targets), 4);
    const correct = result.probabilities.filter((p, i) => (p > 0.5 ? 1 : 0) === result.targets[i]).length;
    expect(result.testAccuracy).toBeCloseTo(correct / 400, 6);
    // Keras's count: Dense 784·64+64, two Dense 64·64+64, Dense 192·32+32, Dense 32+1; shared layers once.
    expect(result.params).toBe(784 * 64 + 64 + 2 * (64 * 64 + 64) + 192 * 32 + 32 + 33);
    // Keras shows the encoder model as one row of class Functional, read by both inputs; its own
    // summary shows the residual join (one node: the encoder's layers are applied once, in it).
    expect(result.summary).toMatch(/encoder \(Functional\)\s+\(None, 64\)\s+58560\s+left\[0\]\[0\], right\[0\]\[0\]/);
    expect(result.summary).toMatch(/merge \(Concatenate\)\s+\(None, 192\)\s+0\s+encoder\[0\]\[0\], encoder\[1\]\[0\], agree\[0\]\[0\]/);
    expect(result.encoderSummary).toMatch(/residual \(Add\)\s+\(None, 64\)\s+0\s+embed\[0\]\[0\], block_out\[0\]\[0\]\n/);
    expect(result.encoderSummary).toMatch(/^Total params: 58560$/m);
    // Guessing gives 0.5; the seeded run learns far beyond it (0.80-0.82 here).
    expect(result.testAccuracy).toBeGreaterThan(0.65);
    expect(result.epochs[1].loss).toBeLessThan(result.epochs[0].loss);
  });
});
