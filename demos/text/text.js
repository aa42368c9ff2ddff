// The text demo: a character-level transformer trained in the page, twice. First as a language
// model on a corpus (Genesis, King James Version, by default; the visitor can paste their own), with
// its loss curve, tokens per second and samples at an adjustable temperature as it learns. Then on
// a synthetic task with a measurable answer, reversing five digits, scored on held-out strings.
import * as wg from '../../dist/webgrad.js';
import { LinePlot } from '../shared/line-plot.js';
import { log, runDemo, setStatus } from '../shared/page.js';
import { mulberry32 as seededRandom } from '../shared/mulberry32.js';
import { Vocabulary, buildCharTransformer, countParameters, generate, randomWindows } from './char-model.js';
import { TrainingRun, formatRate } from './training-run.js';
import { DIGITS, SEQUENCE_LENGTH, TASK_CHARACTERS, heldOutDigits, reversalBatch, reversalSequence } from './reversal-task.js';

const params = new URLSearchParams(location.search);
const number = (name, fallback) => Number(params.get(name) ?? fallback);
const HEADLESS = params.has('headless');

/**
 * Two sizes of language model and batch (parameter counts with Genesis's 60 characters). On a
 * hardware GPU a step costs about the same for either (it is mostly dispatch overhead), so the page
 * takes the large one; a software adapter (SwiftShader, llvmpipe) computes on the CPU, where the
 * cost grows with the work, so there it takes the small one, whose small batches also learn more
 * per second early on (in our runs 150 steps of 8 windows reached the loss of 100 steps of 16 in
 * about half the time). `?size=small|large` overrides.
 */
const MODEL_SIZES = {
  small: { dim: 64, heads: 4, layers: 2, ffDim: 256, contextLength: 32, batchSize: 8 }, // ≈ 110,000 parameters
  large: { dim: 128, heads: 4, layers: 2, ffDim: 512, contextLength: 64, batchSize: 32 }, // ≈ 420,000 parameters
};
let LANGUAGE_MODEL = MODEL_SIZES.small;
const LM = {
  // Headless runs (`npm run demo`, the test) take a short schedule; the page itself trains longer.
  steps: number('steps', HEADLESS ? 150 : 1000),
  learningRate: 3e-3,
  sampleEvery: number('sampleEvery', HEADLESS ? 75 : 50),
  sampleLength: number('sampleLength', HEADLESS ? 60 : 200),
  samplePrompt: 'And ',
};
/** The reversal task needs less: width 32 (about 27,000 parameters) learns it in under 100 steps. */
const TASK_MODEL = { dim: 32, heads: 4, layers: 2, ffDim: 128, contextLength: SEQUENCE_LENGTH - 1 };
const TASK = {
  steps: number('taskSteps', HEADLESS ? 100 : 300),
  batchSize: number('taskBatch', 32),
  learningRate: 3e-3,
  heldOut: 200,
  evaluateEvery: number('evaluateEvery', 25),
};

const ui = {
  lmPanel: document.getElementById('language-model'),
  taskPanel: document.getElementById('reversal'),
  temperature: document.getElementById('temperature'),
  temperatureValue: document.getElementById('temperature-value'),
  sample: document.getElementById('sample'),
  sampleCaption: document.getElementById('sample-caption'),
  pasted: document.getElementById('pasted-text'),
  trainOnPasted: document.getElementById('train-on-pasted'),
  stop: document.getElementById('stop-training'),
  sampleAgain: document.getElementById('sample-again'),
  corpusNote: document.getElementById('corpus-note'),
};

const temperature = () => Number(ui.temperature.value);
ui.temperature.addEventListener('input', () => {
  ui.temperatureValue.textContent = temperature().toFixed(2);
});

function showFigures(panel, figures) {
  panel.querySelector('.figures').innerHTML = figures
    .map(([label, name, value]) => `${label} <strong data-figure="${name}">${value}</strong>`)
    .join(' · ');
}

