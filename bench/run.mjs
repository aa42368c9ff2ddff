// `npm run bench`: builds webgrad, starts one headless Chromium and runs the same workloads
// through webgrad, TF.js (WebGPU backend) and jax-js (WebGPU device), each library in a fresh tab
// per workload, on the same adapter and seeded inputs. Every result is checked against a float64
// CPU reference before its time counts. Prints a Markdown table and writes it, with the JSON,
// to bench/results/latest.{md,json} (a full run) or bench/results/dev.{md,json} (--quick or filtered).
// With --node, webgrad's rows run in this Node process through Dawn (the `webgpu` package) instead
// of Chromium: figures on a machine's own GPU where no Chrome is installed (results *-node.{md,json}).
// @ts-check
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import puppeteer from 'puppeteer';
import { openDawnGpu } from '../scripts/lib/dawn-gpu.mjs';
import { ensureBrowser } from '../scripts/lib/ensure-browser.mjs';
import { chromeLaunchArgs } from '../scripts/lib/find-browser.mjs';
import { buildBundle, repoRoot } from '../scripts/lib/repo.mjs';
import { startStaticServer } from '../scripts/lib/static-server.mjs';
import { markdownReport, speedRatio, summarize } from './report.mjs';
import { LIBRARIES, TRANSFORMER_FIRST_LOSS_TOLERANCE, TRANSFORMER_PEERS, TRANSFORMER_PEER_TOLERANCE, defineWorkloads, simulation } from './workloads.mjs';
import { runCase } from './cases.js';
import { webgradAdapter } from './libs/webgrad-adapter.js';

/** @typedef {import('./workloads.mjs').Case} Case */
/** @typedef {import('./workloads.mjs').Workload} Workload */
/** @typedef {import('./workloads.mjs').Library} Library */
/** @typedef {import('./report.mjs').Outcome} Outcome */
/** @typedef {import('./report.mjs').CaseReport} CaseReport */

const USAGE = `Usage: npm run bench -- [--node] [--quick] [--only=<workloads>] [--libs=<libraries>] [--note=<text>]
  --node           webgrad only, in Node through Dawn (the webgpu package) instead of Chromium:
                   the machine's GPU through its Vulkan driver (SwiftShader's on the CPU without one)
  --quick          fewer repetitions and a 100-epoch reference workload, for development
  --note=<text>    a line for the report's header (what was measured, if not plain HEAD)
  --only=a,b       workloads: matmul, elementwise, mlp, reference, transformer
  --libs=a,b       libraries: ${LIBRARIES.map((library) => library.id).join(', ')}
A full run (no flags but --note) writes bench/results/latest.{md,json}; others bench/results/dev.{md,json};
with --node, latest-node.{md,json} and dev-node.{md,json}.`;

/** Longest a single case may take before its tab is abandoned. */
const CASE_TIMEOUT_MS = 10 * 60 * 1000;

