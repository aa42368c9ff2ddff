// The sine regression demo: noisy samples of sin(x) drawn on the GPU from a fixed seed, a small
// tanh MLP trained on them with Adam, and two live plots: the data with the network's current
// prediction (redrawn every few epochs), and the loss per epoch.
import * as wg from '../../dist/webgrad.js';
import { LinePlot } from '../shared/line-plot.js';
import { log, runDemo, setStatus } from '../shared/page.js';
import { FitPlot } from './fit-plot.js';

const params = new URLSearchParams(location.search);
const SAMPLES = 200;
const NOISE_STD = 0.1;
const EPOCHS = Number(params.get('epochs') ?? 300);
const REDRAW_EVERY = Number(params.get('redraw') ?? 5); // epochs between fit redraws
const GRID_POINTS = 161;
const FIT_COLOR = '#1971c2';
const SINE_COLOR = '#e8590c';

/** x ~ U(−π, π), y = sin(x) + N(0, NOISE_STD²), as [SAMPLES, 1] tensors, from a fixed seed. */
function noisySine() {
  wg.setSeed(7);
  return wg.tidy(() => {
    const x = wg.rand([SAMPLES, 1], -Math.PI, Math.PI);
    const y = x.sin().add(wg.randn([SAMPLES, 1], 0, NOISE_STD));
    return { x, y };
  });
}

function buildModel() {
  wg.setSeed(42);
  const model = new wg.Sequential([
    new wg.layers.Dense(32, { activation: 'tanh', inputShape: [1] }),
    new wg.layers.Dense(32, { activation: 'tanh' }),
    new wg.layers.Dense(1),
  ]);
  model.compile({ optimizer: new wg.optimizers.Adam({ learningRate: 0.01 }), loss: 'mse' });
  return model;
}

/** The model's prediction for each x in `grid` (a [n, 1] tensor), read back to the page. */
async function predictOn(model, grid) {
  const prediction = model.predict(grid, { batchSize: grid.shape[0] });
  const values = await prediction.data();
  prediction.dispose();
  return values;
}

function meanSquare(values) {
  return values.reduce((sum, v) => sum + v * v, 0) / values.length;
}

runDemo(async () => {
  setStatus('Starting WebGPU…');
  await wg.init();

  const { x, y } = noisySine();
  const [xs, ys] = await Promise.all([x.data(), y.data()]);
  // The noise actually drawn: what sin(x) itself scores as a training MSE.
  const sampleNoiseVariance = meanSquare(Array.from(ys, (value, i) => value - Math.sin(xs[i])));
  const gridXs = Float32Array.from({ length: GRID_POINTS }, (_, i) => -Math.PI + (2 * Math.PI * i) / (GRID_POINTS - 1));
  const grid = wg.tensor(gridXs, [GRID_POINTS, 1]);

  const fitPlot = new FitPlot(document.querySelector('#fit canvas'), {
    xRange: [-Math.PI, Math.PI],
    yRange: [-1.6, 1.6],
    xTicks: [-3, -2, -1, 0, 1, 2, 3],
    yTicks: [-1.5, -1, -0.5, 0, 0.5, 1, 1.5],
  });
  fitPlot.canvas.dataset.fitColor = FIT_COLOR; // lets a test find the fit curve's own pixels
  fitPlot.setPoints(xs, ys);
  fitPlot.setCurve('fit', [], [], { color: FIT_COLOR }); // added first so the dashed sine lies on top
  fitPlot.setCurve('sine', gridXs, gridXs.map(Math.sin), { color: SINE_COLOR, dashed: true });
  const lossPlot = new LinePlot(document.querySelector('#loss canvas'), { xMax: EPOCHS, xLabel: 'epoch', yLabel: 'mse' });

  const model = buildModel();
  const showFit = async (epoch) => {
    fitPlot.setCurve('fit', gridXs, await predictOn(model, grid), { color: FIT_COLOR });
    fitPlot.label = `epoch ${epoch}`;
    fitPlot.draw();
  };
  await showFit(0);
  document.getElementById('summary').textContent = model.summary();

  setStatus(`Training for ${EPOCHS} epochs…`);
  const started = performance.now();
  await model.fit(x, y, {
    epochs: EPOCHS,
    batchSize: 32,
    verbose: 0,
    callbacks: {
      onEpochEnd: async (epoch, logs) => {
        lossPlot.push(epoch + 1, logs.loss);
        if ((epoch + 1) % REDRAW_EVERY === 0 || epoch + 1 === EPOCHS) await showFit(epoch + 1);
        if ((epoch + 1) % 50 === 0) log(`epoch ${epoch + 1}: loss ${logs.loss.toFixed(5)}`);
      },
    },
  });
  const seconds = (performance.now() - started) / 1000;
  lossPlot.draw();

  // The final model's MSE over all 200 samples at once (fit's logged loss averages batches taken
  // while the weights were still moving).
  const { loss: mse } = await model.evaluate(x, y, { batchSize: SAMPLES });
  const predictions = Array.from(await predictOn(model, x));
  const gridPredictions = Array.from(await predictOn(model, grid));
  const mseToSine = meanSquare(gridPredictions.map((value, i) => value - Math.sin(gridXs[i])));
  log(`${EPOCHS} epochs in ${seconds.toFixed(1)} s; training MSE ${mse.toFixed(5)} (noise variance ${sampleNoiseVariance.toFixed(5)}), ` +
    `MSE to sin(x) on the grid ${mseToSine.toFixed(5)}`);

  document.querySelector('#fit .results').innerHTML = `
    <p class="figures">training MSE <strong data-figure="mse">${mse.toFixed(5)}</strong> ·
      noise variance <strong data-figure="noise-variance">${sampleNoiseVariance.toFixed(5)}</strong>
      (σ² = ${(NOISE_STD ** 2).toFixed(2)}) ·
      MSE to sin(x) <strong data-figure="mse-to-sine">${mseToSine.toFixed(5)}</strong></p>
    <p class="note">${EPOCHS} epochs of ${Math.ceil(SAMPLES / 32)} batches in ${seconds.toFixed(1)} s.</p>`;
  model.dispose();
  for (const tensor of [x, y, grid]) tensor.dispose();

  // The arrays behind the figures, for a test to recompute them; kept out of the result so
  // `npm run demo` prints only the figures.
  window.regressionData = { x: Array.from(xs), y: Array.from(ys), predictions, gridX: Array.from(gridXs), gridPredictions };
  return { mse, noiseVariance: NOISE_STD ** 2, sampleNoiseVariance, mseToSine, epochs: EPOCHS, seconds };
});
