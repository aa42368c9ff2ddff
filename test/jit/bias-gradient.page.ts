// Bundled into the test page by bias-gradient.test.ts: xᵀ·dz through one named matmul kernel variant
// and sum(dz, 0), run eagerly and under wg.jit (which makes them one dispatch where the variant
// has the hooks: every tiled one).
import { jit } from '../../src/jit';
import { tensor } from '../../src/ops/creation';
import { sum } from '../../src/ops/reduce';
import { init } from '../../src/runtime/device';
import type { Tensor } from '../../src/tensor';
import { launchCase, variantNamed } from '../ops/matmul-variants.page';

export { availableVariants } from '../ops/matmul-variants.page';

export interface ColumnSumCase { K: number; M: number; N: number; x: Float32Array; dz: Float32Array }
export interface ColumnSumRun { eager: { dW: number[]; db: number[] }; compiled: { dW: number[]; db: number[] }; text: string }

/** The case eagerly and as the third call of its jitted form (the first runs eagerly, the second traces). */
export async function runColumnSums(name: string, c: ColumnSumCase): Promise<ColumnSumRun> {
  await init();
  const variant = variantNamed(name);
  const x = tensor(c.x, [c.K, c.M]);
  const dz = tensor(c.dz, [c.K, c.N]);
  const gradients = (x: Tensor, dz: Tensor): [Tensor, Tensor] => [launchCase(variant, { aShape: [c.K, c.M], bShape: [c.K, c.N], transposeA: true }, x, dz, null), sum(dz, 0)];
  const read = async ([dW, db]: Tensor[]): Promise<{ dW: number[]; db: number[] }> => ({ dW: Array.from(await dW.data()), db: Array.from(await db.data()) });
  const eager = gradients(x, dz);
  const step = jit(gradients);
  for (let i = 0; i < 2; i++) for (const t of step(x, dz)) t.dispose();
  const compiled = step(x, dz);
  const run = { eager: await read(eager), compiled: await read(compiled), text: step.describe() };
  step.dispose();
  for (const t of [x, dz, ...eager, ...compiled]) t.dispose();
  return run;
}
