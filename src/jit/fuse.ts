// Elementwise fusion: a chain (a tree) of elementwise dispatches whose intermediates nothing else
// reads becomes one generated kernel. Each op's row body becomes a WGSL function and the kernel's
// body composes them, so every op computes exactly what it computes eagerly, in float32, with the
// intermediates kept in registers instead of memory: results are bit-identical to eager.
import { broadcastingUniforms, elementwiseSource, elementwiseVectorSource, parameterOf, type KernelInput } from '../ops/elementwise';
import { broadcastUniforms } from '../ops/broadcast';
import { defineKernel, type Kernel } from '../runtime/kernel';
import { gridFor } from '../runtime/launch';
import { packUniforms, type UniformValues } from '../runtime/uniforms';
import type { ElementwiseRow } from '../runtime/capture';
import { shapesEqual, sizeOf } from '../shape';
import type { DispatchStep, Step, Value } from './trace';

/**
 * At most this many distinct inputs per fused kernel, plus its output: WebGPU's default
 * maxStorageBuffersPerShaderStage is 8, and a fused kernel must run wherever its ops ran.
 */
export const MAX_FUSED_INPUTS = 7;

/** One op of a fused group; each argument is an input of the group or an earlier member's result. */
interface Member { step: DispatchStep; args: ({ input: number } | { member: number })[] }

interface Group {
  members: Member[];
  /** The group's inputs: a value read at a shape, as one member reads it (its element type, and as a bool or not). */
  inputs: { value: Value; shape: readonly number[]; read: Omit<KernelInput, 'name'> }[];
  /** Index of the group's earliest step: its inputs must stay unwritten from there to the root. */
  first: number;
}

/**
 * The preludes of several rows as one: their top-level declarations (functions, constants), each
 * once. Rows share helpers (every unary op's prelude starts with shaders/stableMath.wgsl), so the
 * same declaration repeats; two different declarations of one name cannot share a kernel (null).
 */
export function mergePreludes(preludes: readonly string[]): string | null {
  const byName = new Map<string, string>();
  const merged: string[] = [];
  for (const prelude of new Set(preludes)) {
    for (const declaration of topLevelDeclarations(prelude)) {
      const name = /\b(?:fn|const|alias|override|struct|var)\s+(\w+)/.exec(declaration)?.[1] ?? declaration;
      const known = byName.get(name);
      if (known === undefined) {
        byName.set(name, declaration);
        merged.push(declaration);
      } else if (known !== declaration) {
        return null;
      }
    }
  }
  return merged.join('\n');
}

/** A WGSL source split into its top-level declarations, comments dropped. */
function topLevelDeclarations(source: string): string[] {
  const code = source.replace(/\/\/[^\n]*/g, '');
  const declarations: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < code.length; i++) {
    const char = code[i];
    if (char === '{') depth++;
    else if (char === '}') depth--;
    if (depth === 0 && (char === '}' || char === ';')) {
      const text = code.slice(start, i + 1).trim();
      // A struct's closing brace may be followed by a stray semicolon.
      if (text && text !== ';') declarations.push(text);
      start = i + 1;
    }
  }
  return declarations;
}

/** Where each value is read (a step index per binding that reads it) and written, in step order. */
export function valueUses(steps: readonly Step[]): {
  readers: Map<Value, number[]>;
  writers: Map<Value, number[]>;
  /** Whether a step strictly between `from` and `to` writes `value`. */
  writtenBetween: (value: Value, from: number, to: number) => boolean;
} {
  const readers = new Map<Value, number[]>();
  const writers = new Map<Value, number[]>();
  const note = (map: Map<Value, number[]>, value: Value, index: number): void => { map.set(value, [...(map.get(value) ?? []), index]); };
  steps.forEach((step, index) => {
    if (step.kind === 'dispatch') {
      step.bindings.forEach((value, k) => note(step.writes[k] ? writers : readers, value, index));
    } else if (step.kind === 'copy') {
      note(readers, step.source, index);
      note(writers, step.target, index);
    } else if (step.kind === 'upload') {
      note(writers, step.target, index);
    }
  });
  const writtenBetween = (value: Value, from: number, to: number): boolean =>
    (writers.get(value) ?? []).some((index) => index > from && index < to);
  return { readers, writers, writtenBetween };
}

/** A row as a WGSL function `name(inputs…) -> output` (its body's `return` gives the result). */
export function rowFunction(name: string, row: ElementwiseRow): string {
  return `fn ${name}(${row.inputs.map(parameterOf).join(', ')}) -> ${row.output} {\n${row.body}\n}\n`;
}

/**
 * The steps with every fusable group replaced by one dispatch of its fused kernel. `pinned` values
 * (returned, captured, kept) are never fused away: something outside the group needs them.
 */
