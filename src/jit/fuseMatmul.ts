// Matmul epilogue fusion: a tiled matmul whose output only a chain of elementwise ops reads becomes
// one generated matmul kernel whose epilogue applies the chain (as linear's bias + activation
// epilogue, for any rows of the op table): each result runs through the rows' bodies in registers
// and only the chain's last result is stored. The rows compute what they compute eagerly, in
// float32, so results are bit-identical to eager. The backward pass fuses the same way: the rows
// of a gradient (sigmoid.grad.x after dh = dz·Wᵀ) join the matmul that makes their input.
import { argumentOf, type KernelInput } from '../ops/elementwise';
import type { MatmulEpilogueSite } from '../runtime/capture';
import { broadcastStrides, shapesEqual, stridesOf } from '../shape';
import { MAX_FUSED_INPUTS } from './fusedGroup';
import { bindingsByName, generatedKernel, mergePreludes, rowFunction, valueUses } from './fusedGroup';
import type { DispatchStep, RowBinding, Step, Value } from './trace';

/** A row's input that is not the chain's running result: a value read at a shape (broadcast to the output's). */
interface ChainInput { value: Value; shape: readonly number[]; read: Omit<KernelInput, 'name'>; readAt: number }

/**
 * A matmul and the rows after it: link k (step `at`) reads the result of link k − 1 (the matmul's
 * for k = 0) as argument `operand`, and chain input `args[i]` as argument i otherwise.
 */
interface Chain {
  matmul: DispatchStep;
  site: MatmulEpilogueSite;
  links: { row: RowBinding; at: number; operand: number; args: number[] }[];
  inputs: ChainInput[];
}

/**
 * The steps with each matmul whose output feeds only an elementwise chain replaced by one dispatch
 * of a matmul kernel with that chain as its epilogue, at the chain's last op. `pinned` values
 * (returned, captured, kept) are never fused away.
 */
export function fuseMatmulEpilogues(steps: readonly Step[], pinned: ReadonlySet<Value>): Step[] {
  const { readers, writers, writtenBetween } = valueUses(steps);
  const replaced = new Map<number, DispatchStep>();
  const removed = new Set<number>();
  // Rows already in a chain: a row reading two matmuls' outputs joins the first one's.
  const taken = new Set<number>();
  steps.forEach((step, index) => {
    if (step.kind !== 'dispatch' || !step.matmul || step.refresh) return;
    const storage = step.kernel.signature.storage;
    // The matmul's inputs are read where the fused kernel runs, at the chain's end.
    const matmulInputs = step.bindings.filter((_, k) => !step.writes[k]);
    const chain: Chain = { matmul: step, site: step.matmul, links: [], inputs: [] };
    let result = step.bindings[storage.findIndex((binding) => binding.name === 'out')];
    let end = index;
    for (;;) {
      const readBy = readers.get(result) ?? [];
      if (pinned.has(result) || readBy.length !== 1 || (writers.get(result) ?? []).length !== 1) break;
      const next = steps[readBy[0]];
      if (next.kind !== 'dispatch' || !next.row || next.refresh || taken.has(readBy[0])) break;
      const link = linkOf(chain, next.row, result, readBy[0], step.bindings.length);
      if (!link) break;
      const at = readBy[0];
      const unchanged = matmulInputs.every((value) => !writtenBetween(value, index, at))
        && link.inputs.every((input) => !writtenBetween(input.value, input.readAt, at));
      if (!unchanged) break;
      chain.links.push(link.link);
      chain.inputs = link.inputs;
      result = next.row.out;
      end = at;
    }
    if (chain.links.length === 0) return;
    removed.add(index);
    for (const link of chain.links) taken.add(link.at);
    for (const link of chain.links.slice(0, -1)) removed.add(link.at);
    replaced.set(end, fusedMatmulStep(chain));
  });
  return steps.flatMap((step, index) => (replaced.has(index) ? [replaced.get(index) as DispatchStep] : removed.has(index) ? [] : [step]));
}

/**
 * `row` as the chain's next link (its argument `result` the chain's running result), with the
 * chain's inputs after it; null where it cannot join: it broadcasts the result or changes its
 * shape or type, its prelude clashes, or its other inputs would take the kernel past
 * MAX_FUSED_INPUTS + 1 storage buffers (the matmul's own `bindings` included).
 */
