// Bias-gradient fusion: a Dense layer's backward computes dW = xᵀ·dz (a matmul with transposeA) and
// db = Σ_k dz[k, :] (a sum over axis 0) from the same dz, two dispatches. Both are rows of one
// product, [xᵀ; 1ᵀ]·dz = [xᵀ·dz; Σ_k dz[k, :]], so the pair becomes one dispatch of the traced
// matmul kernel run with one more output row: its loads of A give 1 in that row and its store
// sends that row to the sum's buffer. dW is computed by the same code in the same order, so it is
// bit-identical to the unfused matmul; the sum adds in k order where shaders/reduce.wgsl adds in
// blocks, so db equals the reduce's within float32 reassociation: |error| ≤ (K−1)·2⁻²⁴·Σ_k |dz[k, j]|.
import type { MatmulEpilogueSite } from '../runtime/capture';
import { gridFor } from '../runtime/launch';
import type { UniformValues } from '../runtime/uniforms';
import { shapesEqual } from '../shape';
import { bindingsByName, generatedKernel, packedUniforms, valueUses } from './fusedGroup';
import type { DispatchStep, Step, Value } from './trace';

/** A traced out [M, N] = Aᵀ·B, A stored [K, M] and B [K, N], unbatched, with its kernel's hooks. */
interface TransposedProduct {
  step: DispatchStep;
  site: MatmulEpilogueSite;
  /** Its bindings by name (a, b, out, and the vec4 views and bias it may have). */
  byName: Map<string, Value>;
  M: number;
  N: number;
  K: number;
}

/**
 * Most multiply-adds the ones row may add. Where M is a multiple of the tile's rows, the ones row
 * needs one more row of workgroups, which computes blockRows·N·K multiply-adds to keep N sums:
 * worth it below about what a dispatch's fixed cost buys on SwiftShader (30–50 µs: ~2^17
 * multiply-adds at the register tile's 4–8 GFLOP/s). Measured (a loaded 2-core machine): xᵀ·dz for
 * the MLP's layer 3 (M 128, N 10, K 128: 82k extra) as fast fused as apart, layer 2 (M 256, N 128:
 * 1M extra) 0.26 ms slower fused (3.57 against 3.31 ms).
 */
const MAX_ONES_ROW_WORK = 2 ** 17;

/**
 * The steps with each matmul Aᵀ·B and a sum of the same B over axis 0 (unchanged between them)
 * replaced by one dispatch computing both, at the earlier of the two.
 */
export function fuseBiasGradients(steps: readonly Step[]): Step[] {
  const { readers, writers } = valueUses(steps);
  const replaced = new Map<number, DispatchStep>();
  const removed = new Set<number>();
  steps.forEach((step, index) => {
    const product = transposedProduct(step);
    if (!product) return;
    const b = product.byName.get('b') as Value;
    const out = product.byName.get('out') as Value;
    const sumAt = (readers.get(b) ?? []).find((at) => !removed.has(at) && !replaced.has(at) && isColumnSum(steps[at], b, product.K, product.N));
    if (sumAt === undefined) return;
    const sums = ((steps[sumAt] as DispatchStep).reduction as NonNullable<DispatchStep['reduction']>).out;
    const from = Math.min(index, sumAt);
    const to = Math.max(index, sumAt);
    // The fused step runs at `from`: what either step reads must hold the same values from there to
    // `to`; each output is written by its own step alone, and the later one's, now written at
    // `from`, is not read in between (it could be only if it held something before).
    const inputs = product.step.bindings.filter((_, k) => !product.step.writes[k]);
    const between = (value: Value, uses: Map<Value, number[]>): boolean => (uses.get(value) ?? []).some((at) => at > from && at < to);
    if (inputs.some((value) => between(value, writers))) return;
    if ([out, sums].some((value) => (writers.get(value) ?? []).length !== 1) || between(index < sumAt ? sums : out, readers)) return;
    replaced.set(from, withColumnSums(product, sums));
    removed.add(to);
  });
  return steps.flatMap((step, index) => (replaced.has(index) ? [replaced.get(index) as DispatchStep] : removed.has(index) ? [] : [step]));
}

/**
 * `step` as an unbatched Aᵀ·B of a tiled kernel with the runA and storeOutput hooks, or null (also
 * where the ones row would cost more than the dispatch it saves).
 */
