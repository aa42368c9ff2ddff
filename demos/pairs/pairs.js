// Same digit? A functional-API model with two inputs, one encoder model (a residual block) applied
// to both as a layer, and a merged head, trained live on pairs of real MNIST digits. URL parameters shorten the run
// (the end-to-end test uses them): ?epochs=2&train=2000&test=600.
import * as wg from '../../dist/webgrad.js';
import { LinePlot } from '../shared/line-plot.js';
import { PIXELS, SAMPLES, integerParameter, loadDigits } from '../shared/mnist.js';
import { drawMermaid } from '../shared/graph-diagram.js';
import { mulberry32 } from '../shared/mulberry32.js';
import { log, runDemo, setStatus } from '../shared/page.js';

/** Digits [0, 8000) make the training pairs, [8000, 10000) the test pairs: no digit is in both. */
const TRAIN_POOL = 8_000;
const SEED = 11;
const LEARNING_RATE = 0.002;

const settings = {
  epochs: integerParameter('epochs', 4, 1, 50),
  trainPairs: integerParameter('train', 6_000, 100, 40_000),
  testPairs: integerParameter('test', 1_000, 100, 10_000),
  batchSize: integerParameter('batch', 64, 1, 4_096),
};

/**
 * `count` pairs of digits from [from, to): half of the same class, half of different classes, in
 * random order. Returns the digit indices and the targets (1 = same).
 */
function samplePairs({ labels }, from, to, count, seed) {
  // Fixed seeds, so every run sees the same pairs.
  const random = mulberry32(seed);
  const byClass = Array.from({ length: 10 }, () => []);
  for (let i = from; i < to; i++) byClass[labels[i]].push(i);
  const pick = (list) => list[Math.floor(random() * list.length)];
  const first = new Int32Array(count);
  const second = new Int32Array(count);
  const same = new Float32Array(count);
  for (let k = 0; k < count; k++) {
    const a = pick(byClass[Math.floor(random() * 10)]);
    first[k] = a;
    if (random() < 0.5) {
      second[k] = pick(byClass[labels[a]]);
      same[k] = 1;
    } else {
      const other = (labels[a] + 1 + Math.floor(random() * 9)) % 10;
      second[k] = pick(byClass[other]);
    }
  }
  return { first, second, same };
}

/** The digits at `indices` as a [n, 784] float32 tensor in [0, 1]. */
function imagesOf({ pixels }, indices) {
  const data = new Float32Array(indices.length * PIXELS);
  indices.forEach((index, k) => {
    for (let p = 0; p < PIXELS; p++) data[k * PIXELS + p] = pixels[index * PIXELS + p] / 255;
  });
  return wg.tensor(data, [indices.length, PIXELS]);
}

/**
 * Keras's functional API, as a port would write it (Keras's siamese examples): the encoder is a
 * model of its own (Dense 784→64, then a residual block relu(h + Dense(Dense(h)))), applied to
 * both digits as a layer, so both read one set of weights; the two codes and their elementwise
 * product are concatenated, then a small head gives P(same digit).
 */
function buildModel() {
  wg.setSeed(SEED);
  const { Dense, Add, Activation, Concatenate, Multiply } = wg.layers;
  const digit = wg.input({ shape: [PIXELS], name: 'digit' });
  const h = new Dense(64, { activation: 'relu', name: 'embed' }).apply(digit);
  const block = new Dense(64, { name: 'block_out' }).apply(new Dense(64, { activation: 'relu', name: 'block_in' }).apply(h));
  const code = new Activation('relu', { name: 'code' }).apply(new Add({ name: 'residual' }).apply([h, block]));
  const encoder = wg.model({ inputs: digit, outputs: code, name: 'encoder' });
  const left = wg.input({ shape: [PIXELS], name: 'left' });
  const right = wg.input({ shape: [PIXELS], name: 'right' });
  const [a, b] = [encoder.apply(left), encoder.apply(right)];
  const merged = new Concatenate({ name: 'merge' }).apply([a, b, new Multiply({ name: 'agree' }).apply([a, b])]);
  const hidden = new Dense(32, { activation: 'relu', name: 'head' }).apply(merged);
  const same = new Dense(1, { activation: 'sigmoid', name: 'same' }).apply(hidden);
  const model = wg.model({ inputs: [left, right], outputs: same, name: 'pairs' });
  model.compile({ optimizer: new wg.optimizers.Adam({ learningRate: LEARNING_RATE }), loss: 'binary_crossentropy', metrics: ['accuracy'] });
  return { model, encoder };
}