function linkOf(chain: Chain, row: RowBinding, result: Value, at: number, bindings: number): { link: Chain['links'][number]; inputs: ChainInput[] } | null {
  const operand = row.inputs.indexOf(result);
  const { outShape } = chain.site;
  const { inputs: declared, inputShapes } = row.row;
  if (row.inputs.lastIndexOf(result) !== operand || !shapesEqual(inputShapes[operand], outShape) || !shapesEqual(row.row.outShape, outShape)) return null;
  // The result passes on as float32, the type of the matmul's output buffer.
  if (row.row.output !== 'f32' || declared[operand].element !== 'f32' || declared[operand].truth) return null;
  if (mergePreludes([chain.site.source, ...chain.links.map((link) => link.row.row.prelude), row.row.prelude]) === null) return null;
  const inputs = [...chain.inputs];
  const args = row.inputs.map((value, k) => {
    if (k === operand) return -1;
    const read = declared[k].truth ? { element: declared[k].element, truth: true } : { element: declared[k].element };
    let found = inputs.findIndex((input) => input.value === value && shapesEqual(input.shape, inputShapes[k])
      && input.read.element === read.element && Boolean(input.read.truth) === Boolean(read.truth));
    if (found < 0) found = inputs.push({ value, shape: inputShapes[k], read, readAt: at }) - 1;
    return found;
  });
  if (bindings + inputs.length > MAX_FUSED_INPUTS + 1) return null;
  return { link: { row, at, operand, args }, inputs };
}

/** The element of an input of `shape` that output element `index` (over `outShape`) reads, as WGSL with the shapes folded in. */
function broadcastOffset(shape: readonly number[], outShape: readonly number[]): string {
  if (shapesEqual(shape, outShape)) return 'index';
  const outStrides = stridesOf(outShape);
  const terms = broadcastStrides(shape, outShape).flatMap((stride, axis) => {
    if (stride === 0 || outShape[axis] === 1) return [];
    const coordinate = axis === 0 ? `(index / ${outStrides[axis]}u)` : `((index / ${outStrides[axis]}u) % ${outShape[axis]}u)`;
    return [stride === 1 ? coordinate : `${coordinate} * ${stride}u`];
  });
  return terms.length === 0 ? '0u' : terms.join(' + ');
}

/** The chain's generated matmul kernel and its dispatch, over the matmul's grid and uniforms. */
function fusedMatmulStep(chain: Chain): DispatchStep {
  const { matmul, site, links, inputs } = chain;
  const rows = links.map((link) => link.row.row);
  const name = `fused(${[site.name, ...rows.map((row) => row.name)].join('+')})`;
  const signature = matmul.kernel.signature;
  const firstBinding = Math.max(...signature.storage.map((binding) => binding.binding), signature.uniform?.binding ?? 0) + 1;
  const kernelInputs: KernelInput[] = inputs.map((input, k) => ({ name: `fusedIn${k}_`, ...input.read }));
  const loads = kernelInputs.map((input, k) => argumentOf(input, `${input.name}[${broadcastOffset(inputs[k].shape, site.outShape)}]`));
  const epilogue = [
    ...kernelInputs.map((input, k) => `@group(0) @binding(${firstBinding + k}) var<storage, read> ${input.name}: array<${input.element}>;`),
    ...rows.map((row, m) => rowFunction(`fusedOp${m}`, row)),
    'fn epilogue(v: f32, index: u32, j: u32) -> f32 {',
    '  let t0 = matmulEpilogue(v, index, j);',
    ...links.map((link, m) => `  let t${m + 1} = fusedOp${m}(${link.args.map((arg) => (arg < 0 ? `t${m}` : loads[arg])).join(', ')});`),
    `  return t${links.length};`,
    '}',
  ].join('\n');
  // The matmul's own epilogue (bias, activation) stays, renamed; the row preludes' helpers it
  // already declares (ieee.wgsl, stableMath.wgsl) are merged away.
  const matmulSource = site.source.replace(/\bfn epilogue\(/, 'fn matmulEpilogue(');
  const source = `${mergePreludes([matmulSource, ...rows.map((row) => row.prelude)]) as string}\n${epilogue}\n`;
  const compiled = generatedKernel(name, source).compile({ constants: { ...site.constants } });
  const byName = new Map<string, Value>(signature.storage.map((binding, k): [string, Value] => [binding.name, matmul.bindings[k]]));
  byName.set('out', links[links.length - 1].row.out);
  kernelInputs.forEach((input, k) => byName.set(input.name, inputs[k].value));
  return {
    kind: 'dispatch',
    label: name,
    kernel: compiled,
    ...bindingsByName(compiled.signature, byName),
    uniformBytes: matmul.uniformBytes,
    workgroups: matmul.workgroups,
    fusedOps: [site.name, ...rows.map((row) => row.name)],
  };
}