// ---- The language model -------------------------------------------------------------------

/**
 * The loss of predicting every character from the text's character frequencies alone (its
 * entropy in nats): a model below it uses the context.
 */
function unigramEntropy(tokens, vocabularySize) {
  const counts = new Float64Array(vocabularySize);
  for (const id of tokens) counts[id]++;
  return counts.reduce((total, count) => (count > 0 ? total - (count / tokens.length) * Math.log(count / tokens.length) : total), 0);
}

/** The run in progress; `stopRequested` ends it after the current step, `sampleRequested` samples after it. */
let languageRun = null;
/** The latest language model and its vocabulary, kept after training so the visitor can still sample. */
let latest = null;
const sampleRandom = seededRandom(2);

async function sampleText({ model, vocabulary, steps }) {
  const started = performance.now();
  const prompt = LM.samplePrompt.split('').every((c) => vocabulary.ids.has(c)) ? LM.samplePrompt : vocabulary.decode([0]);
  const [ids] = await generate(model, [vocabulary.encode(prompt)], LM.sampleLength, {
    contextLength: LANGUAGE_MODEL.contextLength,
    vocabularySize: vocabulary.size,
    temperature: temperature(),
    random: sampleRandom,
  });
  const text = prompt + vocabulary.decode(ids);
  ui.sample.textContent = text;
  ui.sampleCaption.textContent = `after ${steps} steps, temperature ${temperature().toFixed(2)}, ` +
    `${((performance.now() - started) / LM.sampleLength).toFixed(0)} ms per character`;
  return text;
}

/** Trains a fresh language model on `text` for `steps` steps (or until stopped); returns its figures. */
async function trainLanguageModel(text, steps, sourceName) {
  const vocabulary = new Vocabulary(text);
  const tokens = vocabulary.encode(text);
  latest?.model.dispose();
  latest = null;
  wg.setSeed(42);
  const model = buildCharTransformer({ vocabularySize: vocabulary.size, ...LANGUAGE_MODEL });
  model.build([LANGUAGE_MODEL.contextLength]);
  latest = { model, vocabulary, steps: 0 };
  const plot = new LinePlot(ui.lmPanel.querySelector('canvas'), { xMax: steps, xLabel: 'step', yLabel: 'loss (nats/char)' });
  const run = new TrainingRun({ model, learningRate: LM.learningRate, plot, tokensPerStep: LANGUAGE_MODEL.batchSize * LANGUAGE_MODEL.contextLength });
  languageRun = run;
  const random = seededRandom(1);
  ui.lmPanel.querySelector('.setup').textContent =
    `${sourceName}: ${tokens.length.toLocaleString('en')} characters, ${vocabulary.size} distinct · ` +
    `${countParameters(model).toLocaleString('en')} parameters (width ${LANGUAGE_MODEL.dim}, ${LANGUAGE_MODEL.layers} blocks) · batches of ${LANGUAGE_MODEL.batchSize} windows of ${LANGUAGE_MODEL.contextLength} characters · Adam ${LM.learningRate}`;
  document.getElementById('summary').textContent = model.summary();
  log(`language model on ${sourceName}: ${countParameters(model)} parameters, vocabulary ${vocabulary.size}, ${steps} steps`);

  const samples = [];
  const uniformLoss = Math.log(vocabulary.size);
  const unigramLoss = unigramEntropy(tokens, vocabulary.size);
  try {
    while (run.steps < steps && !run.stopRequested) {
      await run.step(randomWindows(tokens, LANGUAGE_MODEL.batchSize, LANGUAGE_MODEL.contextLength, random), [LANGUAGE_MODEL.batchSize, LANGUAGE_MODEL.contextLength]);
      latest.steps = run.steps;
      if (run.steps % LM.sampleEvery === 0 || run.steps === steps || run.sampleRequested || run.stopRequested) {
        run.sampleRequested = false;
        await run.readLosses();
        samples.push({ step: run.steps, text: await sampleText(latest) });
        log(`step ${run.steps}: loss ${run.lastLoss.toFixed(3)} (uniform guess ${uniformLoss.toFixed(3)}, ` +
          `character frequencies ${unigramLoss.toFixed(3)}), ${formatRate(run.tokensPerSecond)} tokens/s`);
      }
      showFigures(ui.lmPanel, [
        ['step', 'lm-step', `${run.steps} / ${steps}`],
        ['loss', 'lm-loss', run.lastLoss.toFixed(3)],
        ['tokens/s', 'lm-tokens-per-second', formatRate(run.tokensPerSecond)],
      ]);
    }
    await run.readLosses();
    plot.draw();
    return {
      steps: run.steps,
      parameters: countParameters(model),
      vocabularySize: vocabulary.size,
      uniformLoss,
      unigramLoss,
      firstLoss: run.losses[0]?.[1] ?? NaN,
      finalLoss: run.lastLoss,
      tokensPerSecond: run.tokensPerSecond,
      seconds: run.seconds,
      losses: run.losses,
      samples,
    };
  } finally {
    if (languageRun === run) languageRun = null;
    run.dispose();
  }
}

