// The digits demo: a small CNN trained live on 8,000 real MNIST digits and tested on the 2,000
// held out, the loss and accuracy curves drawn while it trains; then a pad to draw digits on.
// URL parameters change the run (the end-to-end test shortens it): ?epochs=1&train=4000&batch=32.
import * as wg from '../../dist/webgrad.js';
import { LinePlot } from '../shared/line-plot.js';
import { appendRow, fail, log, runDemo, setStatus } from '../shared/page.js';
import { DrawingPad, paintDigit, toMnistDigit } from './drawing.js';
import { SAMPLES, SIDE, integerParameter, loadDigits } from '../shared/mnist.js';
import { LEARNING_RATE, TEST_SAMPLES, compiledDigitsModel, digitTensors } from './model.js';

/** Each plotted point is the mean of this many batches (single batches are too noisy to read). */
const BATCHES_PER_POINT = 10;

const settings = {
  epochs: integerParameter('epochs', 4, 1, 100),
  trainSamples: integerParameter('train', SAMPLES - TEST_SAMPLES, 1, SAMPLES - TEST_SAMPLES),
  batchSize: integerParameter('batch', 64, 1, 8_000),
};

/** What the page exposes for tests and the curious: the test digits' predictions, the last drawing read. */
window.digitsDemo = { testPredictions: null, lastDrawing: null, drawingsRead: 0 };

/** @type {import('../../dist/index').Sequential | null} set once training has finished */
let trainedModel = null;

/** Trains while the plots follow the batches and the table the epochs; returns each epoch's figures. */
async function train({ model, optimizer }, trainSet, testSet) {
  const { epochs, batchSize } = settings;
  const samples = trainSet.x.shape[0];
  const batches = Math.ceil(samples / batchSize);
  const lossPlot = new LinePlot(document.getElementById('loss-plot'), { xMax: epochs, xLabel: 'epoch', yLabel: 'loss', color: '#e8590c' });
  const accuracyPlot = new LinePlot(document.getElementById('accuracy-plot'), { xMax: epochs, xLabel: 'epoch', yLabel: 'accuracy', color: '#1971c2' });
  const epochRows = [];
  let recent = [];
  let epochStarted = 0;
  let currentEpoch = 0;

  await model.fit(trainSet.x, trainSet.y, {
    epochs,
    batchSize,
    verbose: 0,
    callbacks: {
      onEpochBegin: (epoch) => {
        currentEpoch = epoch;
        optimizer.learningRate = LEARNING_RATE * 0.5 ** epoch;
        epochStarted = performance.now();
      },
      onBatchEnd: (batch, logs) => {
        recent.push(logs);
        if (recent.length === BATCHES_PER_POINT || batch === batches - 1) {
          const at = currentEpoch + (batch + 1) / batches;
          lossPlot.push(at, mean(recent.map((entry) => entry.loss)));
          accuracyPlot.push(at, mean(recent.map((entry) => entry.accuracy)));
          recent = [];
        }
        if (batch % 5 === 0) {
          setStatus(`Training: epoch ${currentEpoch + 1}/${epochs}, batch ${batch + 1}/${batches}, loss ${logs.loss.toFixed(3)}`);
        }
      },
      onEpochEnd: async (epoch, logs) => {
        const seconds = (performance.now() - epochStarted) / 1000;
        setStatus(`Testing on the ${TEST_SAMPLES} held-out digits…`);
        const test = await model.evaluate(testSet.x, testSet.y, { batchSize: 500 });
        const row = {
          epoch: epoch + 1,
          loss: logs.loss,
          accuracy: logs.accuracy,
          testLoss: test.loss,
          testAccuracy: test.accuracy,
          seconds,
          samplesPerSecond: samples / seconds,
        };
        epochRows.push(row);
        showEpoch(row);
        log(`epoch ${row.epoch}: loss ${row.loss.toFixed(4)}, accuracy ${row.accuracy.toFixed(4)}, ` +
          `test accuracy ${row.testAccuracy.toFixed(4)}; ${seconds.toFixed(1)} s, ${row.samplesPerSecond.toFixed(0)} samples/s`);
      },
    },
  });
  lossPlot.draw();
  accuracyPlot.draw();
  return epochRows;
}