/** @param {string[]} argv */
function parseArgs(argv) {
  const workloadNames = defineWorkloads({ quick: false }).map((workload) => workload.name);
  const libraryIds = LIBRARIES.map((library) => library.id);
  const options = { quick: false, node: false, only: workloadNames, libs: libraryIds, filtered: false, note: '' };
  /** @param {string} flag @param {string} text @param {string[]} allowed */
  const list = (flag, text, allowed) => {
    const names = text.split(',').filter(Boolean);
    const unknown = names.filter((name) => !allowed.includes(name));
    if (unknown.length || !names.length) throw new Error(`${flag}: unknown '${unknown.join(',')}'; choose from ${allowed.join(', ')}`);
    return names;
  };
  for (const arg of argv) {
    if (arg === '--help' || arg === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else if (arg === '--quick') options.quick = true;
    else if (arg === '--node') options.node = true;
    else if (arg.startsWith('--only=')) options.only = list('--only', arg.slice(7), workloadNames);
    else if (arg.startsWith('--libs=')) options.libs = list('--libs', arg.slice(7), libraryIds);
    else if (arg.startsWith('--note=')) options.note = arg.slice(7);
    else throw new Error(`unknown argument '${arg}'\n${USAGE}`);
  }
  if (options.node) {
    const explicit = argv.some((arg) => arg.startsWith('--libs='));
    if (explicit && options.libs.some((id) => id !== 'webgrad')) throw new Error(`--node runs webgrad only; drop --libs=${options.libs.join(',')}`);
    options.libs = ['webgrad'];
  }
  options.filtered = options.quick || options.only.length < workloadNames.length || (!options.node && options.libs.length < libraryIds.length);
  return options;
}

/**
 * The version of an installed package, or '?' when it is missing.
 * @param {string} name
 */
async function packageVersion(name) {
  try {
    return JSON.parse(await readFile(join(repoRoot, 'node_modules', name, 'package.json'), 'utf8')).version;
  } catch {
    return '?';
  }
}

/** webgrad's package version, commit, and whether the working tree differs from it. */
async function webgradVersion() {
  const { version } = JSON.parse(await readFile(join(repoRoot, 'package.json'), 'utf8'));
  try {
    const git = (/** @type {string[]} */ ...args) => execFileSync('git', args, { cwd: repoRoot, encoding: 'utf8' }).trim();
    const dirty = git('status', '--porcelain', '--untracked-files=no', '--', 'src', 'shaders') !== '';
    return `${version} @ ${git('rev-parse', '--short', 'HEAD')}${dirty ? ' with uncommitted changes in src/ or shaders/' : ''}`;
  } catch {
    return version;
  }
}

/**
 * Rejects after ms milliseconds unless the promise settles first.
 * @template T @param {Promise<T>} promise @param {number} ms @param {string} what
 * @returns {Promise<T>}
 */
function withTimeout(promise, ms, what) {
  /** @type {NodeJS.Timeout | undefined} */
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms / 1000} s`)), ms);
  });
  return /** @type {Promise<T>} */ (Promise.race([promise, timeout]).finally(() => clearTimeout(timer)));
}

/**
 * Judges one page result: an error, a wrong result (its times are kept in the JSON, not counted),
 * or figures with their median and best. `earlier`: the row's outcomes of the libraries that ran
 * before (a check may compare with them).
 * @param {Case} testCase @param {any} raw @param {Library} library @param {Record<string, Outcome>} earlier
 * @returns {Outcome}
 */
function judge(testCase, raw, library, earlier) {
  if (raw.error !== undefined) return { status: 'error', detail: raw.error, raw };
  let verdict;
  try {
    verdict = testCase.check(raw, library, earlier);
  } catch (error) {
    return { status: 'error', detail: `the check itself failed: ${error instanceof Error ? error.message : String(error)}`, raw };
  }
  const figures = raw.times.map(testCase.figure);
  if (!verdict.ok) return { status: 'wrong', detail: verdict.detail, figures, raw };
  return { status: 'ok', figures, ...summarize(figures, testCase.higherIsBetter), detail: verdict.detail, raw };
}

/**
 * The outcomes recorded so far in a case's row, by library id.
 * @param {Map<string, CaseReport>} reports @param {Case} testCase
 */
const rowOutcomes = (reports, testCase) => /** @type {CaseReport} */ (reports.get(testCase.label)).outcomes;

/** @param {Outcome} outcome @param {string} unit */
function progressLine(outcome, unit) {
  if (outcome.status !== 'ok') return `${outcome.status === 'wrong' ? 'WRONG RESULT' : 'FAILED'}: ${outcome.detail}`;
  const figure = (/** @type {number} */ value) => value.toPrecision(4);
  return `${figure(/** @type {number} */ (outcome.median))} ${unit} median, best ${figure(/** @type {number} */ (outcome.best))}, n=${outcome.figures?.length} ✓ ${outcome.detail}`;
}

/**
 * Files a case's outcome under its row and prints its progress line.
 * @param {Map<string, CaseReport>} reports @param {Library} library @param {Case} testCase @param {Outcome} outcome
 */
function recordOutcome(reports, library, testCase, outcome) {
  /** @type {CaseReport} */ (reports.get(testCase.label)).outcomes[library.id] = outcome;
  console.log(`  ${library.title.padEnd(8)} ${testCase.label}: ${progressLine(outcome, testCase.unit)}`);
}

/**
 * Runs one workload's cases for webgrad in this process (--node), through the adapter the tabs use.
 * @param {ReturnType<typeof webgradAdapter>} adapter @param {Workload} workload
 * @param {Library} library @param {Map<string, CaseReport>} reports
 */
async function runInNode(adapter, workload, library, reports) {
  for (const testCase of workload.cases) {
    try {
      const raw = await withTimeout(runCase(adapter, testCase.spec), CASE_TIMEOUT_MS, testCase.label);
      recordOutcome(reports, library, testCase, judge(testCase, raw, library, rowOutcomes(reports, testCase)));
    } catch (error) {
      recordOutcome(reports, library, testCase, { status: 'error', detail: error instanceof Error ? error.message : String(error) });
    }
  }
}

/**
 * Runs every workload that can run, each library's cases through runCases, with the float64
 * simulations the training checks need computed first (while nothing is timing).
 * @param {Workload[]} workloads @param {Library[]} libraries
 * @param {(workload: Workload, library: Library) => Promise<void>} runCases
 */
async function runWorkloads(workloads, libraries, runCases) {
  for (const workload of workloads.filter((w) => !w.skipReason)) {
    console.log(`\n${workload.title}`);
    if (workload.name === 'mlp' || workload.name === 'reference') {
      const simulationStart = Date.now();
      const spec = /** @type {{ epochs?: number }} */ (workload.cases[0].spec);
      for (const library of libraries) simulation(workload.name, spec.epochs ?? 0, library.adamRule);
      console.log(`  (float64 simulation for the checks: ${((Date.now() - simulationStart) / 1000).toFixed(1)} s)`);
    }
    for (const library of libraries) if (!workload.libraries || workload.libraries.includes(library.id)) await runCases(workload, library);
  }
}

/**
 * Runs one workload's cases for one library in a fresh tab.
 * @param {import('puppeteer').Browser} browser @param {string} baseUrl
 * @param {string} bundleQuery  '&bundle=<url>' of webgrad's private build, or ''
 * @param {Workload} workload
 * @param {Library} library @param {Map<string, CaseReport>} reports
 * @param {Record<string, unknown>} adapters  filled with each library's adapter info
 */
async function runInTab(browser, baseUrl, bundleQuery, workload, library, reports, adapters) {
  const page = await browser.newPage();
  const seen = new Set();
  page.on('console', (message) => {
    const text = message.text();
    if ((message.type() === 'error' || message.type() === 'warn') && !seen.has(text)) {
      seen.add(text);
      console.error(`  [${library.id} console.${message.type()}] ${text}`);
    }
  });
  page.on('pageerror', (error) => console.error(`  [${library.id} uncaught] ${error instanceof Error ? error.message : String(error)}`));
  /** @type {Promise<never>} */
  const crashed = new Promise((_, reject) => page.once('error', (error) => reject(new Error(`the tab crashed: ${error.message}`))));
  crashed.catch(() => {});
  /** @param {Case} testCase @param {Outcome} outcome */
  const record = (testCase, outcome) => recordOutcome(reports, library, testCase, outcome);
  let startError = '';
  try {
    await page.goto(`${baseUrl}/bench/page.html?lib=${library.id}${library.id === 'webgrad' ? bundleQuery : ''}`);
    await Promise.race([page.waitForFunction('window.bench && window.bench.status !== "loading"', { timeout: 120_000, polling: 100 }), crashed]);
    const state = /** @type {{ status: string, error?: string, info: { adapter: unknown } }} */ (
      await page.evaluate('({ status: window.bench.status, error: window.bench.error, info: window.bench.info })')
    );
    if (state.status !== 'ready') startError = `could not start: ${state.error}`;
    else adapters[library.id] = state.info.adapter;
  } catch (error) {
    startError = `could not start: ${error instanceof Error ? error.message : String(error)}`;
  }
  for (const testCase of workload.cases) {
    if (startError) {
      record(testCase, { status: 'error', detail: startError });
      continue;
    }
    try {
      const run = page.evaluate(`window.bench.run(${JSON.stringify(testCase.spec)})`);
      record(testCase, judge(testCase, await withTimeout(Promise.race([run, crashed]), CASE_TIMEOUT_MS, testCase.label), library, rowOutcomes(reports, testCase)));
    } catch (error) {
      startError = `not run: an earlier case in this tab broke it (${error instanceof Error ? error.message : String(error)})`;
      record(testCase, { status: 'error', detail: error instanceof Error ? error.message : String(error) });
    }
  }
  await page.close().catch(() => {});
}

/** @param {Record<string, any>} adapters */
function describeAdapters(adapters) {
  const texts = Object.entries(adapters).map(([id, info]) => [id, [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' ') || 'unnamed']);
  const distinct = [...new Set(texts.map(([, text]) => text))];
  if (distinct.length <= 1) return `${distinct[0] ?? 'unknown'} (the same for every library)`;
  return `DIFFERENT per library: ${texts.map(([id, text]) => `${id}: ${text}`).join('; ')}`;
}

const NOTES = [
  'Cells: median / best of n timed repetitions after an untimed warm-up (best = highest rate or shortest time). webgrad ÷ peer is the ratio of medians, with the ratio of bests in parentheses: above 1 means webgrad is faster.',
  'Each library runs in a fresh tab of the same headless Chromium for each workload, on the same WebGPU adapter, with the same seeded inputs (bench/inputs.js). A repetition is timed from its first call until its last output has been read back to the CPU; earlier calls in it are awaited with the library\'s own wait (wg.synchronize, jax-js blockUntilReady; TF.js runs its queue in order).',
  'Checks, before a time counts: matmul 2048 sampled entries against float64 (tolerance 1e-5·Σ|a·b| + 1e-6); elementwise every entry; MLP the loss before training and after the warm-up epoch against a float64 simulation of the same weights and batches, with each library\'s own Adam rule (within 1e-4 after the epoch; TF.js 4e-3, see bench/workloads.mjs), then finite and falling; reference workload the epochs each fit ran (all of them) and its final loss against the float64 simulation. A failing result shows as ✗ and its times are not counted.',
  'matmul: 16 calls per repetition at N=128, 4 at N=256, 2 for the MLP-layer shapes, 1 otherwise. GB/s counts the two inputs and the output (12 bytes per element) however many passes a library makes; jax-js and webgrad run the chain relu((a·b + a)·0.5 − b) jit-fused (jax-js `jit`, webgrad `wg.jit`: their idiomatic paths), TF.js as five kernels.',
  'MLP training: 4096 random samples (inputs in [0, 1), random labels), one unshuffled epoch of 32 steps per repetition, continuing from the warm-up epoch; webgrad model.fit, TF.js model.fit, jax-js a jitted step (valueAndGrad + Adam written out, since jax-js keeps its optimizers in the separate @jax-js/optax package), waiting every 100 steps and at the end.',
  'MLP hand-written loop: the same data, weights and epochs; webgrad a `wg.jit`-compiled step (valueAndGrad + optimizers.Adam.applyGradients, batches sliced per step), jax-js its jitted step (the same as in the row above), TF.js (no loop adapter) model.fit.',
  'webgrad dispatches / step and JS ms / step: one more run after the timed ones and the checks (a repetition of the kernel\'s calls, an MLP epoch, a reference fit of up to 100 epochs, a repetition of transformer steps), its dispatches (wg.commandStats) and its JavaScript time divided by its steps (kernel calls, training steps, reference epochs). JavaScript time: from the run\'s start to its last GPU submit before its first wait on the GPU (readback or wg.synchronize); webgrad submits a run\'s queued work at that wait, so this is the time its JavaScript took to record and encode the run. On SwiftShader the GPU\'s work runs on the same 2 CPU cores afterwards, so the two add up.',
  `Transformer step: the text demo's small model (demos/text/char-model.js: Embedding + PositionalEmbedding, 2 causal TransformerBlocks of width 64 with 4 heads and feed-forward 256, LayerNormalization, Dense logits; sparse cross-entropy from logits, Adam 3e-3), batches of 8 windows of 32 tokens of a seeded sequence over 24 ids, 10 steps per repetition with one loss readback, after 3 warm-up steps, every library from the same seeded weights (bench/inputs.js transformerWeights, loaded into webgrad with model.setWeights). webgrad eager (tape + applyGradients per op) and the same step under wg.jit; jax-js the same model written out in its ops (bench/libs/jax-transformer.js: np.take, nn.standardize, nn.dotProductAttention with isCausal, nn.gelu, nn.logSoftmax) with valueAndGrad + Adam written out, op by op (eager row) and under jit (jit row). Checked: the first loss against a float64 forward pass (within ${TRANSFORMER_FIRST_LOSS_TOLERANCE.toExponential(0)}), jax-js's warm-up losses against webgrad's step by step (within ${TRANSFORMER_PEER_TOLERANCE.toExponential(0)}), the jitted warm-up losses against an eager run's (webgrad bit for bit, jax-js within ${TRANSFORMER_PEER_TOLERANCE.toExponential(0)}), the loss finite and falling; ${TRANSFORMER_PEERS}.`,
  'Reference workload: Dense(2, sigmoid) → Dense(1, sigmoid), Adam 1e-3, binary cross-entropy, batch 4 (one step per epoch); a fresh model from the same seeded weights per repetition, the whole fit timed. Repetitions stop once the budget (20 s) is spent, after at least 2: the slow peer gets 2. TF.js\'s model.fit reads its loss back after every epoch.',
];

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const started = Date.now();
  const loadAtStart = loadavg()[0];
  const libraries = LIBRARIES.filter((library) => options.libs.includes(library.id));
  const workloads = defineWorkloads({ quick: options.quick }).filter((workload) => options.only.includes(workload.name));
  const skipped = workloads.filter((workload) => workload.skipReason);
  for (const workload of skipped) console.log(`Skipping ${workload.title}: ${workload.skipReason}`);

  // The tabs load a private copy of the bundle: dist/ may be rebuilt by someone else mid-run.
  let bundleDir = '';
  let bundleHash = '';
  if (options.libs.includes('webgrad')) {
    buildBundle();
    await mkdir(join(repoRoot, 'bench', '.build'), { recursive: true });
    bundleDir = await mkdtemp(join(repoRoot, 'bench', '.build', 'run-'));
    // The shipped (minified) bundle, as users get it; it has no sourcemap.
    await copyFile(join(repoRoot, 'dist', 'webgrad.js'), join(bundleDir, 'webgrad.js'));
    bundleHash = createHash('sha256').update(await readFile(join(bundleDir, 'webgrad.js'))).digest('hex').slice(0, 16);
  }
  const bundleQuery = bundleDir ? `&bundle=/${relative(repoRoot, bundleDir).split('\\').join('/')}/webgrad.js` : '';
  /** @type {Map<string, CaseReport>} */
  const reports = new Map();
  for (const workload of workloads) {
    for (const testCase of workload.cases) {
      reports.set(testCase.label, { workload: workload.name, label: testCase.label, unit: testCase.unit, higherIsBetter: testCase.higherIsBetter, outcomes: {} });
    }
  }

  /** @type {Record<string, unknown>} */
  const adapters = {};
  /** What ran the libraries: the Chromium version, or Node and Dawn (--node). */
  let runtime = '';
  if (options.node) {
    try {
      const dawn = await openDawnGpu();
      if (!dawn.gpu) throw new Error(`--node: ${dawn.reason}`);
      const adapter = webgradAdapter(await import(pathToFileURL(join(bundleDir, 'webgrad.js')).href), { gpu: dawn.gpu });
      adapters.webgrad = (await adapter.init()).adapter;
      runtime = `Node ${process.version} + Dawn (webgpu ${await packageVersion('webgpu')}, ${dawn.driver})`;
      console.log(`${runtime}, webgrad${options.quick ? ', --quick' : ''}`);
      await runWorkloads(workloads, libraries, (workload, library) => runInNode(adapter, workload, library, reports));
    } finally {
      await rm(bundleDir, { recursive: true, force: true });
    }
  } else {
    // As `npm test` does: a fresh machine without Chrome/Chromium gets one, and says so.
    const executablePath = await ensureBrowser();
    const server = await startStaticServer(repoRoot);
    const userDataDir = await mkdtemp(join(tmpdir(), 'webgrad-bench-'));
    try {
      const browser = await puppeteer.launch({ executablePath, args: chromeLaunchArgs(userDataDir), headless: true, protocolTimeout: CASE_TIMEOUT_MS + 60_000 });
      try {
        runtime = await browser.version();
        console.log(`${runtime}, ${libraries.map((library) => library.title).join(' / ')}${options.quick ? ', --quick' : ''}`);
        await runWorkloads(workloads, libraries, (workload, library) => runInTab(browser, server.url, bundleQuery, workload, library, reports, adapters));
      } finally {
        await browser.close();
      }
    } finally {
      await server.close();
      await rm(userDataDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
      if (bundleDir) await rm(bundleDir, { recursive: true, force: true });
    }
  }

  const seconds = (Date.now() - started) / 1000;
  const versions = {
    webgrad: `${await webgradVersion()}${bundleHash ? `, bundle sha256 ${bundleHash}…` : ''}`,
    '@tensorflow/tfjs': await packageVersion('@tensorflow/tfjs'),
    '@tensorflow/tfjs-backend-webgpu': await packageVersion('@tensorflow/tfjs-backend-webgpu'),
    '@jax-js/jax': await packageVersion('@jax-js/jax'),
  };
  const date = new Date().toISOString();
  const cpuModel = cpus()[0]?.model ?? 'unknown CPU';
  const header = [
    options.node ? '# webgrad benchmark in Node through Dawn (webgrad only)' : `# webgrad benchmark: webgrad vs TF.js vs jax-js`,
    '',
    `${date.slice(0, 16).replace('T', ' ')} UTC · ${options.filtered ? `partial run (${process.argv.slice(2).filter((arg) => !arg.startsWith('--note=')).join(' ')})` : 'full run'} · ${(seconds / 60).toFixed(1)} min`,
    `${runtime} · WebGPU adapter: ${describeAdapters(adapters)}`,
    `${cpus().length} × ${cpuModel} · load average ${loadAtStart.toFixed(2)} at the start, ${loadavg()[0].toFixed(2)} at the end`,
    options.node ? `webgrad ${versions.webgrad}` : `webgrad ${versions.webgrad} · @tensorflow/tfjs ${versions['@tensorflow/tfjs']} + tfjs-backend-webgpu ${versions['@tensorflow/tfjs-backend-webgpu']} · @jax-js/jax ${versions['@jax-js/jax']}`,
  ];
  if (options.note) header.push('', options.note);
  if (loadAtStart > cpus().length) {
    header.push(
      '',
      `⚠ The machine was busy (load average ${loadAtStart.toFixed(1)} on ${cpus().length} cores): other processes competed for the CPUs that run WebGPU here, so the medians are noisy; the bests are the least disturbed repetitions.`,
    );
  }
  const nodeNote = 'Run with --node: webgrad in the benchmark\'s own Node process through Dawn (the `webgpu` package), with the same cases, inputs and checks as the browser tabs (bench/cases.js); no TF.js or jax-js rows.';
  const notes = [...(options.node ? [`- ${nodeNote}`] : []), ...NOTES.map((note) => `- ${note}`), ...skipped.map((workload) => `- Skipped: ${workload.title}: ${workload.skipReason}.`)];
  const cases = [...reports.values()];
  const markdown = markdownReport({ cases, libraries, notes, header });
  console.log(`\n${markdown}`);

  const resultsDir = join(repoRoot, 'bench', 'results');
  const base = join(resultsDir, `${options.filtered ? 'dev' : 'latest'}${options.node ? '-node' : ''}`);
  await mkdir(resultsDir, { recursive: true });
  const json = {
    date,
    seconds,
    mode: options.quick ? 'quick' : 'full',
    arguments: process.argv.slice(2),
    note: options.note,
    runtime: options.node ? 'node' : 'chromium',
    [options.node ? 'node' : 'chromium']: runtime,
    adapters,
    machine: { cpus: cpus().length, cpuModel, loadAverageAtStart: loadAtStart, loadAverageAtEnd: loadavg()[0] },
    versions,
    skipped: skipped.map((workload) => ({ workload: workload.name, title: workload.title, reason: workload.skipReason })),
    cases: cases.map((report) => ({
      ...report,
      ratios: Object.fromEntries(libraries.filter((l) => l.id !== 'webgrad').map((peer) => [peer.id, speedRatio(report, peer.id) ?? null])),
    })),
  };
  await writeFile(`${base}.md`, markdown);
  await writeFile(`${base}.json`, `${JSON.stringify(json, null, 2)}\n`);
  console.log(`Wrote ${base}.md and ${base}.json (${seconds.toFixed(0)} s in all).`);
  // A peer failing is a finding to report; webgrad failing (or being wrong) fails the command.
  const webgradFailed = cases.some((report) => report.outcomes.webgrad && report.outcomes.webgrad.status !== 'ok');
  return webgradFailed ? 1 : 0;
}

try {
  process.exitCode = await main();
} catch (error) {
  console.error(error instanceof Error ? error.message : String(error));
  process.exitCode = 1;
}