/** A new sample from the latest model at the slider's temperature: now, or after the current step while training. */
let sampling = false;
async function sampleAgain() {
  if (languageRun) {
    languageRun.sampleRequested = true;
  } else if (latest && !sampling) {
    sampling = true;
    try {
      await sampleText(latest);
    } finally {
      sampling = false;
    }
  }
}
ui.temperature.addEventListener('change', sampleAgain);
ui.sampleAgain.addEventListener('click', sampleAgain);

// ---- The reversal task ---------------------------------------------------------------------

/** Greedy continuations of "<digits>>" for each held-out string: exact-match and per-digit accuracy. */
async function reversalAccuracy(model, vocabulary, heldOut) {
  const generated = await generate(model, heldOut.map((digits) => vocabulary.encode(`${digits}>`)), DIGITS + 1, {
    contextLength: TASK_MODEL.contextLength,
    vocabularySize: vocabulary.size,
    temperature: 0,
  });
  const answers = generated.map((ids) => vocabulary.decode(ids));
  let exact = 0;
  let digitsRight = 0;
  answers.forEach((answer, i) => {
    const expected = reversalSequence(heldOut[i]).slice(DIGITS + 1);
    if (answer === expected) exact++;
    for (let d = 0; d < DIGITS; d++) if (answer[d] === expected[d]) digitsRight++;
  });
  return { accuracy: exact / heldOut.length, digitAccuracy: digitsRight / (heldOut.length * DIGITS), answers };
}