function showPairs(digits, pairs, probabilities, count) {
  const strip = document.getElementById('examples');
  strip.replaceChildren();
  for (let k = 0; k < count; k++) {
    const figure = document.createElement('figure');
    for (const index of [pairs.first[k], pairs.second[k]]) {
      const canvas = document.createElement('canvas');
      canvas.width = canvas.height = 28;
      const image = canvas.getContext('2d').createImageData(28, 28);
      for (let p = 0; p < PIXELS; p++) {
        const ink = 255 - digits.pixels[index * PIXELS + p];
        image.data.set([ink, ink, ink, 255], p * 4);
      }
      canvas.getContext('2d').putImageData(image, 0, 0);
      figure.append(canvas);
    }
    const caption = document.createElement('figcaption');
    const said = probabilities[k] > 0.5;
    caption.textContent = `P(same) ${probabilities[k].toFixed(2)}`;
    caption.className = said === (pairs.same[k] === 1) ? 'right' : 'wrong';
    figure.append(caption);
    strip.append(figure);
  }
}

runDemo(async () => {
  const { epochs, trainPairs, testPairs, batchSize } = settings;
  document.getElementById('setup').textContent =
    `${trainPairs} training pairs (digits 1–8,000) · ${testPairs} test pairs (digits 8,001–10,000) · ${epochs} epochs · batch size ${batchSize} · Adam ${LEARNING_RATE}`;
  await wg.init();
  setStatus('Loading the digits…');
  const digits = await loadDigits();
  const train = samplePairs(digits, 0, TRAIN_POOL, trainPairs, 1);
  const test = samplePairs(digits, TRAIN_POOL, SAMPLES, testPairs, 2);
  const trainX = [imagesOf(digits, train.first), imagesOf(digits, train.second)];
  const trainY = wg.tensor(train.same, [trainPairs, 1]);
  const testX = [imagesOf(digits, test.first), imagesOf(digits, test.second)];
  const testY = wg.tensor(test.same, [testPairs, 1]);

  const { model, encoder } = buildModel();
  document.getElementById('summary').textContent = `${model.summary()}\n\n${encoder.summary()}`;
  document.getElementById('graph').replaceChildren(drawMermaid(graphText(model), { nodeWidth: 170 }), drawMermaid(graphText(encoder), { nodeWidth: 170 }));
  const plot = new LinePlot(document.getElementById('loss-plot'), { xMax: epochs, xLabel: 'epoch', yLabel: 'loss', color: '#e8590c' });
  const epochRows = [];
  setStatus(`Training: epoch 1/${epochs}…`);
  const started = performance.now();
  await model.fit(trainX, trainY, {
    epochs, batchSize, verbose: 0,
    callbacks: {
      onEpochEnd: async (epoch, logs) => {
        const evaluated = await model.evaluate(testX, testY, { batchSize: 500 });
        epochRows.push({ epoch: epoch + 1, loss: logs.loss, accuracy: logs.accuracy, testLoss: evaluated.loss, testAccuracy: evaluated.accuracy });
        plot.push(epoch + 1, logs.loss);
        log(`epoch ${epoch + 1}: loss ${logs.loss.toFixed(4)}, accuracy ${logs.accuracy.toFixed(4)}; test accuracy ${evaluated.accuracy.toFixed(4)}`);
        setStatus(epoch + 1 < epochs ? `Training: epoch ${epoch + 2}/${epochs}…` : 'Reading the test pairs…');
      },
    },
  });
  const seconds = (performance.now() - started) / 1000;
  plot.draw();
  const predicted = model.predict(testX, { batchSize: 500 });
  const probabilities = Array.from(await predicted.data());
  predicted.dispose();
  showPairs(digits, test, probabilities, 12);
  const last = epochRows[epochRows.length - 1];
  document.getElementById('figures').innerHTML =
    `test accuracy <strong data-figure="test-accuracy">${last.testAccuracy.toFixed(4)}</strong> on ${testPairs} unseen pairs · ` +
    `<strong data-figure="seconds">${seconds.toFixed(1)}</strong> s for ${epochs} epochs`;
  for (const t of [...trainX, trainY, ...testX, testY]) t.dispose();
  const result = {
    epochs: epochRows, seconds, params: model.countParams(), summary: model.summary(), encoderSummary: encoder.summary(),
    testLoss: last.testLoss, testAccuracy: last.testAccuracy, probabilities, targets: Array.from(test.same),
  };
  model.dispose();
  return result;
});

/** The model's graph as Mermaid text: one node per layer application, edges from the tensors it reads. */
function graphText(model) {
  const lines = ['graph TD'];
  const id = (layer) => layer.name.replace(/\W/g, '_');
  for (const layer of model.layers) {
    const shape = layer.className === 'InputLayer' ? '([' : '[';
    lines.push(`  ${id(layer)}${shape}"${layer.name} (${layer.className})"${shape === '([' ? '])' : ']'}`);
  }
  for (const node of model.nodes) for (const input of node.inputs) lines.push(`  ${id(input.layer)} --> ${id(node.layer)}`);
  return lines.join('\n');
}
