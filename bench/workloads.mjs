// What `npm run bench` measures: every case's page spec (see bench/page.js), how its times become
// the reported figure, and how its result is judged correct before that figure counts.
// @ts-check
import { classificationData, denseWeights, REFERENCE_DATA, tokenBatches, transformerWeights } from './inputs.js';
import { simulateMlp, simulateReference, simulateTransformerLoss } from './reference.js';

/** @typedef {{ minReps: number, maxReps: number, budgetMs: number, calls?: number }} Timing */
/** @typedef {{ ok: boolean, detail: string }} Verdict */
/** @typedef {{ ok: boolean, checked: number, index: number, actual: number, expected: number, error: number, tolerance: number }} EntryCheck */
/** @typedef {{ times: number[], check: { ok: boolean, warmup: EntryCheck, timed: EntryCheck } }} KernelResult */
/** @typedef {{ times: number[], warmupMs: number, warmupEpochs: number, losses: { initial: number, afterWarmup: number, final: number } }} MlpResult */
/** @typedef {{ times: number[], finalLosses: number[], epochsRun: number[] }} ReferenceResult */
/** @typedef {{ id: string, title: string, adamRule: 'keras' | 'tfjs', mlpTolerance: number, jitReplaysEager: boolean }} Library */
/**
 * @typedef {object} Case
 * @property {string} label            the row's name in the table
 * @property {string} unit
 * @property {boolean} higherIsBetter  false for wall times
 * @property {Record<string, unknown>} spec  sent to window.bench.run in the page
 * @property {(ms: number) => number} figure  one repetition's time in ms -> the reported unit
 * @property {(result: any, library: Library, earlier: Record<string, { raw?: any }>) => Verdict} check  the page's
 *   result (and the row's results of the libraries run before it) -> whether its times count
 */
/**
 * @typedef {object} Workload
 * @property {string} name   what --only= selects
 * @property {string} title
 * @property {Case[]} cases
 * @property {string} [skipReason]  set when the workload cannot run yet; printed, never silent
 * @property {string[]} [libraries]  the library ids that run it (default: all)
 */

/**
 * How far the MLP's loss after the warm-up epoch may be from float64 (see checkMlp): 200 times what
 * webgrad and jax-js reach, 37 times below the smallest mistake the check must catch.
 */
export const MLP_LOSS_TOLERANCE = 1e-4;

/**
 * The libraries compared, in table order; `id` names bench/libs/<id>.js. `adamRule` is where the
 * library's Adam adds epsilon (bench/reference.js, Adam): the training checks simulate each
 * library's own rule, since a tenfold change of epsilon moves the MLP's loss by 4e-3.
 * `mlpTolerance`: TF.js lands 1.8e-3 from a float64 simulation of its own rule (5.6e-3 from
 * Keras's) for a reason not yet found, so it is allowed 4e-3: enough to reject shuffled or
 * misaligned batches (8.9e-3, 1.9e-2), not a 1 − β or epsilon mistake.
 * `jitReplaysEager`: the library's jit runs the eager step's own kernels (webgrad's wg.jit), so
 * compiled and eager losses must be equal bit for bit; jax-js's jit fuses ops, which changes the
 * rounding, so its compiled losses are held to TRANSFORMER_PEER_TOLERANCE of its eager ones.
 * @type {Library[]}
 */
export const LIBRARIES = [
  { id: 'webgrad', title: 'webgrad', adamRule: 'keras', mlpTolerance: MLP_LOSS_TOLERANCE, jitReplaysEager: true },
  { id: 'tfjs', title: 'TF.js', adamRule: 'tfjs', mlpTolerance: 4e-3, jitReplaysEager: false },
  { id: 'jax', title: 'jax-js', adamRule: 'keras', mlpTolerance: MLP_LOSS_TOLERANCE, jitReplaysEager: false },
];

/**
 * The text demo's small language model (demos/text/text.js MODEL_SIZES.small: width 64, 4 heads,
 * 2 blocks, feed-forward 256, 32 tokens of context, batches of 8, Adam 3e-3) over 24 token ids;
 * 10 steps per repetition after 3 warm-up steps.
 */
const TRANSFORMER = {
  model: { vocabularySize: 24, contextLength: 32, dim: 64, heads: 4, layers: 2, ffDim: 256, learningRate: 3e-3 },
  batchSize: 8, steps: 10, warmupSteps: 3, seed: 5000,
};

/**
 * Why the transformer workload has no TF.js row (printed under the table).
 */
