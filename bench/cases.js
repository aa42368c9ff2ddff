// The workloads' runners, shared by the benchmark page (bench/page.js, in Chromium) and by
// `npm run bench -- --node` (bench/run.mjs, webgrad in Node through Dawn): each builds the seeded
// inputs, warms up, times repetitions and checks outputs against float64 references. A runner
// takes a library adapter (see page.js for the contract) and a case's spec.
import { REFERENCE_DATA, classificationData, denseWeights, sampleIndices, tokenBatches, transformerWeights, uniform } from './inputs.js';
import { chainReference, compareEntries, matmulEntries } from './reference.js';

const now = () => performance.now();

/**
 * Calls op.step() `calls` times per repetition and waits for all of them (the last one is read
 * back). One untimed repetition first compiles pipelines and fills the libraries' buffer pools.
 * Stops after maxReps, or once budgetMs is spent and minReps are done. Times are per call, in ms;
 * the outputs returned for checking are the last ones of the warm-up and of the final repetition.
 */
async function timeKernel(op, { calls, minReps, maxReps, budgetMs }) {
  const repetition = async () => {
    const start = now();
    const handles = Array.from({ length: calls }, () => op.step());
    const earlier = handles.slice(0, -1);
    await op.settle(earlier);
    const output = await op.read(handles[handles.length - 1]);
    const ms = (now() - start) / calls;
    earlier.forEach((handle) => op.release(handle));
    return { ms, output };
  };
  const warmup = (await repetition()).output;
  const times = [];
  let last;
  const started = now();
  while (times.length < maxReps) {
    const { ms, output } = await repetition();
    times.push(ms);
    last = output;
    if (times.length >= minReps && now() - started > budgetMs) break;
  }
  return { times, outputs: { warmup, timed: last }, repetition };
}

/** Checks each named output at `indices` against `expected` (float64) within `tolerance`. */
function checkOutputs(outputs, indices, expected, tolerance) {
  const checks = {};
  for (const [name, output] of Object.entries(outputs)) {
    const actual = Float64Array.from(indices, (i) => output[i]);
    checks[name] = compareEntries(actual, expected, tolerance, indices);
  }
  return { ok: Object.values(checks).every((check) => check.ok), ...checks };
}

/**
 * Dispatches and JavaScript time per step of one extra, untimed run of `run` (`steps` steps), where the
 * library can profile itself (webgrad: wg.profile); null otherwise. After the timed repetitions
 * and the checks, so it changes neither.
 */
async function profileSteps(library, run, steps) {
  return library.profile ? library.profile(run, steps) : null;
}

const MATMUL_CHECK_ENTRIES = 2048;

async function runMatmul(library, { m, k, n, seed, timing }) {
  const a = uniform(seed, m * k);
  const b = uniform(seed + 1, k * n);
  const op = await library.matmul(a, b, m, k, n);
  try {
    const { times, outputs, repetition } = await timeKernel(op, timing);
    const indices = sampleIndices(m * n, MATMUL_CHECK_ENTRIES);
    const { values, scales } = matmulEntries(a, b, k, n, indices);
    // float32 accumulation over k terms: error bounded by a small multiple of eps * sum |a*b|.
    const tolerance = scales.map((scale) => 1e-5 * scale + 1e-6);
    const check = checkOutputs(outputs, indices, values, tolerance);
    return { times, check, profile: await profileSteps(library, repetition, timing.calls) };
  } finally {
    op.dispose();
  }
}

async function runElementwise(library, { op: name, count, seed, timing }) {
  const a = uniform(seed, count);
  const b = uniform(seed + 1, count);
  const op = await library[name](a, b);
  try {
    const { times, outputs, repetition } = await timeKernel(op, timing);
    const indices = sampleIndices(count, count);
    const expected = name === 'add' ? Float64Array.from(indices, (i) => a[i] + b[i]) : Float64Array.from(indices, (i) => chainReference(a, b, i));
    // A few float32 roundings of values no larger than |a| + |b| + |a*b|.
    const tolerance = Float64Array.from(indices, (i) => 1e-6 * (Math.abs(a[i]) + Math.abs(b[i]) + Math.abs(a[i] * b[i])) + 1e-7);
    const check = checkOutputs(outputs, indices, expected, tolerance);
    return { times, check, profile: await profileSteps(library, repetition, timing.calls) };
  } finally {
    op.dispose();
  }
}

/**
 * The MLP workload: the loss over all samples before training, one untimed warm-up epoch, the
 * loss after it (bench/run.mjs compares both with a float64 simulation), then timed epochs that
 * continue training; the final loss must be finite and below the warm-up one.
 */
