// The kernels behind matmul: each variant is WGSL plus the output block one workgroup covers.
// matmul.ts and linear.ts validate and differentiate; this file only chooses them and describes
// their launches. A new variant is one more row in `matmulVariants` and a case in
// `chooseMatmulVariant`. Why these variants and tile shapes: bench/NOTES.md (measured with
// bench/matmul-variants.*).
import ieeeSource from '../../shaders/ieee.wgsl';
import stableMathSource from '../../shaders/stableMath.wgsl';
import matmulCommonSource from '../../shaders/matmulCommon.wgsl';
import matmulSource from '../../shaders/matmul.wgsl';
import matmulOwnRowsSource from '../../shaders/matmulOwnRows.wgsl';
import matmulSharedRowsSource from '../../shaders/matmulSharedRows.wgsl';
import matmulWorkgroupSource from '../../shaders/matmulWorkgroup.wgsl';
import matmulNaiveSource from '../../shaders/matmulNaive.wgsl';
import { activeCapture } from '../runtime/capture';
import { getAdapterInfo, getDevice, isCpuAdapter } from '../runtime/device';
import { gridFor } from '../runtime/launch';
import type { Tensor } from '../tensor';
import { kernelOp, opKernel, selectorCodes, type Dispatch, type Kernel } from './kernelOp';

export interface MatmulVariant {
  readonly kernel: Kernel;
  /** Output rows and columns one workgroup computes. */
  readonly blockRows: number;
  readonly blockCols: number;
  /** Whether the kernel also reads A and B as vec4 arrays (bindings a4 and b4). */
  readonly vectorLoads: boolean;
  /** Override constants fixed for this variant, applied over the ones computed per call. */
  readonly constants?: Readonly<Record<string, number>>;
  /** Whether the kernel has the bias + activation epilogue (binding `bias`, HAS_BIAS, ACTIVATION). */
  readonly epilogue: boolean;
  /** Whether the kernel needs the device feature 'subgroups' (its source opens with `enable subgroups;`). */
  readonly subgroups?: boolean;
}

/**
 * The activations the epilogue applies (matmulCommon.wgsl's ACTIVATION selector: LINEAR, RELU,
 * SIGMOID, TANH): those whose derivative follows from the output alone.
 */
const epilogueActivations = selectorCodes(['linear', 'relu', 'sigmoid', 'tanh'] as const);
export type EpilogueActivation = keyof typeof epilogueActivations.code;
export const EPILOGUE_ACTIVATIONS = Object.keys(epilogueActivations.code) as EpilogueActivation[];

const epilogueSource = ieeeSource + stableMathSource + epilogueActivations.wgsl + matmulCommonSource;
const registerTileSource = (rowsOfA: string): string => epilogueSource + matmulSource + rowsOfA;
// `enable` must open the module. The early exit of invocations past M is uniform per subgroup (a
// subgroup is one row of the 4×4 workgroup), which WGSL's uniformity analysis cannot see.
const subgroupHeader = 'enable subgroups;\ndiagnostic(off, subgroup_uniformity);\n';

export const matmulVariants = {
  /** 4×2 invocations, a 32×16 register tile each; every invocation loads its own A. */
  registerTile: {
    kernel: opKernel('matmul', registerTileSource(matmulOwnRowsSource)),
    blockRows: 64, blockCols: 64, vectorLoads: true, epilogue: true,
  },
  /** The same tile where the 4 lanes of a subgroup split the loads of A and broadcast them (4-lane subgroups only). */
  subgroupTile: {
    kernel: opKernel('matmulSubgroup', subgroupHeader + registerTileSource(matmulSharedRowsSource)),
    blockRows: 64, blockCols: 64, vectorLoads: true, epilogue: true, subgroups: true,
  },
  /** 16×16 invocations staging 64×16 of A and 16×64 of B in workgroup memory, 4×4 outputs each: for GPUs. */
  workgroupTile: {
    kernel: opKernel('matmulWorkgroup', epilogueSource + matmulWorkgroupSource),
    blockRows: 64, blockCols: 64, vectorLoads: true, epilogue: true,
  },
  /** One invocation per output, a plain loop over k: the baseline. */
  naive: { kernel: opKernel('matmulNaive', matmulNaiveSource), blockRows: 8, blockCols: 8, vectorLoads: false, epilogue: false },
} satisfies Record<string, MatmulVariant>;

export type MatmulVariantName = keyof typeof matmulVariants;

const shapedTiles = new Map<string, MatmulVariant>();

/**
 * A register-tile variant (registerTile, subgroupTile) with 4 instead of 32 rows (tall = false)
 * and/or 4 instead of 16 columns (wide = false) per invocation, for short or narrow products.
 * Workgroups are 2 invocations along M and 4 along N.
 */
