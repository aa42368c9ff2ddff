// `npm run demo:node`: the XOR demo's reference example and the digits demo's CNN trained in the
// terminal, in Node through Dawn (the `webgpu` package) instead of a browser: the path a Node user
// takes, passing Dawn's GPU object to `wg.init({ gpu })`. The models and data come from the demo
// pages' own modules (demos/xor/reference-model.js, demos/digits/model.js).
//
// Without a GPU, Dawn runs on Chromium's SwiftShader Vulkan driver (scripts/lib/dawn-gpu.mjs sets
// VK_ICD_FILENAMES when it is unset), which is slow, so by default the CNN trains one epoch on the
// first 1,000 of the page's 8,000 training digits and is tested on 500 of its 2,000 held-out ones;
// the page's run is --train 8000 --test 2000 --epochs 4.
//   npm run demo:node -- [--train <digits>] [--test <digits>] [--epochs <n>] [--batch <size>]
// @ts-check
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { openDawnGpu } from './lib/dawn-gpu.mjs';
import { ProgressBar } from './lib/progress-bar.mjs';
import { buildBundle } from './lib/repo.mjs';
import { outputPath as digitsPath, prepareMnist } from './prepare-mnist.mjs';

/** @typedef {typeof import('../src/index')} Webgrad */
/** @typedef {import('../src/index').Sequential} Sequential */
/** @typedef {import('../src/index').Tensor} Tensor */
/**
 * demos/xor/reference-model.js, as this script uses it.
 * @typedef {{ EPOCHS: number, INPUTS: number[][], TARGETS: number[][],
 *   referenceModel: (optimizer: string | import('../src/index').optimizers.Optimizer) => Sequential,
 *   standardize: (x: Tensor) => { standardized: Tensor, mean: Tensor, std: Tensor } }} ReferenceExampleModule
 */
/**
 * demos/digits/model.js, as this script uses it.
 * @typedef {{ LEARNING_RATE: number, SAMPLES: number, TEST_SAMPLES: number,
 *   compiledDigitsModel: (wg: Webgrad) => { model: Sequential, optimizer: import('../src/index').optimizers.Optimizer },
 *   parseDigits: (bytes: Uint8Array, source: string) => unknown,
 *   digitTensors: (wg: Webgrad, digits: unknown, start: number, count: number) => { x: Tensor, y: Tensor } }} DigitsModule
 */

/**
 * Imports a module of the repository by a path computed at run time: the bundle and the demo
 * modules are plain JavaScript that the type checker should not infer types from (the typedefs
 * above say what they hold); and dist/ exists only once buildBundle() has run.
 * @param {string} path relative to the repository root
 * @returns {Promise<unknown>}
 */
function importFromRepo(path) {
  return import(new URL(`../${path}`, import.meta.url).href);
}

/**
 * @param {string} name
 * @param {string} text
 * @param {number} low
 * @param {number} high
 */
function integerOption(name, text, low, high) {
  const value = Number(text);
  if (!Number.isInteger(value) || value < low || value > high) throw new Error(`--${name} must be an integer from ${low} to ${high}, got '${text}'`);
  return value;
}

/** @param {number} value */
const figure = (value) => value.toFixed(4);

/**
 * Trains one reference-example model for the demo's 1000 full-batch epochs with a progress bar,
 * then evaluates it: the page's trainAndShow without the canvas.
 * @param {Webgrad} wg
 * @param {string} title
 * @param {Sequential} model
 * @param {Tensor} x
 * @param {Tensor} y
 * @param {number} epochs
 */
async function trainReferenceExample(wg, title, model, x, y, epochs) {
  const bar = new ProgressBar(title, epochs);
  const started = performance.now();
  await model.fit(x, y, {
    epochs,
    batchSize: 4,
    verbose: 0,
    callbacks: { onEpochEnd: (epoch, logs) => bar.update(epoch + 1, `loss ${figure(logs.loss)}`) },
  });
  const seconds = (performance.now() - started) / 1000;
  const { loss, accuracy } = await model.evaluate(x, y);
  const yHat = model.predict(x);
  const predictions = Array.from(await yHat.data(), (p) => Number(p.toFixed(4)));
  yHat.dispose();
  model.dispose();
  console.log(`${title}: loss ${figure(loss)}, accuracy ${accuracy.toFixed(2)}, predictions [${predictions.join(', ')}]; ${seconds.toFixed(1)} s`);
  return { loss, accuracy, seconds };
}

/** @param {Webgrad} wg */
async function runReferenceExample(wg) {
  const { EPOCHS, INPUTS, TARGETS, referenceModel, standardize } = /** @type {ReferenceExampleModule} */ (await importFromRepo('demos/xor/reference-model.js'));
  console.log(`\nReference example: Dense(2, sigmoid) → Dense(1, sigmoid), binary cross-entropy, ${EPOCHS} full-batch epochs, seed 42`);
  const x = wg.tensor(INPUTS);
  const y = wg.tensor(TARGETS);
  const asWritten = await trainReferenceExample(wg, 'as written, Adam 0.001', referenceModel('adam'), x, y, EPOCHS);
  const { standardized: xStandardized, mean, std } = standardize(x);
  const standardized = await trainReferenceExample(wg, 'standardized inputs, Adam 0.05', referenceModel(new wg.optimizers.Adam({ learningRate: 0.05 })), xStandardized, y, EPOCHS);
  for (const tensor of [x, y, xStandardized, mean, std]) tensor.dispose();
  return { asWritten, standardized };
}