export function fuseElementwise(steps: readonly Step[], pinned: ReadonlySet<Value>): Step[] {
  const { readers, writers, writtenBetween } = valueUses(steps);
  const reads = new Map([...readers].map(([value, indices]) => [value, indices.length]));

  const groups = new Map<number, Group>();
  const producers = new Map<Value, number>();
  steps.forEach((step, index) => {
    if (step.kind !== 'dispatch' || !step.row || step.refresh) return;
    const { row } = step.row;
    const group: Group = { members: [], inputs: [], first: index };
    const inputIndex = (value: Value, shape: readonly number[], read: Omit<KernelInput, 'name'>): number => {
      let k = group.inputs.findIndex((input) => input.value === value && shapesEqual(input.shape, shape)
        && input.read.element === read.element && Boolean(input.read.truth) === Boolean(read.truth));
      if (k < 0) k = group.inputs.push({ value, shape, read }) - 1;
      return k;
    };
    const args: Member['args'] = step.row.inputs.map((value, k) => {
      const producer = producers.get(value);
      const source = producer === undefined ? undefined : groups.get(producer);
      if (producer !== undefined && source && canAbsorb(source, value, k)) {
        groups.delete(producer);
        const offset = group.members.length;
        for (const member of source.members) {
          group.members.push({
            step: member.step,
            args: member.args.map((arg) => {
              if ('member' in arg) return { member: arg.member + offset };
              const input = source.inputs[arg.input];
              return { input: inputIndex(input.value, input.shape, input.read) };
            }),
          });
        }
        group.first = Math.min(group.first, source.first);
        return { member: group.members.length - 1 };
      }
      const { element, truth } = row.inputs[k];
      return { input: inputIndex(value, row.inputShapes[k], truth ? { element, truth } : { element }) };
    });
    group.members.push({ step, args });
    groups.set(index, group);
    producers.set(step.row.out, index);

    function canAbsorb(source: Group, value: Value, argument: number): boolean {
      const root = source.members[source.members.length - 1].step;
      const rootRow = root.row as NonNullable<DispatchStep['row']>;
      const known = new Set([...group.inputs, ...source.inputs].map((input) => `${input.value.id}:${input.shape.join(',')}`));
      const preludes = [...group.members, ...source.members].map((member) => member.step.row?.row.prelude ?? '').concat(row.prelude);
      return !pinned.has(value) && reads.get(value) === 1 && (writers.get(value) ?? []).length === 1
        && shapesEqual(rootRow.row.outShape, row.outShape)
        // The producer's result is passed on as it is: the argument must read it as that type, not as a bool.
        && !row.inputs[argument].truth && row.inputs[argument].element === rootRow.row.output
        // The arguments not yet seen may each add an input.
        && known.size + row.inputs.length - argument - 1 <= MAX_FUSED_INPUTS
        && mergePreludes(preludes) !== null
        && !source.inputs.some((input) => writtenBetween(input.value, source.first, index));
    }
  });

  const fused = new Map<number, DispatchStep>();
  for (const [index, group] of groups) if (group.members.length > 1) fused.set(index, fusedStep(group));
  const absorbed = new Set<Step>();
  for (const group of groups.values()) if (group.members.length > 1) for (const member of group.members) absorbed.add(member.step);
  return steps.flatMap((step, index) => fused.has(index) ? [fused.get(index) as DispatchStep] : absorbed.has(step) ? [] : [step]);
}

const fusedKernels = new Map<string, Kernel>();

/** The group's generated kernel and its one dispatch over the output shape. */
function fusedStep(group: Group): DispatchStep {
  const root = group.members[group.members.length - 1].step;
  const { row: rootRow, out } = root.row as NonNullable<DispatchStep['row']>;
  const name = `fused(${group.members.map((member) => member.step.row?.row.name).join('+')})`;
  const rows = group.members.map((member) => (member.step.row as NonNullable<DispatchStep['row']>).row);
  const preludes = mergePreludes(rows.map((row) => row.prelude)) as string;
  const functions = rows.map((row, m) => rowFunction(`op${m}`, row)).join('');
  const inputs: KernelInput[] = group.inputs.map((input, k) => ({ name: `in${k}`, ...input.read }));
  const inputNames = inputs.map((input) => input.name);
  const body = [
    ...group.members.map((member, m) => `  let t${m} = op${m}(${member.args.map((arg) => ('member' in arg ? `t${arg.member}` : inputNames[arg.input])).join(', ')});`),
    `  return t${group.members.length - 1};`,
  ].join('\n');
  const outShape = rootRow.outShape;
  const size = sizeOf(outShape);
  const splat = group.inputs.map((input) => sizeOf(input.shape) === 1 && size !== 1);
  const contiguous = group.inputs.every((input, k) => splat[k] || shapesEqual(input.shape, outShape));
  // The same two layouts as an eager elementwise kernel (src/ops/elementwise.ts): vec4 lanes over
  // contiguous inputs, else every input read through its broadcast strides.
  const source = contiguous
    ? elementwiseVectorSource(inputs, splat, body, `${preludes}\n${functions}`, rootRow.output)
    : elementwiseSource(inputs, body, `${preludes}\n${functions}`, rootRow.output);
  let kernel = fusedKernels.get(source);
  if (!kernel) {
    kernel = defineKernel(name, source);
    fusedKernels.set(source, kernel);
  }
  const compiled = kernel.compile();
  const { signature } = compiled;
  let uniforms: UniformValues;
  let threads: number;
  if (contiguous) {
    threads = Math.ceil(size / 4);
    uniforms = { count4: threads };
  } else {
    threads = size;
    const layout = broadcastUniforms(name, outShape, Object.fromEntries(group.inputs.map((input, k) => [String(k), input.shape])));
    uniforms = broadcastingUniforms(layout, group.inputs.length, size);
  }
  const layout = signature.uniform?.layout;
  const uniformBytes = layout ? new Uint8Array(layout.byteSize) : null;
  if (layout && uniformBytes) packUniforms(layout, uniforms, new DataView(uniformBytes.buffer), 0, name);
  const byName = new Map<string, Value>([...inputNames.map((input, k): [string, Value] => [`${input}_`, group.inputs[k].value]), ['out', out]]);
  const perGroup = signature.workgroupSize[0] * signature.workgroupSize[1] * signature.workgroupSize[2];
  return {
    kind: 'dispatch',
    label: name,
    kernel: compiled,
    bindings: signature.storage.map((binding) => byName.get(binding.name) as Value),
    writes: signature.storage.map((binding) => !binding.readOnly),
    uniformBytes,
    workgroups: gridFor(Math.ceil(threads / perGroup)),
    fusedOps: rows.map((row) => row.name),
  };
}
