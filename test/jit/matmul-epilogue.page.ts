// Bundled into the test page by matmul-epilogue.test.ts: a product through one named matmul kernel
// variant followed by two elementwise ops, run eagerly and under wg.jit (which fuses the ops into
// the variant's epilogue).
import { jit } from '../../src/jit';
import { add, mul } from '../../src/ops/binary';
import { tensor } from '../../src/ops/creation';
import { init } from '../../src/runtime/device';
import type { Tensor } from '../../src/tensor';
import { launchCase, variantNamed, type VariantCase } from '../ops/matmul-variants.page';

export { availableVariants } from '../ops/matmul-variants.page';

/** A product (with its own bias and activation), then ·scale and +shift, each broadcast to the product's shape. */
export interface EpilogueCase extends VariantCase {
  scale: Float32Array;
  scaleShape: number[];
  shift: Float32Array;
  shiftShape: number[];
}

export interface EpilogueRun { eager: number[]; compiled: number[]; text: string }

/** Each case eagerly and as the third call of its jitted form (the first runs eagerly, the second traces). */
export async function runEpilogue(name: string, cases: EpilogueCase[]): Promise<EpilogueRun[]> {
  await init();
  const variant = variantNamed(name);
  const runs: EpilogueRun[] = [];
  for (const c of cases) {
    const a = tensor(c.a, c.aShape);
    const b = tensor(c.b, c.bShape);
    const bias = c.bias ? tensor(c.bias, [c.bias.length]) : null;
    const scale = tensor(c.scale, c.scaleShape);
    const shift = tensor(c.shift, c.shiftShape);
    const chain = (a: Tensor, b: Tensor): Tensor => {
      const product = launchCase(variant, c, a, b, bias);
      const scaled = mul(product, scale);
      product.dispose();
      try {
        return add(scaled, shift);
      } finally {
        scaled.dispose();
      }
    };
    const eager = chain(a, b);
    const step = jit(chain);
    step(a, b).dispose();
    step(a, b).dispose();
    const compiled = step(a, b);
    runs.push({ eager: Array.from(await eager.data()), compiled: Array.from(await compiled.data()), text: step.describe() });
    step.dispose();
    for (const t of [a, b, scale, shift, eager, compiled, ...(bias ? [bias] : [])]) t.dispose();
  }
  return runs;
}