export function withTileShape(variant: MatmulVariant, tall: boolean, wide: boolean): MatmulVariant {
  const key = `${variant.kernel.name} ${tall} ${wide}`;
  let shaped = shapedTiles.get(key);
  if (!shaped) {
    shaped = { ...variant, blockRows: tall ? 64 : 8, blockCols: wide ? 64 : 16, constants: { ...variant.constants, TALL: tall ? 1 : 0, WIDE: wide ? 1 : 0 } };
    shapedTiles.set(key, shaped);
  }
  return shaped;
}

let deviceVariant: MatmulVariant | null = null;

/** The kernel for this device, chosen by adapter once. */
function deviceKernel(): MatmulVariant {
  if (!deviceVariant) {
    const device = getDevice();
    // The subgroup sizes are on the device's adapterInfo; getAdapterInfo() keeps only the names.
    const sizes = (device.adapterInfo ?? {}) as { subgroupMinSize?: number; subgroupMaxSize?: number };
    // On the CPU, register tiles beat workgroup memory.
    if (!isCpuAdapter(getAdapterInfo())) deviceVariant = matmulVariants.workgroupTile;
    else if (device.features.has('subgroups') && sizes.subgroupMinSize === 4 && sizes.subgroupMaxSize === 4) deviceVariant = matmulVariants.subgroupTile;
    else deviceVariant = matmulVariants.registerTile;
  }
  return deviceVariant;
}

/** The product matmul is about to launch: output M×N, inner size K, and the transposes. */
export interface MatmulShape {
  M: number;
  N: number;
  K?: number;
  transposeA?: boolean;
  transposeB?: boolean;
}

/**
 * Relative speeds (GFLOP/s on a CPU adapter, bench/NOTES.md) of the register tile's four shapes:
 * the chooser weighs them against the padding each leaves.
 */
const TILE_SPEEDS: readonly { tall: boolean; wide: boolean; speed: number }[] = [
  { tall: true, wide: true, speed: 8.7 }, // 32×16 per invocation
  { tall: true, wide: false, speed: 5.5 }, // 32×4
  { tall: false, wide: true, speed: 3.9 }, // 4×16
  { tall: false, wide: false, speed: 3.7 }, // 4×4
];
/**
 * The fixed cost of one register-tile workgroup on a CPU adapter, in µs, fitted to batched small
 * products (attention's [32 × 32, k 16] scores and [32 × 16, k 32] values, batch 32, SwiftShader):
 * 32 rows per invocation ran 25–30% faster there than 4 (0.86 against 1.2 ms, 0.70 against 0.9 ms)
 * though it pads M to 64, because it launches a quarter of the workgroups. Larger products barely
 * notice the term: none of the MLP's, the transformer's projections or the reference model's
 * products changes its tile (nor do 64² to 1024² squares).
 */
const WORKGROUP_MICROSECONDS = 3;

/**
 * Products smaller than this many multiply-adds run on the 4×4 tile for their first
 * CALLS_BEFORE_FULL_TILE calls (per shape): see chooseMatmulVariant.
 */
const FULL_TILE_MIN_WORK = 2 ** 24;
const CALLS_BEFORE_FULL_TILE = 2;
const callsByShape = new Map<string, number>();

/**
 * The variant for one product on this device. The kernel follows the adapter: on CPU adapters
 * (SwiftShader) the register tile, with A's loads shared across 4-lane subgroups where the device
 * has them; on GPUs the workgroup-memory tile. The register tile's shape follows the product:
 * - A small product's first calls run 4×4 per invocation, which compiles an order of magnitude
 *   faster than the 32×16 tile; that one is about twice as fast once compiled, worth it for a
 *   product that repeats (a training step) or is large, not for one-off small calls (tests, a
 *   single prediction). Numbers in bench/NOTES.md. Products inside wg.jit always repeat.
 * - Otherwise whichever of 32 or 4 rows and 16 or 4 columns per invocation gives the least time for the
 *   output padded to whole workgroup blocks (64 or 8 rows, 64 or 16 columns), at TILE_SPEEDS, plus
 *   WORKGROUP_MICROSECONDS per workgroup.
 */