export const TRANSFORMER_PEERS = 'no TF.js row: TF.js 4.22 exports no MultiHeadAttention from its layers API (tfjs-layers keeps one under dist/layers/nlp, unexported), so its step would be the model written out in tf ops (tf.gather, tf.matMul, tf.softmax, tf.grads) as the jax-js one is, which has not been written yet';

/**
 * How far the transformer's first loss (a forward pass from the given weights, before any step)
 * may be from float64 (simulateTransformerLoss): on SwiftShader webgrad lands 2.4e-8 from it,
 * jax-js 2.4e-8 jitted and 9.3e-7 op by op (2.6e-6 on its wasm device in Node: its
 * nn.standardize takes the variance as E[x²] − mean²). The smallest mistake the check exists for,
 * GELU's exact form for the tanh one, moves it 2.2e-5 (bench/check-sensitivity.mjs; a layer norm
 * epsilon of 1e-3 for 1e-5 6.1e-3, no causal mask 0.20).
 */
export const TRANSFORMER_FIRST_LOSS_TOLERANCE = 1e-5;

/**
 * How far a library's warm-up losses may be from webgrad's, step by step (and jax-js's jitted ones
 * from its own eager ones). From the same weights on the same batches, jax-js lands within 1.4e-6
 * of webgrad on SwiftShader after 1 and 2 Adam steps (4.8e-7 jitted; its jitted losses 2.1e-6 from
 * its eager ones; 2.4e-6 from webgrad's on its wasm device): the first loss's float32 difference
 * carried along. A mistake in the step moves them by 2.4e-4 or more (measured once with jax-js's
 * step on its wasm device, changed: Adam's epsilon 1e-8 for 1e-7 2.4e-4, TF.js's Adam rule
 * 2.8e-4, β2 0.99 5.5e-4, a learning rate 0.1% off 6.1e-4).
 */
export const TRANSFORMER_PEER_TOLERANCE = 2e-5;

const MLP = { samples: 4096, units: [784, 256, 128, 10], batchSize: 128, learningRate: 1e-3, seed: 3000 };
const REFERENCE = { units: [2, 2, 1], learningRate: 1e-3, seed: 4000 };

/**
 * The page checked the outputs itself (bench/page.js, against bench/reference.js).
 * @param {KernelResult} result @returns {Verdict}
 */
function pageCheck(result) {
  const { warmup, timed } = result.check;
  const failed = [warmup, timed].find((c) => !c.ok);
  if (failed) {
    const which = failed === warmup ? 'warm-up' : 'timed';
    return { ok: false, detail: `${which} output, entry ${failed.index}: got ${failed.actual}, expected ${failed.expected.toPrecision(8)} (|error| ${failed.error.toExponential(2)} > tolerance ${failed.tolerance.toExponential(2)})` };
  }
  return { ok: true, detail: `${timed.checked} entries of the warm-up and last outputs within tolerance (worst |error| ${Math.max(warmup.error, timed.error).toExponential(1)})` };
}

/**
 * GFLOP/s or GB/s from a per-call time: `amount` units of 1e9 per call.
 * @param {number} amount @returns {(ms: number) => number}
 */
const perSecond = (amount) => (ms) => amount / (ms / 1000) / 1e9;

/**
 * @param {{ quick: boolean }} mode
 * @returns {Workload[]}
 */