async function trainReversal() {
  const vocabulary = new Vocabulary(TASK_CHARACTERS);
  const heldOut = heldOutDigits(TASK.heldOut, seededRandom(11));
  const heldOutSet = new Set(heldOut);
  wg.setSeed(43);
  const model = buildCharTransformer({ vocabularySize: vocabulary.size, ...TASK_MODEL });
  model.build([TASK_MODEL.contextLength]);
  const lossPlot = new LinePlot(ui.taskPanel.querySelector('canvas.loss'), { xMax: TASK.steps, xLabel: 'step', yLabel: 'loss after “>”' });
  const accuracyPlot = new LinePlot(ui.taskPanel.querySelector('canvas.accuracy'), { xMax: TASK.steps, xLabel: 'step', yLabel: 'held-out accuracy', color: '#2f9e44', yAtLeast: 1 });
  const run = new TrainingRun({ model, learningRate: TASK.learningRate, plot: lossPlot, tokensPerStep: TASK.batchSize * TASK_MODEL.contextLength });
  const random = seededRandom(12);
  ui.taskPanel.querySelector('.setup').textContent =
    `${countParameters(model).toLocaleString('en')} parameters (width ${TASK_MODEL.dim}, ${TASK_MODEL.layers} blocks) · batches of ${TASK.batchSize} random strings (never one of the ${TASK.heldOut} held out) · Adam ${TASK.learningRate}`;
  log(`reversal task: ${countParameters(model)} parameters, ${TASK.steps} steps`);

  const shape = [TASK.batchSize, TASK_MODEL.contextLength];
  try {
    let score = await reversalAccuracy(model, vocabulary, heldOut); // the untrained model's, for the curve's start
    const accuracies = [[0, score.accuracy]];
    accuracyPlot.push(0, score.accuracy);
    while (run.steps < TASK.steps) {
      await run.step(reversalBatch(vocabulary, TASK.batchSize, heldOutSet, random), shape);
      if (run.steps % TASK.evaluateEvery === 0 || run.steps === TASK.steps) {
        await run.readLosses();
        score = await reversalAccuracy(model, vocabulary, heldOut);
        accuracies.push([run.steps, score.accuracy]);
        accuracyPlot.push(run.steps, score.accuracy);
        log(`reversal step ${run.steps}: loss ${run.lastLoss.toFixed(3)}, held-out exact match ${(100 * score.accuracy).toFixed(1)}%, digits ${(100 * score.digitAccuracy).toFixed(1)}%`);
        showReversalExamples(heldOut, score.answers);
      }
      showFigures(ui.taskPanel, [
        ['step', 'task-step', `${run.steps} / ${TASK.steps}`],
        ['loss', 'task-loss', run.lastLoss.toFixed(3)],
        ['held-out accuracy', 'task-accuracy', `${(100 * score.accuracy).toFixed(1)}%`],
        ['tokens/s', 'task-tokens-per-second', formatRate(run.tokensPerSecond)],
      ]);
    }
    lossPlot.draw();
    accuracyPlot.draw();
    return {
      steps: run.steps,
      parameters: countParameters(model),
      heldOut: TASK.heldOut,
      accuracy: score.accuracy,
      digitAccuracy: score.digitAccuracy,
      firstLoss: run.losses[0]?.[1] ?? NaN,
      finalLoss: run.lastLoss,
      tokensPerSecond: run.tokensPerSecond,
      seconds: run.seconds,
      losses: run.losses,
      accuracies,
      heldOutDigits: heldOut,
      answers: score.answers,
    };
  } finally {
    run.dispose();
    model.dispose();
  }
}

function showReversalExamples(heldOut, answers) {
  const rows = heldOut.slice(0, 8).map((digits, i) => {
    const expected = reversalSequence(digits).slice(DIGITS + 1);
    return `<tr><td>${digits}&gt;</td><td>${expected}</td><td>${answers[i]} ${answers[i] === expected ? '✓' : '✗'}</td></tr>`;
  });
  ui.taskPanel.querySelector('.examples').innerHTML =
    `<thead><tr><th>prompt</th><th>expected</th><th>model (greedy)</th></tr></thead><tbody>${rows.join('')}</tbody>`;
}

// ---- The page ------------------------------------------------------------------------------