async function runMlp(library, { samples, units, batchSize, learningRate, seed, timing, loop }) {
  const { x, y } = classificationData(seed, samples, units[0], units[units.length - 1]);
  const weights = denseWeights(seed + 10, units);
  const spec = { x, y, samples, units, activations: ['relu', 'relu', 'softmax'], loss: 'categorical', batchSize, learningRate, weights };
  // `loop`: a hand-written training loop where the adapter has one (trainLoop), else its train.
  const session = await (loop && library.trainLoop ? library.trainLoop(spec) : library.train(spec));
  try {
    const initial = await session.loss();
    const warmupStart = now();
    const warmupEpochs = await session.fit(1);
    const warmupMs = now() - warmupStart;
    const afterWarmup = await session.loss();
    const times = [];
    const started = now();
    for (let rep = 0; rep < timing.maxReps; rep++) {
      const start = now();
      await session.fit(1);
      times.push(now() - start);
      if (times.length >= timing.minReps && now() - started > timing.budgetMs) break;
    }
    const final = await session.loss();
    const profile = await profileSteps(library, () => session.fit(1), Math.ceil(samples / batchSize));
    return { times, warmupMs, warmupEpochs, losses: { initial, afterWarmup, final }, profile };
  } finally {
    session.dispose();
  }
}

/**
 * The reference workload: each repetition builds the model afresh from the same seeded weights
 * and times one whole fit; a short fit on a throwaway model first compiles the pipelines.
 */
async function runReference(library, { epochs, warmupEpochs, learningRate, seed, timing }) {
  const units = [2, 2, 1];
  const spec = {
    x: REFERENCE_DATA.x, y: REFERENCE_DATA.y, samples: 4, units, activations: ['sigmoid', 'sigmoid'], loss: 'binary',
    batchSize: 4, learningRate, weights: denseWeights(seed, units),
  };
  const warmup = await library.train(spec);
  await warmup.fit(warmupEpochs);
  warmup.dispose();
  const times = [];
  const finalLosses = [];
  const epochsRun = [];
  const started = now();
  for (let rep = 0; rep < timing.maxReps; rep++) {
    const session = await library.train(spec);
    try {
      const start = now();
      epochsRun.push(await session.fit(epochs));
      times.push(now() - start);
      finalLosses.push(await session.loss());
    } finally {
      session.dispose();
    }
    if (times.length >= timing.minReps && now() - started > timing.budgetMs) break;
  }
  // fit reads its logs back every 100 epochs at most, its first wait on the GPU: a profiled run of up to 100.
  const profiled = await library.train(spec);
  const profiledEpochs = Math.min(epochs, 100);
  try {
    return { times, finalLosses, epochsRun, profile: await profileSteps(library, () => profiled.fit(profiledEpochs), profiledEpochs) };
  } finally {
    profiled.dispose();
  }
}

/**
 * The transformer workload: a model from `seed` trains on seeded token batches; after `warmupSteps`
 * untimed steps (which compile kernels and, under jit, trace the step), each repetition queues
 * `steps` steps and reads their losses back once. The losses of every step are returned for the
 * checks, and, for the compiled case, those of an eager model of the same seed over the warm-up
 * steps, which the compiled ones must equal bit for bit.
 */
async function runTransformer(library, spec) {
  const { model, batchSize, steps, warmupSteps, seed, timing, compiled } = spec;
  const batches = tokenBatches(seed + 1, warmupSteps + steps * (timing.maxReps + 1), batchSize, model.contextLength, model.vocabularySize);
  const weights = transformerWeights(seed, model);
  const session = await library.transformer({ ...model, seed, compiled, weights });
  let eagerWarmup = null;
  try {
    const warmupLosses = await session.train(batches.slice(0, warmupSteps));
    const times = [];
    const losses = [];
    const started = now();
    let next = warmupSteps;
    for (let rep = 0; rep < timing.maxReps; rep++) {
      const start = now();
      losses.push(...(await session.train(batches.slice(next, next + steps))));
      times.push(now() - start);
      next += steps;
      if (times.length >= timing.minReps && now() - started > timing.budgetMs) break;
    }
    const profile = await profileSteps(library, () => session.train(batches.slice(next, next + steps)), steps);
    if (compiled) {
      const eager = await library.transformer({ ...model, seed, compiled: false, weights });
      try {
        eagerWarmup = await eager.train(batches.slice(0, warmupSteps));
      } finally {
        eager.dispose();
      }
    }
    return { times, warmupLosses, losses, eagerWarmup, profile };
  } finally {
    session.dispose();
  }
}

const RUNNERS = { matmul: runMatmul, elementwise: runElementwise, mlp: runMlp, reference: runReference, transformer: runTransformer };

/** "Name: message" for anything thrown. */
export const describeError = (error) => (error instanceof Error ? `${error.name}: ${error.message}` : String(error));

/** Runs one case; resolves to the figures bench/run.mjs judges, or to { error } when the library throws. */
export async function runCase(library, spec) {
  try {
    return await RUNNERS[spec.kind](library, spec);
  } catch (error) {
    console.error(error instanceof Error && error.stack ? error.stack : describeError(error));
    return { error: describeError(error) };
  }
}