function transposedProduct(step: Step): TransposedProduct | null {
  if (step.kind !== 'dispatch' || !step.matmul || step.refresh || !step.uniforms) return null;
  const site = step.matmul;
  if (site.constants.TRANSPOSE_A !== 1 || site.constants.TRANSPOSE_B === 1 || site.outShape.length !== 2) return null;
  if (!/\bfn runA\(/.test(site.source) || !/\bfn storeOutput\(/.test(site.source)) return null;
  if (step.uniforms.batchCount !== 1) return null;
  const byName = new Map(step.kernel.signature.storage.map((binding, k): [string, Value] => [binding.name, step.bindings[k]]));
  const [M, N] = site.outShape;
  const K = step.uniforms.K as number;
  const addsWorkgroups = Math.ceil((M + 1) / site.blockRows) > Math.ceil(M / site.blockRows);
  if (addsWorkgroups && site.blockRows * N * K > MAX_ONES_ROW_WORK) return null;
  return { step, site, byName, M, N, K };
}

/** Whether `step` is one reduce pass summing float32 `b`, shaped [K, N], over axis 0. */
function isColumnSum(step: Step, b: Value, K: number, N: number): boolean {
  if (step.kind !== 'dispatch' || !step.reduction || step.refresh) return false;
  const { pass, input } = step.reduction;
  return input === b && pass.op === 'sum' && pass.first && pass.last && pass.element === 'f32' && pass.accumulator === 'f32'
    && shapesEqual(pass.inputShape, [K, N]) && shapesEqual(pass.axes, [0]);
}

/**
 * The product's kernel generated for [Aᵀ; 1ᵀ]·B: params.M counts the ones row, which runA (called
 * with cols = params.M for a transposed A) reads as 1 past A's M stored columns, and storeOutput
 * sends output row M to `columnSums` (through storeColumnSum; the rows of Aᵀ·B through matrixStoreOutput). The new site lets fuseMatmul.ts still extend its epilogue.
 */
function withColumnSums(product: TransposedProduct, sums: Value): DispatchStep {
  const { step, site, byName, M } = product;
  const signature = step.kernel.signature;
  const binding = Math.max(...signature.storage.map((storage) => storage.binding), signature.uniform?.binding ?? 0) + 1;
  const source = [
    site.source.replace(/\bfn runA\(/, 'fn storedRunA(').replace(/\bfn storeOutput\(/, 'fn matrixStoreOutput('),
    `@group(0) @binding(${binding}) var<storage, read_write> columnSums: array<f32>;`,
    'fn runA(base: u32, row: u32, col: u32, rows: u32, cols: u32) -> vec4<f32> {',
    '  let ones = vec4<u32>(col) + vec4<u32>(0u, 1u, 2u, 3u) >= vec4<u32>(cols - 1u);',
    '  return select(storedRunA(base, row, col, rows, cols - 1u), vec4<f32>(1.0), ones);',
    '}',
    // Each output goes through a function of its own, which update fusion may replace (fuseUpdate.ts).
    'fn storeColumnSum(j: u32, v: f32) {',
    '  columnSums[j] = v;',
    '}',
    'fn storeOutput(index: u32, j: u32, v: f32) {',
    '  if (index >= (params.M - 1u) * params.N) { storeColumnSum(j, v); } else { matrixStoreOutput(index, j, v); }',
    '}',
    '',
  ].join('\n');
  const name = `fused(${site.name}+sum)`;
  const compiled = generatedKernel(name, source).compile({ constants: { ...site.constants } });
  const blocksAlongM = Math.ceil((M + 1) / site.blockRows);
  const uniforms: UniformValues = { ...step.uniforms, M: M + 1, blocksAlongM };
  const withSums = new Map(byName).set('columnSums', sums);
  return {
    kind: 'dispatch',
    label: name,
    kernel: compiled,
    ...bindingsByName(compiled.signature, withSums),
    uniformBytes: packedUniforms(compiled.signature.uniform?.layout, uniforms, name),
    uniforms,
    workgroups: gridFor(blocksAlongM * (uniforms.blocksAlongN as number)),
    matmul: { ...site, name: `${site.name}+sum`, source },
    fusedOps: [site.name, 'sum'],
    columnSums: true,
  };
}
