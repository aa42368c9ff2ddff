// Runs in the page (bundled by matmul-variants.bench.ts): times matmul kernel variants on this
// adapter. Each measurement encodes `repeats` dispatches of one product and waits for the GPU
// (synchronize) before stopping the clock; the first dispatch, which compiles, is not timed.
// Every variant's result is checked on sampled entries against a float64 dot product first.
import { init, getAdapterInfo, getDevice } from '../src/runtime/device';
import { encodeUpload, readBuffer, synchronize } from '../src/runtime/commands';
import { defineKernel } from '../src/runtime/kernel';
import { Tensor } from '../src/tensor';
import { tensor } from '../src/ops/creation';
import { chooseMatmulVariant, launchMatmul, matmulVariants, withTileShape, type MatmulVariant } from '../src/ops/matmulKernels';
import { tiledSource, tileBlock, type TileShape } from './matmul-variants.generate';

export interface Problem { label: string; M: number; N: number; K: number; transposeA: boolean; transposeB: boolean }

const tile = (blocksM: number, blocksN: number, groupX: number, groupY: number, shared: boolean): TileShape =>
  ({ blocksM, blocksN, groupX, groupY, shared });

/**
 * Tile shapes tried beside the library's: `own`/`shared` = how A is loaded (each invocation, or
 * split across a subgroup's 4 lanes), rows×columns per invocation, workgroup (x along N × y along M).
 * The library's tile is 'shared 32x16 4x2' (lib:subgroupTile); the rest lost (numbers in
 * bench/NOTES.md).
 */
export const candidateShapes: Record<string, TileShape> = {
  'own 8x8 8x8': tile(2, 2, 8, 8, false),
  'own 16x16 4x4': tile(4, 4, 4, 4, false),
  'shared 8x8 8x8': tile(2, 2, 8, 8, true),
  'shared 16x8 8x8': tile(4, 2, 8, 8, true),
  'shared 16x16 4x4': tile(4, 4, 4, 4, true),
  'shared 32x8 4x4': tile(8, 2, 4, 4, true),
  'shared 16x32 4x4': tile(4, 8, 4, 4, true),
  'shared 32x16 4x4': tile(8, 4, 4, 4, true),
  'shared 32x32 4x2': tile(8, 8, 4, 2, true),
};

/**
 * The variants measured, by name: the library's own (lib:, register tiles also in their smaller
 * shapes and with scalar loads only), and the candidate shapes. 'lib:chosen' is added per problem.
 */
function variants(): Record<string, MatmulVariant> {
  const all: Record<string, MatmulVariant> = {};
  const subgroups = getDevice().features.has('subgroups');
  for (const [name, variant] of Object.entries(matmulVariants) as [string, MatmulVariant][]) {
    if (variant.subgroups && !subgroups) continue;
    all[`lib:${name}`] = variant;
    if (name !== 'registerTile' && name !== 'subgroupTile') continue;
    all[`lib:${name} 32x4`] = withTileShape(variant, true, false);
    all[`lib:${name} 4x16`] = withTileShape(variant, false, true);
    all[`lib:${name} 4x4`] = withTileShape(variant, false, false);
    all[`lib:${name} scalar`] = { ...variant, constants: { VEC4_A: 0, VEC4_B: 0 } };
  }
  for (const [name, shape] of Object.entries(candidateShapes)) {
    if (shape.shared && !subgroups) continue;
    all[name] = { kernel: defineKernel(name.replace(/\W+/g, '_'), tiledSource(shape)), ...tileBlock(shape), vectorLoads: true, epilogue: true };
  }
  return all;
}

let cached: Record<string, MatmulVariant> | null = null;

export async function variantNames(): Promise<string[]> {
  await init();
  cached ??= variants();
  return ['lib:chosen', ...Object.keys(cached)];
}