export function defineWorkloads({ quick }) {
  /** @param {Timing} full @param {Timing} fast */
  const timing = (full, fast) => (quick ? fast : full);

  /** @type {[string, number, number, number, number][]} label, m, k, n, calls per repetition */
  const shapes = [
    ['square N=128', 128, 128, 128, 16],
    ['square N=256', 256, 256, 256, 4],
    ['square N=512', 512, 512, 512, 1],
    ['square N=1024', 1024, 1024, 1024, 1],
    ['MLP layer 1 forward [128,784]@[784,256]', 128, 784, 256, 2],
    ['MLP layer 1 weight gradient [784,128]@[128,256]', 784, 128, 256, 2],
  ];
  const matmulCases = shapes.map(([label, m, k, n, calls], index) => ({
    label: `matmul ${label}`,
    unit: 'GFLOP/s',
    higherIsBetter: true,
    spec: {
      kind: 'matmul', m, k, n, seed: 1000 + 10 * index,
      timing: timing({ calls, minReps: 3, maxReps: 7, budgetMs: 15_000 }, { calls, minReps: 1, maxReps: 2, budgetMs: 2_000 }),
    },
    figure: perSecond(2 * m * k * n),
    check: pageCheck,
  }));

  const count = 2 ** 20;
  const elementwiseCases = [
    ['add', 'add 2^20 elements', 8],
    ['chain', 'chain of 5 elementwise ops, 2^20 elements', 4],
  ].map(([op, label, calls], index) => ({
    label: String(label),
    unit: 'GB/s',
    higherIsBetter: true,
    spec: {
      kind: 'elementwise', op, count, seed: 2000 + 10 * index,
      timing: timing({ calls: Number(calls), minReps: 5, maxReps: 15, budgetMs: 5_000 }, { calls: Number(calls), minReps: 1, maxReps: 3, budgetMs: 1_000 }),
    },
    // Bytes of the two inputs and the output, whatever a library moves in between.
    figure: perSecond(3 * 4 * count),
    check: pageCheck,
  }));

  const mlpCase = {
    label: 'MLP 784-256-128-10 training, batch 128',
    unit: 'samples/s',
    higherIsBetter: true,
    spec: { kind: 'mlp', ...MLP, timing: timing({ minReps: 2, maxReps: 5, budgetMs: 30_000 }, { minReps: 1, maxReps: 1, budgetMs: 0 }) },
    figure: (/** @type {number} */ ms) => MLP.samples / (ms / 1000),
    check: checkMlp,
  };

  const loopCase = {
    ...mlpCase,
    label: 'MLP 784-256-128-10 hand-written loop (valueAndGrad + Adam under jit), batch 128',
    spec: { ...mlpCase.spec, loop: true },
  };

  const epochs = quick ? 100 : 1000;
  const referenceCase = {
    label: `reference 2-2-1 sigmoid, Adam, ${epochs} epochs${quick ? ' (--quick: 100, not 1000)' : ''}`,
    unit: 's per fit',
    higherIsBetter: false,
    spec: {
      kind: 'reference', ...REFERENCE, epochs, warmupEpochs: 5,
      timing: timing({ minReps: 2, maxReps: 3, budgetMs: 20_000 }, { minReps: 1, maxReps: 1, budgetMs: 0 }),
    },
    figure: (/** @type {number} */ ms) => ms / 1000,
    check: (/** @type {ReferenceResult} */ result, /** @type {Library} */ library) => checkReference(result, library, epochs),
  };

  return [
    { name: 'matmul', title: 'f32 matmul', cases: matmulCases },
    { name: 'elementwise', title: 'elementwise', cases: elementwiseCases },
    { name: 'mlp', title: 'MLP training', cases: [mlpCase, loopCase] },
    { name: 'reference', title: 'reference workload', cases: [referenceCase] },
    {
      name: 'transformer',
      title: 'transformer training step (tokens/s)',
      // webgrad and jax-js (eager and jitted): see TRANSFORMER_PEERS for TF.js.
      libraries: ['webgrad', 'jax'],
      cases: [false, true].map((compiled) => ({
        label: `transformer step (text demo's small model), ${compiled ? 'jit' : 'eager'}, batch ${TRANSFORMER.batchSize}×${TRANSFORMER.model.contextLength}`,
        unit: 'tokens/s',
        higherIsBetter: true,
        spec: {
          kind: 'transformer', ...TRANSFORMER, compiled,
          timing: timing({ minReps: 3, maxReps: 5, budgetMs: 20_000 }, { minReps: 2, maxReps: 2, budgetMs: 0 }),
        },
        figure: (/** @type {number} */ ms) => (TRANSFORMER.steps * TRANSFORMER.batchSize * TRANSFORMER.model.contextLength) / (ms / 1000),
        check: checkTransformer,
      })),
    },
  ];
}

/** @type {number | undefined} the float64 first loss, computed once per process */
let transformerFirstLoss;

/** The transformer workload's first loss in float64: its weights on its first batch (bench/cases.js). */
export function simulateTransformerWorkload(mistake = 'none') {
  const { model, seed, batchSize } = TRANSFORMER;
  const [{ inputs, targets }] = tokenBatches(seed + 1, 1, batchSize, model.contextLength, model.vocabularySize);
  return simulateTransformerLoss({ weights: transformerWeights(seed, model), model, inputs, targets, mistake });
}

/**
 * The transformer step, every library from the same weights (bench/inputs.js transformerWeights)
 * on the same batches: its first loss (a forward pass) within TRANSFORMER_FIRST_LOSS_TOLERANCE of
 * float64; its warm-up losses within TRANSFORMER_PEER_TOLERANCE of webgrad's, step by step, where
 * webgrad ran first; a jitted run's warm-up losses equal to an eager run's, bit for bit where the
 * library's jit replays eager's kernels (webgrad) and within TRANSFORMER_PEER_TOLERANCE otherwise;
 * every loss finite, and the mean of the last repetition's losses below the first loss.
 * @param {{ warmupLosses: number[], losses: number[], eagerWarmup: number[] | null }} result
 * @param {Library} library @param {Record<string, { raw?: any }>} earlier @returns {Verdict}
 */