function mean(values) {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

function showEpoch(row) {
  const cells = [row.epoch, row.loss.toFixed(4), row.accuracy.toFixed(4), row.testAccuracy.toFixed(4), row.seconds.toFixed(1), row.samplesPerSecond.toFixed(0)];
  appendRow('epochs', cells);
}

/** The model's class probabilities for one 28x28 digit. */
async function classify(model, digit) {
  const probabilities = wg.tidy(() => model.predict(wg.tensor(digit, [1, SIDE, SIDE, 1])));
  const values = await probabilities.data();
  probabilities.dispose();
  return Array.from(values);
}

function showProbabilities(probabilities) {
  const best = probabilities.indexOf(Math.max(...probabilities));
  document.getElementById('prediction').textContent = String(best);
  const bars = document.getElementById('bars');
  bars.replaceChildren(...probabilities.map((probability, digit) => {
    const row = document.createElement('div');
    row.className = digit === best ? 'bar best' : 'bar';
    row.dataset.digit = String(digit);
    row.dataset.probability = String(probability);
    row.innerHTML = `<span>${digit}</span><div class="bar-track"><div class="bar-fill" style="width: ${(probability * 100).toFixed(1)}%"></div></div>` +
      `<span>${(probability * 100).toFixed(1)}%</span>`;
    return row;
  }));
  return best;
}

/** Wires the pad: each finished stroke is read as a digit, once the model is trained. */
function setUpDrawing() {
  const preview = document.getElementById('preview');
  const note = document.getElementById('draw-note');
  let latest = 0;
  const read = async () => {
    const request = ++latest;
    const digit = toMnistDigit(pad.ink());
    paintDigit(preview, digit);
    if (!digit || !trainedModel) {
      if (digit) note.textContent = 'The network is still training; your digit is read as soon as it is done.';
      return;
    }
    const probabilities = await classify(trainedModel, digit);
    if (request !== latest) return; // a newer stroke already asked
    const best = showProbabilities(probabilities);
    window.digitsDemo.lastDrawing = { prediction: best, probabilities, input: Array.from(digit) };
    window.digitsDemo.drawingsRead++;
  };
  const pad = new DrawingPad(document.getElementById('pad'), { onStrokeEnd: () => read().catch(fail) });
  paintDigit(preview, null);
  document.getElementById('clear').addEventListener('click', () => {
    latest++;
    pad.clear();
    paintDigit(preview, null);
    document.getElementById('prediction').textContent = '–';
    document.getElementById('bars').replaceChildren();
  });
  return { readNow: () => read().catch(fail) };
}

const drawing = setUpDrawing();

runDemo(async () => {
  const { epochs, trainSamples, batchSize } = settings;
  document.getElementById('setup').textContent =
    `${trainSamples} training digits · ${TEST_SAMPLES} test digits · ${epochs} epoch${epochs === 1 ? '' : 's'} · batch size ${batchSize} · Adam, learning rate ${LEARNING_RATE} halved after each epoch`;
  setStatus('Starting WebGPU…');
  await wg.init();
  const adapter = wg.getAdapterInfo();
  log(`WebGPU adapter: ${[adapter.vendor, adapter.architecture, adapter.description].filter(Boolean).join(' ') || 'unnamed'}`);

  setStatus('Loading the digits…');
  const digits = await loadDigits();
  const trainSet = digitTensors(wg, digits, 0, trainSamples);
  const testSet = digitTensors(wg, digits, SAMPLES - TEST_SAMPLES, TEST_SAMPLES);
  log(`${trainSamples} training and ${TEST_SAMPLES} test digits loaded`);

  const { model, optimizer } = compiledDigitsModel(wg);
  document.getElementById('summary').textContent = model.summary();
  const epochRows = await train({ model, optimizer }, trainSet, testSet);

  setStatus('Reading the test digits…');
  const predictions = model.predict(testSet.x, { batchSize: 500 });
  window.digitsDemo.testPredictions = Array.from(await predictions.data());
  predictions.dispose();
  for (const tensor of [trainSet.x, trainSet.y, testSet.x, testSet.y]) tensor.dispose();

  const last = epochRows[epochRows.length - 1];
  const secondsPerEpoch = mean(epochRows.map((row) => row.seconds));
  const samplesPerSecond = trainSamples / secondsPerEpoch;
  document.getElementById('figures').innerHTML =
    `test accuracy <strong data-figure="test-accuracy">${last.testAccuracy.toFixed(4)}</strong> ` +
    `(${Math.round(last.testAccuracy * TEST_SAMPLES)} of ${TEST_SAMPLES}) · ` +
    `<strong data-figure="seconds-per-epoch">${secondsPerEpoch.toFixed(1)}</strong> s per epoch · ` +
    `<strong data-figure="samples-per-second">${samplesPerSecond.toFixed(0)}</strong> samples/s`;

  trainedModel = model;
  document.getElementById('draw-note').textContent = 'Draw a digit: the network reads it each time you lift the pen.';
  drawing.readNow();

  const result = {};
  for (const row of epochRows) {
    const { epoch, ...figures } = row;
    result[`epoch ${epoch}`] = figures;
  }
  return { ...result, testAccuracy: last.testAccuracy, testLoss: last.testLoss, secondsPerEpoch, samplesPerSecond, trainSamples, epochs, batchSize };
});
