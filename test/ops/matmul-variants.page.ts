// Bundled into the test page by matmul-variants.test.ts: runs one product through a named matmul
// kernel variant (the internals the public API only reaches through chooseMatmulVariant).
import { init, getDevice } from '../../src/runtime/device';
import { tensor } from '../../src/ops/creation';
import { Tensor } from '../../src/tensor';
import { broadcastShapes, broadcastStrides } from '../../src/shape';
import { chooseMatmulVariant, launchMatmul, matmulVariants, withTileShape, type MatmulVariant } from '../../src/ops/matmulKernels';

export interface VariantCase {
  aShape: number[];
  bShape: number[];
  a: Float32Array;
  b: Float32Array;
  transposeA?: boolean;
  transposeB?: boolean;
  bias?: Float32Array;
  activation?: 'linear' | 'relu' | 'sigmoid' | 'tanh';
}

const registerTiles = ['registerTile', 'subgroupTile'];
const tileShapes: Record<string, [boolean, boolean]> = { '4x16': [false, true], '32x4': [true, false], '4x4': [false, false] };

/** A variant by name: a key of matmulVariants, or a register tile and its shape ('subgroupTile 4x16'). */
export function variantNamed(name: string): MatmulVariant {
  const [base, shape] = name.split(' ');
  const variant = (matmulVariants as Record<string, MatmulVariant>)[base];
  return shape ? withTileShape(variant, ...tileShapes[shape]) : variant;
}

/**
 * The variants this device can run, by name (register tiles also in their three smaller shapes),
 * and the base variant chooseMatmulVariant picks.
 */
export async function availableVariants(): Promise<{ names: string[]; chosen: string; architecture: string; subgroups: boolean }> {
  await init();
  const device = getDevice();
  const names = Object.entries(matmulVariants as Record<string, MatmulVariant>)
    .filter(([, variant]) => !variant.subgroups || device.features.has('subgroups'))
    .flatMap(([name]) => (registerTiles.includes(name) ? [name, ...Object.keys(tileShapes).map((shape) => `${name} ${shape}`)] : [name]));
  const chosenVariant = chooseMatmulVariant({ M: 256, N: 256 });
  const chosen = Object.entries(matmulVariants).find(([, variant]) => variant.kernel === chosenVariant.kernel)?.[0] ?? '?';
  return { names, chosen, architecture: device.adapterInfo.architecture, subgroups: device.features.has('subgroups') };
}

/**
 * The register-tile shape chooseMatmulVariant gives a product that repeats (past its first calls,
 * which take 4×4 tiles to compile fast), as '32x16', '32x4', '4x16' or '4x4'; null on GPUs.
 */
export async function repeatedTileShape(shape: { M: number; N: number; K: number }): Promise<string | null> {
  await init();
  let variant = chooseMatmulVariant(shape);
  for (let call = 0; call < 3; call++) variant = chooseMatmulVariant(shape);
  if (variant.kernel === matmulVariants.workgroupTile.kernel) return null;
  return `${variant.blockRows === 64 ? 32 : 4}x${variant.blockCols === 64 ? 16 : 4}`;
}

/** Runs every case through one variant; returns each output's values. */
export async function runVariant(name: string, cases: VariantCase[]): Promise<Float32Array[]> {
  await init();
  const variant = variantNamed(name);
  const results: Float32Array[] = [];
  for (const c of cases) {
    const a = tensor(c.a, c.aShape);
    const b = tensor(c.b, c.bShape);
    const bias = c.bias ? tensor(c.bias, [c.bias.length]) : null;
    const out = launchCase(variant, c, a, b, bias);
    results.push(await out.data() as Float32Array);
    for (const t of [a, b, out, ...(bias ? [bias] : [])]) t.dispose();
  }
  return results;
}

/** The case's product of a and b (its tensors) with `variant`, into a fresh tensor. */
export function launchCase(variant: MatmulVariant, c: Omit<VariantCase, 'a' | 'b' | 'bias'>, a: Tensor, b: Tensor, bias: Tensor | null): Tensor {
  const transposeA = c.transposeA ?? false;
  const transposeB = c.transposeB ?? false;
  const [M, K] = transposeA ? c.aShape.slice(-2).reverse() : c.aShape.slice(-2);
  const N = transposeB ? c.bShape.at(-2)! : c.bShape.at(-1)!;
  const batchShape = broadcastShapes('matmul', c.aShape.slice(0, -2), c.bShape.slice(0, -2));
  return launchMatmul(variant, {
    a, b, out: Tensor.empty([...batchShape, M, N]), M, N, K, transposeA, transposeB, batchShape,
    batchStridesA: broadcastStrides(c.aShape.slice(0, -2), batchShape).map((stride) => stride * M * K),
    batchStridesB: broadcastStrides(c.bShape.slice(0, -2), batchShape).map((stride) => stride * K * N),
    bias, activation: c.activation ?? 'linear',
  });
}