function checkTransformer(result, library, earlier) {
  const { warmupLosses, losses, eagerWarmup } = result;
  const failures = [];
  const first = warmupLosses[0];
  transformerFirstLoss ??= simulateTransformerWorkload();
  const firstError = Math.abs(first - transformerFirstLoss);
  if (!(firstError <= TRANSFORMER_FIRST_LOSS_TOLERANCE)) failures.push(`first loss ${first} vs float64 ${transformerFirstLoss} (|error| ${firstError.toExponential(2)} > ${TRANSFORMER_FIRST_LOSS_TOLERANCE.toExponential(0)})`);
  const all = [...warmupLosses, ...losses];
  if (!all.every(Number.isFinite)) failures.push('a loss is not finite');
  const last = losses.slice(-TRANSFORMER.steps);
  const lastMean = last.reduce((a, b) => a + b, 0) / Math.max(last.length, 1);
  if (!(lastMean < first)) failures.push(`the last repetition's mean loss ${fmt(lastMean)} is not below the first ${fmt(first)}`);
  const details = [`first loss ${fmt(first)} (float64 ${fmt(transformerFirstLoss)}, |error| ${firstError.toExponential(1)} ≤ ${TRANSFORMER_FIRST_LOSS_TOLERANCE.toExponential(0)}) -> ${fmt(lastMean)}`];
  /** Compares the warm-up losses with `other`'s, step by step; the worst difference, or a failure. */
  const compare = (/** @type {number[]} */ other, /** @type {string} */ name, /** @type {number} */ tolerance) => {
    const errors = warmupLosses.map((loss, i) => Math.abs(loss - other[i]));
    const step = errors.findIndex((error) => !(error <= tolerance));
    if (other.length !== warmupLosses.length) failures.push(`${name} ran ${other.length} warm-up steps, not ${warmupLosses.length}`);
    else if (step >= 0) failures.push(`warm-up step ${step + 1}: loss ${warmupLosses[step]}, ${name} ${other[step]} (|difference| > ${tolerance.toExponential(0)})`);
    return Math.max(...errors);
  };
  if (eagerWarmup) {
    const exact = library.jitReplaysEager;
    const worst = compare(eagerWarmup, 'eager', exact ? 0 : TRANSFORMER_PEER_TOLERANCE);
    details.push(exact ? `warm-up losses equal to eager bit for bit (${eagerWarmup.length} steps)` : `warm-up losses within ${worst.toExponential(1)} of eager`);
  }
  const webgrad = library.id === 'webgrad' ? null : earlier.webgrad?.raw?.warmupLosses;
  if (webgrad) details.push(`warm-up losses within ${compare(webgrad, 'webgrad', TRANSFORMER_PEER_TOLERANCE).toExponential(1)} of webgrad's (${webgrad.length} steps, ≤ ${TRANSFORMER_PEER_TOLERANCE.toExponential(0)})`);
  else if (library.id !== 'webgrad') details.push('webgrad did not run: no step-by-step comparison');
  return { ok: failures.length === 0, detail: failures.length ? failures.join('; ') : details.join(', ') };
}

// ---- training checks: the losses each library reports against float64 simulations ----------

/** @type {Map<string, { initialLoss: number, trainedLoss: number }>} */
const simulations = new Map();

/**
 * The float64 simulation behind a check, run once per process and Adam rule (half a minute for
 * the MLP on a busy machine).
 * @param {string} name 'mlp' or 'reference' @param {number} epochs the reference workload's
 * @param {Library['adamRule']} adamRule
 */
export function simulation(name, epochs, adamRule) {
  const key = `${name}:${epochs}:${adamRule}`;
  let result = simulations.get(key);
  if (!result) {
    if (name === 'mlp') {
      result = simulateMlpWorkload('none', adamRule);
    } else {
      const weights = denseWeights(REFERENCE.seed, REFERENCE.units);
      result = simulateReference({ ...REFERENCE_DATA, weights, units: REFERENCE.units, epochs, learningRate: REFERENCE.learningRate, adamRule });
    }
    simulations.set(key, result);
  }
  return result;
}

/**
 * The MLP workload's warm-up epoch in float64, trained as specified or with one of the mistakes
 * of bench/reference.js's simulateMlp (bench/check-sensitivity.mjs shows each fails checkMlp).
 * @param {string} [mistake] @param {Library['adamRule']} [adamRule]
 */