/**
 * @param {Webgrad} wg
 * @param {{ train: number, test: number, epochs: number, batch: number }} settings
 */
async function runDigits(wg, { train, test, epochs, batch }) {
  const { LEARNING_RATE, SAMPLES, TEST_SAMPLES, compiledDigitsModel, parseDigits, digitTensors } = /** @type {DigitsModule} */ (await importFromRepo('demos/digits/model.js'));
  const digits = parseDigits(new Uint8Array(readFileSync(digitsPath)), digitsPath);
  const trainSet = digitTensors(wg, digits, 0, train);
  // The first `test` of the page's held-out digits (it tests on all TEST_SAMPLES).
  const testSet = digitTensors(wg, digits, SAMPLES - TEST_SAMPLES, test);
  const { model, optimizer } = compiledDigitsModel(wg);
  console.log(`\nDigits CNN (the digits demo's model): ${train} MNIST training digits, ${test} held-out test digits, ` +
    `${epochs} epoch${epochs === 1 ? '' : 's'}, batch ${batch}, Adam ${LEARNING_RATE} halved after each epoch`);
  const batches = Math.ceil(train / batch);
  /** @type {ProgressBar} */
  let bar = new ProgressBar('', batches);
  let epochStarted = 0;
  /** @type {{ epoch: number, loss: number, accuracy: number, testLoss: number, testAccuracy: number, seconds: number }[]} */
  const rows = [];
  await model.fit(trainSet.x, trainSet.y, {
    epochs,
    batchSize: batch,
    verbose: 0,
    callbacks: {
      onEpochBegin: (epoch) => {
        optimizer.learningRate = LEARNING_RATE * 0.5 ** epoch;
        bar = new ProgressBar(`epoch ${epoch + 1}/${epochs}`, batches);
        epochStarted = performance.now();
      },
      onBatchEnd: (index, logs) => bar.update(index + 1, `loss ${figure(logs.loss)}`),
      onEpochEnd: async (epoch, logs) => {
        const seconds = (performance.now() - epochStarted) / 1000;
        const test = await model.evaluate(testSet.x, testSet.y, { batchSize: 500 });
        rows.push({ epoch: epoch + 1, loss: logs.loss, accuracy: logs.accuracy, testLoss: test.loss, testAccuracy: test.accuracy, seconds });
        console.log(`epoch ${epoch + 1}: loss ${figure(logs.loss)}, accuracy ${figure(logs.accuracy)}, test loss ${figure(test.loss)}, ` +
          `test accuracy ${figure(test.accuracy)}; ${seconds.toFixed(1)} s, ${(train / seconds).toFixed(0)} samples/s`);
      },
    },
  });
  for (const tensor of [trainSet.x, trainSet.y, testSet.x, testSet.y]) tensor.dispose();
  model.dispose();
  return rows[rows.length - 1];
}

async function main() {
  const { values } = parseArgs({
    options: {
      train: { type: 'string', default: '1000' },
      test: { type: 'string', default: '500' },
      epochs: { type: 'string', default: '1' },
      batch: { type: 'string', default: '64' },
    },
  });
  const settings = {
    train: integerOption('train', values.train, 1, 8000),
    test: integerOption('test', values.test, 1, 2000),
    epochs: integerOption('epochs', values.epochs, 1, 100),
    batch: integerOption('batch', values.batch, 1, 8000),
  };
  buildBundle();
  prepareMnist();
  const dawn = await openDawnGpu();
  if (!dawn.gpu) {
    console.error(`demo:node cannot run: ${dawn.reason}`);
    return 1;
  }
  console.log(`WebGPU in Node through Dawn: ${dawn.adapter} (driver: ${dawn.driver})`);
  const wg = /** @type {Webgrad} */ (await importFromRepo('dist/webgrad.js'));
  await wg.init({ gpu: dawn.gpu });

  const started = performance.now();
  const reference = await runReferenceExample(wg);
  const digits = await runDigits(wg, settings);
  const seconds = (performance.now() - started) / 1000;
  console.log(`\ndemo:node finished in ${seconds.toFixed(1)} s: reference example as written loss ${figure(reference.asWritten.loss)} ` +
    `accuracy ${reference.asWritten.accuracy.toFixed(2)}, standardized loss ${figure(reference.standardized.loss)} accuracy ` +
    `${reference.standardized.accuracy.toFixed(2)}; digits test accuracy ${figure(digits.testAccuracy)} on ${settings.test} held-out digits after ` +
    `${settings.epochs} epoch(s) on ${settings.train}`);
  return 0;
}

try {
  process.exitCode = await main();
} catch (error) {
  console.error(`demo:node failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
  process.exitCode = 1;
}
