// The XOR demo: the reference model trained twice, one run after the other, each drawing its loss
// curve live: once as the text writes it (Keras defaults), once with standardized inputs and
// Adam at 0.05. index.html says why the two differ.
import * as wg from '../../dist/webgrad.js';
import { LinePlot } from '../shared/line-plot.js';
import { log, runDemo, setStatus } from '../shared/page.js';
import { EPOCHS, INPUTS, TARGETS, referenceModel, standardize } from './reference-model.js';

/** Trains `model` on (x, y) while its panel's canvas plots the loss, then shows the final figures. */
async function trainAndShow(panelId, model, x, y, color) {
  const panel = document.getElementById(panelId);
  const title = panel.querySelector('h2').textContent;
  const plot = new LinePlot(panel.querySelector('canvas'), { xMax: EPOCHS, xLabel: 'epoch', yLabel: 'loss', color });
  setStatus(`Training “${title}”…`);

  const started = performance.now();
  await model.fit(x, y, {
    epochs: EPOCHS,
    batchSize: 4,
    verbose: 0,
    callbacks: {
      onEpochEnd: (epoch, logs) => {
        plot.push(epoch + 1, logs.loss);
        if ((epoch + 1) % 100 === 0) {
          log(`${title}: epoch ${epoch + 1}, loss ${logs.loss.toFixed(4)}, accuracy ${logs.accuracy.toFixed(2)}`);
        }
      },
    },
  });
  const seconds = (performance.now() - started) / 1000;
  plot.draw();

  const { loss, accuracy } = await model.evaluate(x, y);
  const yHat = model.predict(x);
  const predictions = Array.from(await yHat.data());
  yHat.dispose();
  log(`${title}: ${seconds.toFixed(1)} s for ${EPOCHS} epochs; loss ${loss.toFixed(4)}, accuracy ${accuracy.toFixed(2)}`);
  showFigures(panel, { loss, accuracy, predictions, seconds });
  return { loss, accuracy, predictions, seconds };
}

function showFigures(panel, { loss, accuracy, predictions, seconds }) {
  const rows = INPUTS.map((input, i) => {
    const target = TARGETS[i][0];
    const predicted = predictions[i] > 0.5 ? 1 : 0; // Keras's binary accuracy threshold
    return `<tr><td>[${input.join(', ')}]</td><td>${target}</td><td>${predictions[i].toFixed(4)}</td>` +
      `<td>${predicted} ${predicted === target ? '✓' : '✗'}</td></tr>`;
  });
  panel.querySelector('.results').innerHTML = `
    <p class="figures">loss <strong data-figure="loss">${loss.toFixed(4)}</strong> ·
      accuracy <strong data-figure="accuracy">${accuracy.toFixed(2)}</strong> ·
      ${seconds.toFixed(1)} s for ${EPOCHS} epochs</p>
    <table>
      <thead><tr><th>x</th><th>y</th><th>prediction</th><th>class</th></tr></thead>
      <tbody>${rows.join('')}</tbody>
    </table>`;
}

runDemo(async () => {
  setStatus('Starting WebGPU…');
  await wg.init();
  const adapter = wg.getAdapterInfo();
  log(`WebGPU adapter: ${[adapter.vendor, adapter.architecture, adapter.description].filter(Boolean).join(' ') || 'unnamed'}`);

  const x = wg.tensor(INPUTS);
  const y = wg.tensor(TARGETS);
  const asWrittenModel = referenceModel('adam');
  document.getElementById('summary').textContent = asWrittenModel.summary();
  const asWritten = await trainAndShow('as-written', asWrittenModel, x, y, '#e8590c');
  asWrittenModel.dispose();

  const { standardized: xStandardized, mean, std } = standardize(x);
  const [means, stds] = await Promise.all([mean.data(), std.data()]);
  const list = (values) => Array.from(values, (v) => v.toFixed(3)).join(', ');
  document.querySelector('#standardized .scaling').textContent =
    `Standardized as (x − mean) / std with mean [${list(means)}] and std [${list(stds)}] of the four inputs.`;
  const standardizedModel = referenceModel(new wg.optimizers.Adam({ learningRate: 0.05 }));
  const standardized = await trainAndShow('standardized', standardizedModel, xStandardized, y, '#1971c2');
  standardizedModel.dispose();
  for (const tensor of [x, y, xStandardized, mean, std]) tensor.dispose();

  const secondsPerRun = (asWritten.seconds + standardized.seconds) / 2;
  const figures = ({ loss, accuracy, predictions }) => ({ loss, accuracy, predictions });
  return { asWritten: figures(asWritten), standardized: figures(standardized), secondsPerRun };
});
