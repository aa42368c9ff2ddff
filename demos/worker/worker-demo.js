// The worker demo: the digits CNN trained twice from the same start, in a Web Worker
// (wg.worker.fit) and on the main thread (model.fit), while the main thread animates and
// measures its frame intervals. Same weights, seed and data, so both runs end with the same
// weights; only where the work ran differs. URL parameters: ?train=4000&epochs=1&batch=64.
import * as wg from '../../dist/webgrad.js';
import { appendRow, log, runDemo, setStatus } from '../shared/page.js';
import { SAMPLES, integerParameter, loadDigits } from '../shared/mnist.js';
import { LEARNING_RATE, digitTensors, digitsModel } from '../digits/model.js';
import { FrameMeter } from './frames.js';

const MODEL_SEED = 7;
const FIT_SEED = 3;
const TEST_SAMPLES = 200;
const IDLE_MS = 1000;

const settings = {
  trainSamples: integerParameter('train', 4000, 1, SAMPLES - TEST_SAMPLES),
  epochs: integerParameter('epochs', 1, 1, 20),
  batchSize: integerParameter('batch', 64, 1, 8000),
};

function compile(model) {
  model.compile({ optimizer: new wg.optimizers.Adam({ learningRate: LEARNING_RATE }), loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
  return model;
}

/** Callbacks that count what arrives and show progress; `where` names the run. */
function progress(where, batches) {
  const seen = { epochEnd: 0, batchEnd: 0, epochLogs: [] };
  const callbacks = {
    onBatchEnd: (batch, logs) => {
      seen.batchEnd++;
      if (batch % 4 === 0) setStatus(`Training ${where}: batch ${batch + 1}/${batches}, loss ${logs.loss.toFixed(3)}`);
    },
    onEpochEnd: (epoch, logs) => {
      seen.epochEnd++;
      seen.epochLogs.push(logs);
      log(`${where}: epoch ${epoch + 1}: loss ${logs.loss.toFixed(4)}, accuracy ${logs.accuracy.toFixed(4)}`);
    },
  };
  return { seen, callbacks };
}

function showRow(label, { frames }, seconds) {
  const cells = [label, frames.frames, frames.fps.toFixed(1), frames.medianMs.toFixed(1), frames.p95Ms.toFixed(1), frames.p99Ms.toFixed(1), frames.maxMs.toFixed(1), seconds === null ? '–' : seconds.toFixed(1)];
  appendRow('frames', cells).dataset.phase = label;
}

/** The model's class probabilities for the test digits, one row of 10 per digit. */
async function probabilities(model, x) {
  const out = model.predict(x, { batchSize: 100 });
  const values = Array.from(await out.data());
  out.dispose();
  return values;
}

runDemo(async () => {
  const { trainSamples, epochs, batchSize } = settings;
  const batches = Math.ceil(trainSamples / batchSize);
  document.getElementById('setup').textContent =
    `${trainSamples} training digits · ${epochs} epoch${epochs === 1 ? '' : 's'} · batch size ${batchSize} · Adam ${LEARNING_RATE} · the same start and seed for both runs`;
  const meter = new FrameMeter(document.getElementById('wheel'));
  setStatus('Starting WebGPU…');
  await wg.init();
  const adapter = wg.getAdapterInfo();
  log(`WebGPU adapter: ${[adapter.vendor, adapter.architecture, adapter.description].filter(Boolean).join(' ') || 'unnamed'}`);
  const digits = await loadDigits();
  const train = digitTensors(wg, digits, 0, trainSamples);
  const test = digitTensors(wg, digits, SAMPLES - TEST_SAMPLES, TEST_SAMPLES);
  const initial = digitsModel(wg, MODEL_SEED);
  const start = await initial.save();
  initial.dispose();

  setStatus('Measuring frames while idle…');
  const idle = await meter.measure('idle', () => new Promise((resolve) => setTimeout(resolve, IDLE_MS)));
  showRow('idle', idle, null);

  const inWorker = compile(wg.loadModel(start));
  const worker = new Worker(new URL('./train-worker.js', import.meta.url), { type: 'module' });
  const workerProgress = progress('in the worker', batches);
  wg.setSeed(FIT_SEED);
  const workerStarted = performance.now();
  const workerRun = await meter.measure('worker', () => wg.worker.fit(worker, inWorker, train.x, train.y, {
    epochs, batchSize, verbose: 0, callbacks: workerProgress.callbacks,
  }).history);
  const workerSeconds = (performance.now() - workerStarted) / 1000;
  worker.terminate();
  showRow('worker', workerRun, workerSeconds);

  const onPage = compile(wg.loadModel(start));
  const pageProgress = progress('on the main thread', batches);
  wg.setSeed(FIT_SEED);
  const pageStarted = performance.now();
  const pageRun = await meter.measure('page', () => onPage.fit(train.x, train.y, { epochs, batchSize, verbose: 0, callbacks: pageProgress.callbacks }));
  const pageSeconds = (performance.now() - pageStarted) / 1000;
  showRow('page', pageRun, pageSeconds);

  setStatus(`Testing both on ${TEST_SAMPLES} held-out digits…`);
  const workerTest = await inWorker.evaluate(test.x, test.y, { batchSize: 100 });
  const pageTest = await onPage.evaluate(test.x, test.y, { batchSize: 100 });
  const result = {
    settings,
    idle: idle.frames,
    worker: {
      frames: workerRun.frames, seconds: workerSeconds, history: workerRun.value.history, events: workerProgress.seen,
      test: workerTest, testProbabilities: await probabilities(inWorker, test.x),
    },
    page: {
      frames: pageRun.frames, seconds: pageSeconds, history: pageRun.value.history, events: pageProgress.seen,
      test: pageTest, testProbabilities: await probabilities(onPage, test.x),
    },
  };
  meter.stop();
  const same = result.worker.testProbabilities.every((p, i) => p === result.page.testProbabilities[i]);
  document.getElementById('summary').textContent =
    `Longest frame while the worker trained: ${result.worker.frames.maxMs.toFixed(0)} ms; while the main thread trained: ${result.page.frames.maxMs.toFixed(0)} ms. ` +
    `Test accuracy ${workerTest.accuracy.toFixed(3)} (worker) and ${pageTest.accuracy.toFixed(3)} (main thread): ` +
    (same ? 'the two runs ended with the same predictions, bit for bit.' : 'the two runs\u2019 predictions differ.');
  log(document.getElementById('summary').textContent);
  [train.x, train.y, test.x, test.y].forEach((t) => t.dispose());
  inWorker.dispose();
  onPage.dispose();
  return result;
});
