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
 * failing load would show), then runs loadWeights on it with each file.
 */
export async function loadWeightsCases(wg: Webgrad, args: { saved: SavedArtifacts; files: Uint8Array[] }): Promise<{ outcomes: LoadOutcome[]; layerNames: string[] }> {
  const model = wg.loadModel({ modelJson: args.saved.modelJson as never, weights: args.saved.bytes.slice().buffer });
  wg.setSeed(11);
  for (const { tensor } of model.namedWeights()) wg.tidy(() => tensor.assign(wg.rand(tensor.shape, -1, 1)));
  const start = model.getWeights();
  const bits = async (): Promise<Uint32Array[]> => {
    const copies = model.getWeights();
    const data = await Promise.all(copies.map(async (w) => new Uint32Array((await w.data()).slice().buffer)));
    copies.forEach((w) => w.dispose());
    return data;
  };
  const before = await bits();
  const outcomes: LoadOutcome[] = [];
  for (const file of args.files) {
    const memory = wg.memory();
    let error: string | null = null;
    try {
      wg.loadWeights(model, file.slice().buffer);
    } catch (thrown) {
      error = thrown instanceof Error ? `${thrown.name}: ${thrown.message}` : `thrown value: ${String(thrown)}`;
    }
    const after = await bits();
    const unchanged = after.every((w, i) => w.length === before[i].length && w.every((b, j) => b === before[i][j]));
    const weights = error === null ? after.map((w) => Array.from(new Float32Array(w.buffer))) : null;
    if (error === null) model.setWeights(start);
    const now = wg.memory();
    outcomes.push({ error, weights, unchanged, leakedTensors: now.numTensors - memory.numTensors, leakedBytes: now.numBytes - memory.numBytes });
  }
  const layerNames = model.layers.map((layer) => layer.name);
  start.forEach((w) => w.dispose());
  model.dispose();
  return { outcomes, layerNames };
}

/** Runs loadModel on each { modelJson, bytes } and reports the error and what memory() gained. */
export async function loadModelCases(wg: Webgrad, cases: { modelJson: unknown; bytes: Uint8Array }[]): Promise<{ error: string | null; leakedTensors: number; leakedBytes: number }[]> {
  const outcomes = [];
  for (const { modelJson, bytes } of cases) {
    const memory = wg.memory();
    let error: string | null = null;
    try {
      wg.loadModel({ modelJson: modelJson as never, weights: bytes.slice().buffer }).dispose();
    } catch (thrown) {
      error = thrown instanceof Error ? `${thrown.name}: ${thrown.message}` : `thrown value: ${String(thrown)}`;
    }
    const now = wg.memory();
    outcomes.push({ error, leakedTensors: now.numTensors - memory.numTensors, leakedBytes: now.numBytes - memory.numBytes });
  }
  return outcomes;
}

/** Saves the model the hostile-file tests start from: Dense(3) → BatchNormalization → Dense(2) on [2] inputs. */
export async function saveSmallModel(wg: Webgrad): Promise<SavedArtifacts> {
  wg.setSeed(3);
  const { Dense, BatchNormalization } = wg.layers;
  const model = new wg.Sequential([new Dense(3, { inputShape: [2], activation: 'relu' }), new BatchNormalization(), new Dense(2)], { name: 'small' });
  const { modelJson, weights } = await model.save();
  model.dispose();
  return { modelJson: modelJson as unknown as Record<string, unknown>, bytes: new Uint8Array(weights) };
}
