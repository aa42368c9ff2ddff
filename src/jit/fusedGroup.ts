// A fused group: the ops (elementwise rows) one generated kernel computes, the values it reads,
// and, for a group around a reduce pass, which ops feed its terms and which work on its results.
// src/jit/fuse.ts forms the groups (fuseSiblings.ts merges some into reductions' groups); fuse.ts,
// fuseReduce.ts and fuseMatmul.ts generate their kernels from the rows' bodies with the helpers here.
import { parameterOf, type KernelInput } from '../ops/elementwise';
import type { ElementwiseRow, ReductionPass } from '../runtime/capture';
import { defineKernel, type Kernel } from '../runtime/kernel';
import type { KernelSignature } from '../runtime/reflection';
import { packUniforms, type UniformLayout, type UniformValues } from '../runtime/uniforms';
import { shapesEqual } from '../shape';
import type { DispatchStep, ReductionBinding, RowBinding, Step, Value } from './trace';

/**
 * Where a member's argument comes from: a group input, an earlier member, a fused reduction's
 * result, or a WGSL literal (a zero for an argument the row never reads).
 */
export type MemberArg = { input: number } | { member: number } | { reduced: true } | { literal: string };

/**
 * One op of a fused group. In a group around a reduction, `stage` says whether the op computes the
 * reduction's terms (fused into its loads), works on its results (fused into its stores), or
 * computes a sibling: an elementwise result over the reduction's input elements, stored beside
 * each loaded term (src/jit/fuseSiblings.ts).
 */
export interface Member {
  step: DispatchStep;
  args: MemberArg[];
  stage: 'term' | 'result' | 'sibling';
  /** 1 for the terms and results of the group's twin reduction. */
  lane?: 1;
}

/** A sibling output of a reduction's group: members `from`…`member` compute it, `member` is its value, `out` where it goes. */
export interface Sibling { from: number; member: number; out: Value; element: 'f32' | 'i32' }

export interface GroupInput { value: Value; shape: readonly number[]; read: Omit<KernelInput, 'name'> }

export interface Group {
  members: Member[];
  /** The group's inputs: a value read at a shape, as one member reads it (its element type, and as a bool or not). */
  inputs: GroupInput[];
  /** Index of the group's earliest step: its inputs must stay unwritten from there to the root. */
  first: number;
  /** A reduce pass the members fuse around; its terms are `term` (an input as stored, or a member's result). */
  reduction?: GroupReduction;
  /** Elementwise results over the reduction's input elements that its first pass also writes. */
  siblings?: Sibling[];
  /**
   * A second reduce pass over the same elements, the same axes and op, folded in the same loop as
   * a second lane of the accumulator (src/jit/fuseSiblings.ts); its members have `lane` 1.
   */
  twin?: GroupReduction;
}

export interface GroupReduction { step: DispatchStep; pass: ReductionPass; term: MemberArg }

/**
 * At most this many distinct inputs per fused kernel, plus its output: WebGPU's default
 * maxStorageBuffersPerShaderStage is 8, and a fused kernel must run wherever its ops ran.
 */
export const MAX_FUSED_INPUTS = 7;

/** The index of a group input (added when new): a value read at a shape and type. */
export function inputIndex(group: Group, value: Value, shape: readonly number[], read: Omit<KernelInput, 'name'>): number {
  let k = group.inputs.findIndex((input) => input.value === value && shapesEqual(input.shape, shape)
    && input.read.element === read.element && Boolean(input.read.truth) === Boolean(read.truth));
  if (k < 0) k = group.inputs.push({ value, shape, read }) - 1;
  return k;
}

/**
 * Appends `source`'s members to `group` (renumbering their arguments); returns the argument that
 * reads source's result. With `lane` 1, source's reduction becomes group's twin.
 */
export function absorb(group: Group, source: Group, stage: Member['stage'], lane?: 1): MemberArg {
  const offset = group.members.length;
  const renumber = (arg: MemberArg): MemberArg => {
    if (!('input' in arg)) return 'member' in arg ? { member: arg.member + offset } : arg;
    const input = source.inputs[arg.input];
    return { input: inputIndex(group, input.value, input.shape, input.read) };
  };
  for (const member of source.members) {
    group.members.push({ step: member.step, stage: source.reduction ? member.stage : stage, args: member.args.map(renumber), ...(lane ? { lane } : {}) });
  }
  if (source.reduction) group[lane ? 'twin' : 'reduction'] = { ...source.reduction, term: renumber(source.reduction.term) };
  const results = source.members.filter((member) => !source.reduction || member.stage === 'result');
  return results.length === 0 ? { reduced: true } : { member: group.members.length - 1 };
}

