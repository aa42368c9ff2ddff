// The kernels behind matmul: each variant is a WGSL file plus the output block one workgroup covers.
// matmul.ts validates and differentiates; this file only launches. A new variant (say, a
// workgroup-memory tile for discrete GPUs) is one more row in `matmulVariants` and a case in
// `chooseMatmulVariant`.
import matmulSource from '../../shaders/matmul.wgsl';
import stableMathSource from '../../shaders/stableMath.wgsl';
import matmulNaiveSource from '../../shaders/matmulNaive.wgsl';
import { defineKernel, type Kernel } from '../runtime/kernel';
import { gridFor, launch } from '../runtime/launch';
import type { Tensor } from '../tensor';
import { acquireBuffer } from '../runtime/bufferPool';

export interface MatmulVariant {
  readonly kernel: Kernel;
  /** Output rows (and columns) one workgroup computes. */
  readonly block: number;
  /** Whether the kernel also reads A and B as vec4 arrays (bindings a4 and b4). */
  readonly vectorLoads: boolean;
  /** Override constants fixed for this variant, applied over the ones computed per call. */
  readonly constants?: Readonly<Record<string, number>>;
  /** Whether the kernel has the bias + activation epilogue (binding `bias`, HAS_BIAS, ACTIVATION). */
  readonly epilogue: boolean;
}

export const matmulVariants = {
  /** 8×8 invocations, each a 4×4 register tile, vec4 loads where the layout allows. */
  registerTile: { kernel: defineKernel('matmul', stableMathSource + matmulSource), block: 32, vectorLoads: true, epilogue: true },
  /** One invocation per output, a plain loop over k: the baseline. */
  naive: { kernel: defineKernel('matmulNaive', matmulNaiveSource), block: 8, vectorLoads: false, epilogue: false },
} satisfies Record<string, MatmulVariant>;

export type MatmulVariantName = keyof typeof matmulVariants;

/**
 * The variant matmul runs. Register tiles measured fastest on SwiftShader (CPU), where workgroup
 * barriers are costly (bench/matmul-variants.*); they are also reasonable on GPUs. A
 * workgroup-memory tile would be chosen here by adapter once one exists.
 */
export function chooseMatmulVariant(): MatmulVariant {
  return matmulVariants.registerTile;
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
  /** Epilogue: a bias [N] added to every row, then an activation code (variants with `epilogue`). */
  bias?: Tensor | null;
  activation?: number;
}

/** Bound in place of an absent bias (a binding cannot be left empty, nor alias the output). */
let placeholderBias: GPUBuffer | null = null;

export function launchMatmul(variant: MatmulVariant, problem: MatmulProblem): void {
  const { a, b, out, M, N, K, transposeA, transposeB, batchShape } = problem;
  const batchCount = batchShape.reduce((product, dim) => product * dim, 1);
  const blocksAlongM = Math.ceil(M / variant.block);
  const blocksAlongN = Math.ceil(N / variant.block);
  const vectorBuffers: Record<string, GPUBuffer> = variant.vectorLoads ? { a4: a.buffer, b4: b.buffer } : {};
  const bias = problem.bias ?? null;
  const activation = problem.activation ?? 0;
  if (!variant.epilogue && (bias || activation !== 0)) throw new Error(`matmul variant '${variant.kernel.name}' has no bias/activation epilogue`);
  if (variant.epilogue && !bias) placeholderBias ??= acquireBuffer(16);
  const epilogueBuffers: Record<string, GPUBuffer> = variant.epilogue ? { bias: bias ? bias.buffer : (placeholderBias as GPUBuffer) } : {};
  const epilogueConstants: Record<string, number> = variant.epilogue ? { HAS_BIAS: bias ? 1 : 0, ACTIVATION: activation } : {};
  // vec4 loads need every 4-aligned run along the contiguous dim to start at a multiple of 4.
  const vectorConstants: Record<string, number> = variant.vectorLoads
    ? { VEC4_A: (transposeA ? M : K) % 4 === 0 ? 1 : 0, VEC4_B: (transposeB ? K : N) % 4 === 0 ? 1 : 0 }
    : {};
  launch(variant.kernel, {
    buffers: { a: a.buffer, b: b.buffer, out: out.buffer, ...vectorBuffers, ...epilogueBuffers },
    uniforms: {
      M, N, K, blocksAlongM, blocksAlongN, batchCount,
      batchRank: batchShape.length,
      batchShape: [...batchShape],
      batchStridesA: [...problem.batchStridesA],
      batchStridesB: [...problem.batchStridesB],
    },
    variant: { constants: { TRANSPOSE_A: transposeA ? 1 : 0, TRANSPOSE_B: transposeB ? 1 : 0, ...vectorConstants, ...epilogueConstants, ...variant.constants } },
    workgroups: gridFor(blocksAlongM * blocksAlongN * batchCount),
  });
}