export function chooseMatmulVariant(shape: MatmulShape = { M: 64, N: 64 }): MatmulVariant {
  const kernel = deviceKernel();
  if (kernel === matmulVariants.workgroupTile) return kernel;
  const { M, N, K = 64 } = shape;
  // Under wg.jit (its eager first call and its trace) a product is by definition one that repeats:
  // the program replays whatever tile the trace recorded, so it gets the faster one at once.
  if (M * N * K < FULL_TILE_MIN_WORK && activeCapture() === null) {
    const key = `${M} ${N} ${K} ${shape.transposeA} ${shape.transposeB}`;
    const calls = (callsByShape.get(key) ?? 0) + 1;
    if (callsByShape.size >= 4096) callsByShape.clear();
    callsByShape.set(key, calls);
    if (calls <= CALLS_BEFORE_FULL_TILE) return withTileShape(kernel, false, false);
  }
  const time = (t: (typeof TILE_SPEEDS)[number]): number => {
    const blocks = Math.ceil(M / (t.tall ? 64 : 8)) * Math.ceil(N / (t.wide ? 64 : 16));
    const paddedMacs = blocks * (t.tall ? 64 : 8) * (t.wide ? 64 : 16) * K;
    // µs: the padded block's flops at the tile's speed, plus each workgroup's fixed cost.
    return (2 * paddedMacs) / (t.speed * 1000) + blocks * WORKGROUP_MICROSECONDS;
  };
  const best = TILE_SPEEDS.reduce((a, b) => (time(b) < time(a) ? b : a));
  return withTileShape(kernel, best.tall, best.wide);
}

/** One (batched) product, already validated: out [batch, M, N] = op(A) @ op(B). */
export interface MatmulProblem {
  a: Tensor;
  b: Tensor;
  out: Tensor;
  M: number;
  N: number;
  K: number;
  transposeA: boolean;
  transposeB: boolean;
  /** The broadcast batch shape, and each input's element stride along it (0 where broadcast). */
  batchShape: readonly number[];
  batchStridesA: readonly number[];
  batchStridesB: readonly number[];
  /** Epilogue: a bias [N] added to every row, then an activation (variants with `epilogue`). */
  bias?: Tensor | null;
  activation?: EpilogueActivation;
}

/** The launch of one product with `variant`. */
export function matmulDispatch(variant: MatmulVariant, problem: MatmulProblem): Dispatch {
  const { a, b, out, M, N, K, transposeA, transposeB, batchShape } = problem;
  const batchCount = batchShape.reduce((product, dim) => product * dim, 1);
  const blocksAlongM = Math.ceil(M / variant.blockRows);
  const blocksAlongN = Math.ceil(N / variant.blockCols);
  const vectorTensors: Record<string, Tensor> = variant.vectorLoads ? { a4: a, b4: b } : {};
  const bias = problem.bias ?? null;
  const activation = epilogueActivations.code[problem.activation ?? 'linear'];
  if (!variant.epilogue && (bias || activation !== epilogueActivations.code.linear)) throw new Error(`matmul variant '${variant.kernel.name}' has no bias/activation epilogue`);
  // An absent bias (null) binds a placeholder: a binding cannot be left empty, nor alias the output.
  const epilogueTensors: Record<string, Tensor | null> = variant.epilogue ? { bias } : {};
  const epilogueConstants: Record<string, number> = variant.epilogue ? { HAS_BIAS: bias ? 1 : 0, ACTIVATION: activation } : {};
  // vec4 loads need every 4-aligned run along the contiguous dim to start at a multiple of 4.
  const vectorConstants: Record<string, number> = variant.vectorLoads
    ? { VEC4_A: (transposeA ? M : K) % 4 === 0 ? 1 : 0, VEC4_B: (transposeB ? K : N) % 4 === 0 ? 1 : 0, K_TAIL: K % 4 === 0 ? 0 : 1 }
    : {};
  const constants = { TRANSPOSE_A: transposeA ? 1 : 0, TRANSPOSE_B: transposeB ? 1 : 0, ...vectorConstants, ...epilogueConstants, ...variant.constants };
  const epilogueName = ['matmul', ...(bias ? ['bias'] : []), ...(problem.activation && problem.activation !== 'linear' ? [problem.activation] : [])].join('+');
  return {
    kernel: variant.kernel,
    tensors: { a, b, out, ...vectorTensors, ...epilogueTensors },
    uniforms: {
      M, N, K, blocksAlongM, blocksAlongN, batchCount,
      batchRank: batchShape.length,
      batchShape: [...batchShape],
      batchStridesA: [...problem.batchStridesA],
      batchStridesB: [...problem.batchStridesB],
    },
    variant: { constants },
    workgroups: gridFor(blocksAlongM * blocksAlongN * batchCount),
    matmul: variant.epilogue ? { name: epilogueName, source: variant.kernel.source, constants, outShape: [...batchShape, M, N], blockRows: variant.blockRows } : undefined,
  };
}

/**
 * Runs one product with `variant` into `problem.out`, a fresh tensor, unrecorded: for benchmarks
 * and tests that time or check each variant on the same tensors.
 */
export function launchMatmul(variant: MatmulVariant, problem: MatmulProblem): Tensor {
  return kernelOp(variant.kernel.name, [problem.a, problem.b], () => ({
    output: problem.out,
    steps: (out) => [matmulDispatch(variant, { ...problem, out })],
  }));
}