/** Resolves when no language-model run or sample is in progress (asking the current run to stop). */
async function stopLanguageRun() {
  while (languageRun || sampling) {
    if (languageRun) languageRun.stopRequested = true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

ui.stop.addEventListener('click', () => {
  if (languageRun) languageRun.stopRequested = true;
});

let initialRunDone = false;
ui.trainOnPasted.addEventListener('click', async () => {
  const text = ui.pasted.value;
  if (text.length < LANGUAGE_MODEL.contextLength + 2) {
    ui.corpusNote.textContent = `Paste at least ${LANGUAGE_MODEL.contextLength + 2} characters.`;
    return;
  }
  if (!initialRunDone) {
    ui.corpusNote.textContent = 'The first run (the corpus, then the reversal task) is still going; try again when it is done.';
    return;
  }
  await stopLanguageRun();
  ui.corpusNote.textContent = `Training on your ${text.length.toLocaleString('en')} characters.`;
  setStatus('Training on your text…');
  try {
    const { steps } = await trainLanguageModel(text, LM.steps, 'Your text');
    setStatus(steps < LM.steps ? `Stopped after ${steps} steps on your text.` : 'Done training on your text.');
  } catch (error) {
    ui.corpusNote.textContent = `Training failed: ${error instanceof Error ? error.message : String(error)}`;
  }
});

/** The model size for this adapter (see MODEL_SIZES), and why. */
function chooseModelSize() {
  const adapter = wg.getAdapterInfo();
  const name = [adapter.vendor, adapter.architecture, adapter.description].filter(Boolean).join(' ') || 'unnamed adapter';
  const requested = params.get('size');
  if (requested !== null) {
    if (!(requested in MODEL_SIZES)) throw new Error(`?size= takes ${Object.keys(MODEL_SIZES).join(' or ')}, got '${requested}'`);
    return { size: requested, reason: `?size=${requested} on ${name}` };
  }
  const software = /swiftshader|llvmpipe|lavapipe|software/i.test(name);
  return software
    ? { size: 'small', reason: `${name} is a software adapter (it computes on the CPU)` }
    : { size: 'large', reason: `${name} is a hardware GPU` };
}

runDemo(async () => {
  setStatus('Starting WebGPU…');
  await wg.init();
  const { size, reason } = chooseModelSize();
  LANGUAGE_MODEL = { ...MODEL_SIZES[size], batchSize: number('batch', MODEL_SIZES[size].batchSize) };
  document.getElementById('size-choice').textContent =
    `This run uses the ${size} model (width ${LANGUAGE_MODEL.dim}, context ${LANGUAGE_MODEL.contextLength} characters): ${reason}.`;
  log(`model size: ${size} (${reason})`);
  // genesis.txt is Genesis 1:1–50:26 from Debian's bible-kjv-text, one verse per line, extracted with
  // `bible -f -l1000 gen1:1-gen50:26 | sed -E 's/^Ge[0-9]+:[0-9]+ //'` (bible-kjv's reader).
  const corpus = await (await fetch('genesis.txt')).text();

  setStatus(`Training the language model on Genesis for ${LM.steps} steps…`);
  const languageModel = await trainLanguageModel(corpus, LM.steps, 'Genesis (KJV)');
  log(`language model: loss ${languageModel.firstLoss.toFixed(3)} → ${languageModel.finalLoss.toFixed(3)} in ${languageModel.steps} steps (${languageModel.seconds.toFixed(0)} s with sampling), ${formatRate(languageModel.tokensPerSecond)} tokens/s`);

  setStatus(`Training the reversal task for ${TASK.steps} steps…`);
  const reversal = await trainReversal();
  log(`reversal: held-out exact match ${(100 * reversal.accuracy).toFixed(1)}%, loss ${reversal.finalLoss.toFixed(3)} in ${reversal.steps} steps (${reversal.seconds.toFixed(0)} s with evaluation), ${formatRate(reversal.tokensPerSecond)} tokens/s`);
  initialRunDone = true;

  // The per-step details, for a test to check; kept out of the result so `npm run demo` prints only figures.
  window.textDemoData = { languageModel, reversal };
  const figures = ({ steps, parameters, firstLoss, finalLoss, tokensPerSecond, seconds }) => ({ steps, parameters, firstLoss, finalLoss, tokensPerSecond, seconds });
  return {
    languageModel: { size, ...figures(languageModel), uniformLoss: languageModel.uniformLoss, unigramLoss: languageModel.unigramLoss },
    reversal: { ...figures(reversal), accuracy: reversal.accuracy, digitAccuracy: reversal.digitAccuracy },
  };
});
