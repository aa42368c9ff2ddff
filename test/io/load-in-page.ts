// Page-side runners for the hostile-file tests: feed many weight files (or model JSONs) to
// loadWeights / loadModel in one page call and report, per case, the error or the loaded weights,
// whether a failure left the existing model's weights bit-identical, and what memory() gained.
import type { Webgrad } from '../harness/gpu-page';

export interface SavedArtifacts {
  modelJson: Record<string, unknown>;
  bytes: Uint8Array;
}

export interface LoadOutcome {
  /** 'Name: message' of the thrown error, or null when the file loaded. */
  error: string | null;
  /** Weights after a successful load, in model order. */
  weights: number[][] | null;
  /** After a failure: every weight bit-identical to before. */
  unchanged: boolean;
  /** Tensors and bytes alive after the case minus before. */
  leakedTensors: number;
  leakedBytes: number;
}

/**
 * Builds the saved model (its weights then overwritten with random values, so a partial write by a
 * failing load would show), then runs loadWeights on it with each file. Weights are read back
 * after every load, or, when `expectLoad` is given, after each load and each run of failures
 * that ends before an expected load (a write by a failing case persists until a load overwrites
 * it, so this still checks every failure, at a tenth of the read-backs).
 */
export async function loadWeightsCases(
  wg: Webgrad,
  args: { saved: SavedArtifacts; files: Uint8Array[]; expectLoad?: boolean[] },
): Promise<{ outcomes: LoadOutcome[]; layerNames: string[] }> {
  const model = wg.loadModel({ modelJson: args.saved.modelJson as never, weights: args.saved.bytes.slice().buffer });
  wg.setSeed(11);
  for (const { tensor } of model.namedWeights()) wg.tidy(() => tensor.assign(wg.rand(tensor.shape, -1, 1)));
  const start = model.getWeights();
  const sizes = model.namedWeights().map(({ tensor }) => tensor.size);
  // One read-back per check: every weight flattened into one tensor, split again here.
  const bits = async (): Promise<Uint32Array[]> => {
    const all = wg.tidy(() => wg.concat(model.namedWeights().map(({ tensor }) => wg.reshape(tensor, [-1]))));
    const flat = new Uint32Array((await all.data()).slice().buffer);
    all.dispose();
    let at = 0;
    return sizes.map((size) => flat.slice(at, (at += size)));
  };
  const before = await bits();
  const outcomes: LoadOutcome[] = [];
  let unverified: LoadOutcome[] = [];
  for (let i = 0; i < args.files.length; i++) {
    const memory = wg.memory();
    let error: string | null = null;
    try {
      wg.loadWeights(model, args.files[i].slice().buffer);
    } catch (thrown) {
      error = thrown instanceof Error ? `${thrown.name}: ${thrown.message}` : `thrown value: ${String(thrown)}`;
    }
    const now = wg.memory();
    const outcome: LoadOutcome = { error, weights: null, unchanged: false, leakedTensors: now.numTensors - memory.numTensors, leakedBytes: now.numBytes - memory.numBytes };
    outcomes.push(outcome);
    if (error !== null) unverified.push(outcome);
    const last = i === args.files.length - 1;
    if (error === null || !args.expectLoad || args.expectLoad[i + 1] || last) {
      const after = await bits();
      const unchanged = after.every((w, k) => w.every((b, j) => b === before[k][j]));
      for (const pending of unverified) pending.unchanged = unchanged;
      unverified = [];
      if (error === null) {
        outcome.weights = after.map((w) => Array.from(new Float32Array(w.buffer)));
        model.setWeights(start);
      }
    }
  }
  const layerNames = model.layers.map((layer) => layer.name);
  start.forEach((w) => w.dispose());
  model.dispose();
  return { outcomes, layerNames };
}

/** Runs loadModel on each { modelJson, bytes } and reports the error (or the loaded weights) and what memory() gained. */
export async function loadModelCases(
  wg: Webgrad,
  cases: { modelJson: unknown; bytes: Uint8Array }[],
): Promise<{ error: string | null; weights: number[][] | null; leakedTensors: number; leakedBytes: number }[]> {
  const outcomes = [];
  for (const { modelJson, bytes } of cases) {
    const memory = wg.memory();
    let error: string | null = null;
    let weights: number[][] | null = null;
    try {
      const model = wg.loadModel({ modelJson: modelJson as never, weights: bytes.slice().buffer });
      weights = await Promise.all(model.namedWeights().map(async ({ tensor }) => Array.from(await tensor.data())));
      model.dispose();
    } catch (thrown) {
      error = thrown instanceof Error ? `${thrown.name}: ${thrown.message}` : `thrown value: ${String(thrown)}`;
    }
    const now = wg.memory();
    outcomes.push({ error, weights, leakedTensors: now.numTensors - memory.numTensors, leakedBytes: now.numBytes - memory.numBytes });
  }
  return outcomes;
}

/**
 * Saves the model the hostile-file tests start from: Dense(3) → BatchNormalization → Dense(2) on
 * [2] inputs. Layers made first take the page-wide names dense and batch_normalization, so this
 * model's layer names differ from the names its file gives the weights (dense, dense_1, ...).
 */
export async function saveSmallModel(wg: Webgrad): Promise<SavedArtifacts> {
  wg.setSeed(3);
  const { Dense, BatchNormalization } = wg.layers;
  [new Dense(1), new BatchNormalization()].forEach((layer) => layer.dispose());
  const model = new wg.Sequential([new Dense(3, { inputShape: [2], activation: 'relu' }), new BatchNormalization(), new Dense(2)], { name: 'small' });
  const { modelJson, weights } = await model.save();
  model.dispose();
  return { modelJson: modelJson as unknown as Record<string, unknown>, bytes: new Uint8Array(weights) };
}