/**
 * What a group writes (besides its siblings' and, unless `lane` is 1, its twin's): its last op's
 * result, or its reduction's when no op follows it.
 */
export function outputOf(group: Group, lane?: 1): { value: Value; shape: readonly number[]; element: 'f32' | 'i32' } {
  const own = group.members.filter((member) => member.stage !== 'sibling' && member.lane === lane);
  const last = own[own.length - 1];
  const reduction = lane ? group.twin : group.reduction;
  if (reduction && (!last || last.stage === 'term')) {
    return { value: (reduction.step.reduction as ReductionBinding).out, shape: reduction.pass.outShape, element: reduction.pass.accumulator };
  }
  const { row, out } = last.step.row as RowBinding;
  return { value: out, shape: row.outShape, element: row.output };
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
      const name = declarationName(declaration);
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

/** The name a top-level WGSL declaration declares (a binding's variable name), or the declaration itself (a directive). */
function declarationName(declaration: string): string {
  // The bundle minifies WGSL: `var<storage,read>x` has no space before the name.
  return /\b(?:(?:fn|const|alias|override|struct|var)\s+|var<[^>]*>\s*)(\w+)/.exec(declaration)?.[1] ?? declaration;
}

/** A WGSL source without its top-level declarations of `names` (comments dropped), to be declared anew. */
export function withoutDeclarations(source: string, names: readonly string[]): string {
  return topLevelDeclarations(source).filter((declaration) => !names.includes(declarationName(declaration))).join('\n');
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

/** Each member's row as a WGSL function `op<m>`. */
export function memberFunctions(members: readonly Member[]): string {
  return members.map((member, m) => rowFunction(`op${m}`, (member.step.row as RowBinding).row)).join('');
}

/** `let t<m> = op<m>(…);` for the members with index in `which`, each argument written by `argument`. */
export function memberCalls(members: readonly Member[], which: (member: Member) => boolean, argument: (arg: MemberArg) => string): string {
  return members.flatMap((member, m) => (which(member) ? [`  let t${m} = op${m}(${member.args.map(argument).join(', ')});`] : [])).join('\n');
}

/** Where each value is read (a step index per binding that reads it) and written, in step order. */
export function valueUses(steps: readonly Step[]): {
  readers: Map<Value, number[]>;
  writers: Map<Value, number[]>;
  /** Whether a step strictly between `from` and `to` writes `value`. */
  writtenBetween: (value: Value, from: number, to: number) => boolean;
  /** Whether a step strictly between `from` and `to` reads or writes `value`. */
  touchedBetween: (value: Value, from: number, to: number) => boolean;
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
  const between = (indices: readonly number[], from: number, to: number): boolean => indices.some((index) => index > from && index < to);
  const writtenBetween = (value: Value, from: number, to: number): boolean => between(writers.get(value) ?? [], from, to);
  const touchedBetween = (value: Value, from: number, to: number): boolean =>
    writtenBetween(value, from, to) || between(readers.get(value) ?? [], from, to);
  return { readers, writers, writtenBetween, touchedBetween };
}

/** A row as a WGSL function `name(inputs…) -> output` (its body's `return` gives the result). */
export function rowFunction(name: string, row: ElementwiseRow): string {
  return `fn ${name}(${row.inputs.map(parameterOf).join(', ')}) -> ${row.output} {\n${row.body}\n}\n`;
}

const generatedKernels = new Map<string, Kernel>();

/** The kernel of a generated source, defined once per distinct source (named by the first group to need it). */
export function generatedKernel(name: string, source: string): Kernel {
  let kernel = generatedKernels.get(source);
  if (!kernel) {
    kernel = defineKernel(name, source);
    generatedKernels.set(source, kernel);
  }
  return kernel;
}

/** A compiled kernel's storage bindings in order, each the value its name is given in `byName`, and which of them it writes. */
export function bindingsByName(signature: KernelSignature, byName: ReadonlyMap<string, Value>): { bindings: Value[]; writes: boolean[] } {
  return {
    bindings: signature.storage.map((binding) => byName.get(binding.name) as Value),
    writes: signature.storage.map((binding) => !binding.readOnly),
  };
}

/** Uniform values packed as a generated kernel's layout lays them out (what a trace would have captured), or null without uniforms. */
export function packedUniforms(layout: UniformLayout | undefined, values: UniformValues, kernel: string): Uint8Array<ArrayBuffer> | null {
  if (!layout) return null;
  const bytes = new Uint8Array(layout.byteSize);
  packUniforms(layout, values, new DataView(bytes.buffer), 0, kernel);
  return bytes;
}