export function simulateMlpWorkload(mistake = 'none', adamRule = 'keras') {
  const { x, y } = classificationData(MLP.seed, MLP.samples, MLP.units[0], MLP.units[MLP.units.length - 1]);
  const weights = denseWeights(MLP.seed + 10, MLP.units);
  return simulateMlp({ x, y, weights, units: MLP.units, batchSize: MLP.batchSize, steps: MLP.samples / MLP.batchSize, learningRate: MLP.learningRate, adamRule, mistake });
}

const fmt = (/** @type {number} */ value) => (Number.isFinite(value) ? value.toFixed(5) : String(value));

/**
 * Before training, the loss over all samples must match float64 within 1e-3 (only a forward pass
 * has run; float32 rounding gives ~1e-6). After the warm-up epoch (one fit epoch, 32 Adam steps)
 * within the library's mlpTolerance of a float64 simulation of its own Adam rule: a correct
 * float32 run lands within 1e-6 of it (on SwiftShader webgrad 4.4e-7, jax-js 3.3e-8; TF.js see
 * LIBRARIES), while each mistake the check exists for moves the loss by 3.7e-3 or more
 * (bench/check-sensitivity.mjs: 1 - beta from float32 betas 4.0e-3, epsilon 1e-8 for 1e-7 3.7e-3,
 * shuffled batches 8.9e-3, labels one sample off 1.9e-2). The warm-up fit must report one epoch,
 * and the timed epochs must keep the loss finite and falling.
 * @param {MlpResult} result @param {Library} library @returns {Verdict}
 */
function checkMlp(result, library) {
  const { initial, afterWarmup, final } = result.losses;
  const expected = simulation('mlp', 0, library.adamRule);
  const failures = [];
  if (!(Math.abs(initial - expected.initialLoss) <= 1e-3)) failures.push(`initial loss ${fmt(initial)} vs float64 ${fmt(expected.initialLoss)}`);
  if (!(Math.abs(initial - Math.log(10)) <= 0.5)) failures.push(`initial loss ${fmt(initial)} is far from ln 10`);
  if (result.warmupEpochs !== 1) failures.push(`the warm-up fit ran ${result.warmupEpochs} epochs, not 1`);
  const error = Math.abs(afterWarmup - expected.trainedLoss);
  if (!(error <= library.mlpTolerance)) failures.push(`loss after one epoch ${afterWarmup} vs float64 ${expected.trainedLoss} (|error| ${error.toExponential(2)} > ${library.mlpTolerance})`);
  if (!(Number.isFinite(final) && final < afterWarmup)) failures.push(`final loss ${fmt(final)} is not finite and below ${fmt(afterWarmup)}`);
  const summary = `loss ${fmt(initial)} -> ${fmt(afterWarmup)} after 1 epoch (float64 ${library.adamRule} Adam: ${fmt(expected.initialLoss)} -> ${fmt(expected.trainedLoss)}, |error| ${error.toExponential(2)} ≤ ${library.mlpTolerance}) -> ${fmt(final)} at the end`;
  return { ok: failures.length === 0, detail: failures.length ? failures.join('; ') : summary };
}

/**
 * Every timed fit must run all its epochs (the History's length) and end within 1e-4 of the
 * float64 simulation's loss. Correct float32 runs land within 4e-8 of it after 100 epochs (webgrad
 * and jax-js 2.1e-8, TF.js 3.9e-8; webgrad 3.0e-8 after 1000); labels one sample off move it by
 * 2.3e-3 (100 epochs) and 0.15 (1000). A float32 1 − β or a tenfold smaller epsilon moves this tiny
 * network's loss by less than 1e-7, below float32's noise: the MLP check catches those.
 * @param {ReferenceResult} result @param {Library} library @param {number} epochs @returns {Verdict}
 */
function checkReference(result, library, epochs) {
  const expected = simulation('reference', epochs, library.adamRule).trainedLoss;
  const short = result.epochsRun.filter((count) => count !== epochs);
  if (short.length || result.epochsRun.length !== result.finalLosses.length) {
    return { ok: false, detail: `fits ran ${result.epochsRun.join(', ')} epochs, not ${epochs} each` };
  }
  const worst = Math.max(...result.finalLosses.map((loss) => (Number.isFinite(loss) ? Math.abs(loss - expected) : Infinity)));
  const losses = result.finalLosses.map(fmt).join(', ');
  return { ok: worst <= 1e-4, detail: `${epochs} epochs per fit, final loss ${losses} vs float64 ${fmt(expected)} (|error| ${worst.toExponential(2)}, tolerance 1e-4)` };
}