export async function probe(): Promise<unknown> {
  const adapter = await navigator.gpu.requestAdapter();
  if (!adapter) return null;
  const info = adapter.info as GPUAdapterInfo & { subgroupMinSize?: number; subgroupMaxSize?: number };
  await init();
  return {
    info: { vendor: info.vendor, architecture: info.architecture, description: info.description, subgroupMinSize: info.subgroupMinSize, subgroupMaxSize: info.subgroupMaxSize },
    adapterFeatures: [...adapter.features],
    deviceFeatures: [...getDevice().features],
    userAgent: navigator.userAgent,
  };
}


/** Deterministic values in [-1, 1). */
function values(count: number, seed: number): Float32Array {
  let state = seed >>> 0;
  return Float32Array.from({ length: count }, () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 31 - 1;
  });
}

/** Milliseconds of each variant's first (compiling) run in the last prepare(). */
let firstRun: Record<string, number> = {};
export function firstRunTimes(): Record<string, number> {
  return firstRun;
}

interface Prepared { problem: Problem; spec: Parameters<typeof launchMatmul>[1]; tensors: Tensor[] }
let prepared: Prepared | null = null;

/**
 * Makes the inputs of one product, compiles the named variants and checks each one's result on
 * sampled entries against a float64 dot product; returns each variant's worst relative error.
 */
export async function prepare(problem: Problem, names: string[]): Promise<Record<string, number>> {
  await init();
  cached ??= variants();
  release();
  const { M, N, K, transposeA, transposeB } = problem;
  // What matmul() runs for this product once it repeats (the chooser starts small products on a
  // quick-to-compile tile for their first calls).
  for (let call = 0; call < 3; call++) cached['lib:chosen'] = chooseMatmulVariant(problem);
  const aValues = values(M * K, 1);
  const bValues = values(K * N, 2);
  const a = tensor(aValues, transposeA ? [K, M] : [M, K]);
  const b = tensor(bValues, transposeB ? [N, K] : [K, N]);
  const out = Tensor.empty([M, N]);
  const spec = { a, b, out, M, N, K, transposeA, transposeB, batchShape: [], batchStridesA: [], batchStridesB: [] };
  prepared = { problem, spec, tensors: [a, b, out] };
  const worst: Record<string, number> = {};
  firstRun = {};
  const elementA = (i: number, k: number): number => (transposeA ? aValues[k * M + i] : aValues[i * K + k]);
  const elementB = (k: number, j: number): number => (transposeB ? bValues[j * K + k] : bValues[k * N + j]);
  const samples = Array.from({ length: 200 }, (_, s) => [(s * 7919) % M, (s * 104729 + s) % N]);
  samples.push([M - 1, N - 1], [0, 0], [M - 1, 0], [0, N - 1]);
  for (const name of names) {
    const variant = cached[name];
    if (!variant) throw new Error(`no variant '${name}'`);
    encodeUpload(out.buffer, new Float32Array(M * N).fill(NaN));
    await synchronize();
    const started = performance.now();
    launchMatmul(variant, spec);
    const result = new Float32Array(await readBuffer(out.buffer, 0, M * N * 4));
    firstRun[name] = performance.now() - started;
    let error = 0;
    for (const [i, j] of samples) {
      let sum = 0;
      let scale = 0;
      for (let k = 0; k < K; k++) {
        sum += elementA(i, k) * elementB(k, j);
        scale += Math.abs(elementA(i, k) * elementB(k, j));
      }
      error = Math.max(error, Math.abs(result[i * N + j] - sum) / (scale + 1e-30));
      if (!Number.isFinite(result[i * N + j])) error = Infinity;
    }
    worst[name] = error;
  }
  return worst;
}

/** Runs `repeats` products with one variant on the prepared inputs; returns the wall time per call. */
export async function time(name: string, repeats: number): Promise<number> {
  if (!prepared || !cached?.[name]) throw new Error(`prepare first (${name})`);
  const start = performance.now();
  for (let r = 0; r < repeats; r++) launchMatmul(cached[name], prepared.spec);
  await synchronize();
  return (performance.now() - start) / repeats;
}

export function release(): void {
  for (const t of prepared?.tensors ?? []) t.dispose();
  prepared = null;
}

export function adapterName(): string {
  const info = getAdapterInfo();
  return `${info.vendor} ${info.architecture}`.trim();
}
