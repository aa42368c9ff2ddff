// The worker demo end to end: the digits CNN trained in a Web Worker (wg.worker.fit) and then on
// the main thread from the same weights and seed, a shortened run. Checks that the worker's run
// streamed its logs, that its trained weights (loaded into the page's model) predict exactly as
// the main thread's run does, that the test figures the page reports are those of its own
// predictions, and that the main thread's frame times were measured during each run.
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { outputPath, prepareMnist } from '../../scripts/prepare-mnist.mjs';
import { useGpuPage } from '../harness/gpu-page';
import { waitForDemoDone } from '../harness/page-wait';

const SAMPLES = 10_000;
const TEST_SAMPLES = 200;
const CLASSES = 10;
/** Small enough for SwiftShader: 8 batches of 32, each trained twice (worker, then main thread). */
const TRAIN_SAMPLES = 256;
const BATCH_SIZE = 32;
const EPOCHS = 1;

interface FrameStats { frames: number; seconds: number; fps: number; medianMs: number; p95Ms: number; p99Ms: number; maxMs: number }
interface Run {
  frames: FrameStats;
  seconds: number;
  history: Record<string, number[]>;
  events: { epochEnd: number; batchEnd: number; epochLogs: Record<string, number>[] };
  test: { loss: number; accuracy: number };
  testProbabilities: number[];
}
interface WorkerStatus { done: true; error?: string; result?: { idle: FrameStats; worker: Run; page: Run } }

let testLabels: Uint8Array;

beforeAll(() => {
  prepareMnist();
  testLabels = new Uint8Array(readFileSync(outputPath)).subarray(SAMPLES - TEST_SAMPLES, SAMPLES);
});

/** Each digit's most probable class. */
function argmaxRows(probabilities: number[]): number[] {
  return Array.from({ length: probabilities.length / CLASSES }, (_, i) => {
    const row = probabilities.slice(i * CLASSES, (i + 1) * CLASSES);
    return row.indexOf(Math.max(...row));
  });
}

/** Keras's sparse categorical cross-entropy in float64 (probabilities clipped to [1e-7, 1 - 1e-7]). */
function crossEntropy(probabilities: number[], labels: Uint8Array): number {
  let total = 0;
  labels.forEach((label, i) => {
    total -= Math.log(Math.min(Math.max(probabilities[i * CLASSES + label], 1e-7), 1 - 1e-7));
  });
  return total / labels.length;
}

describe('worker demo page', () => {
  const gpu = useGpuPage();

  it('trains in the worker and on the page to the same predictions, streams the logs and measures frames during both', async () => {
    const { page } = gpu;
    await page.setViewport({ width: 1200, height: 900 });
    await page.goto(`${inject('baseUrl')}/demos/worker/index.html?train=${TRAIN_SAMPLES}&epochs=${EPOCHS}&batch=${BATCH_SIZE}`);
    const status = await waitForDemoDone<WorkerStatus>(page, 'worker', 240_000);
    const screenshot = join(tmpdir(), 'webgrad-worker-demo.png');
    await page.screenshot({ path: screenshot, fullPage: true });
    expect(status.error).toBeUndefined();
    const { idle, worker, page: onPage } = status.result!;
    const describeFrames = (name: string, f: FrameStats) =>
      `${name}: ${f.frames} frames in ${f.seconds.toFixed(1)} s (${f.fps.toFixed(1)} fps), median ${f.medianMs.toFixed(1)} ms, p95 ${f.p95Ms.toFixed(1)}, p99 ${f.p99Ms.toFixed(1)}, longest ${f.maxMs.toFixed(1)}`;
    console.log(`worker demo (${screenshot}):\n  ${describeFrames('idle', idle)}\n  ${describeFrames('training in the worker', worker.frames)}\n  ` +
      `${describeFrames('training on the main thread', onPage.frames)}\n  training ${worker.seconds.toFixed(1)} s in the worker, ${onPage.seconds.toFixed(1)} s on the main thread`);

    // Logs streamed from the worker: one epoch end per epoch, one batch end per batch, and the
    // worker's epoch logs are the history its fit returned.
    const batches = Math.ceil(TRAIN_SAMPLES / BATCH_SIZE);
    expect(worker.events.epochEnd).toBe(EPOCHS);
    expect(worker.events.batchEnd).toBe(EPOCHS * batches);
    expect(worker.events.epochLogs.map((logs) => logs.loss)).toEqual(worker.history.loss);

    // The same start, data and seed: the worker's fit and the main thread's run the same float32
    // operations in the same order on the same adapter, so logs and the trained weights'
    // predictions agree exactly.
    expect(worker.history).toEqual(onPage.history);
    expect(worker.testProbabilities).toHaveLength(TEST_SAMPLES * CLASSES);
    expect(worker.testProbabilities).toEqual(onPage.testProbabilities);

    // evaluate on the page, with the weights the worker sent back, scores its own predictions:
    // accuracy exactly (evaluate and predict run the same forward pass), the loss within float32
    // rounding of a mean of 200 logs (1e-4) of the float64 cross-entropy.
    const predicted = argmaxRows(worker.testProbabilities);
    const accuracy = predicted.filter((digit, i) => digit === testLabels[i]).length / TEST_SAMPLES;
    expect(worker.test.accuracy).toBeCloseTo(accuracy, 6);
    expect(worker.test.loss).toBeCloseTo(crossEntropy(worker.testProbabilities, testLabels), 4);
    // (How well the CNN learns is the digits demo test's subject; eight steps are too few to judge.)

    // Frames were measured in every phase (speed itself is reported above, not asserted).
    for (const frames of [idle, worker.frames, onPage.frames]) {
      expect(frames.frames).toBeGreaterThan(0);
      expect(frames.maxMs).toBeGreaterThanOrEqual(frames.medianMs);
    }
    const shownPhases = await page.evaluate(() => Array.from(document.querySelectorAll('#frames tr'), (row) => (row as HTMLElement).dataset.phase));
    expect(shownPhases).toEqual(['idle', 'worker', 'page']);
  }, 300_000);
});
