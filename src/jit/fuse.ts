// Elementwise fusion: a chain (a tree) of elementwise dispatches whose intermediates nothing else
// reads becomes one generated kernel, alone or around a reduce pass (src/jit/fuseReduce.ts). Each
// op's row body becomes a WGSL function and the kernel's body composes them, so every op computes
// exactly what it computes eagerly, in float32, with the intermediates kept in registers instead
// of memory: results are bit-identical to eager.
import { broadcastingLaunch, elementwiseSource, elementwiseVectorSource, vectorLaunch, type KernelInput } from '../ops/elementwise';
import { broadcastUniforms } from '../ops/broadcast';
import { gridFor } from '../runtime/launch';
import { shapesEqual, sizeOf } from '../shape';
import { fusedReductionStep } from './fuseReduce';
import { fuseSiblings } from './fuseSiblings';
import { foldingRules } from './fold';
import { MAX_FUSED_INPUTS, absorb, bindingsByName, generatedKernel, inputIndex, memberCalls, memberFunctions, mergePreludes, outputOf, packedUniforms, type Group, type MemberArg } from './fusedGroup';
import type { ElementwiseRow } from '../runtime/capture';
import type { DispatchStep, ReductionBinding, RowBinding, Step, Value } from './trace';

/**
 * The steps with every fusable group replaced by one dispatch of its fused kernel. `pinned` values
 * (returned, captured, kept) are never fused away: something outside the group needs them.
 * `constants`: the values folding made constant so far. Besides chains of elementwise ops, a
 * reduce pass absorbs the elementwise chain computing its input (into its loads, on its first
 * pass) and the elementwise ops reading its result (into its stores, on its last pass), whose
 * other inputs it reads at the same flat index (or a scalar); its first pass also computes and
 * writes the elementwise groups over its input's elements that can run beside it
 * (src/jit/fuseSiblings.ts).
 */
export function fuseElementwise(steps: readonly Step[], pinned: ReadonlySet<Value>, constants: ReadonlySet<Value> = new Set()): Step[] {
  const reads = new Map<Value, number>();
  const writers = new Map<Value, number[]>();
  const count = (map: Map<Value, number>, value: Value): void => { map.set(value, (map.get(value) ?? 0) + 1); };
  steps.forEach((step, index) => {
    const written: Value[] = [];
    if (step.kind === 'dispatch') {
      step.bindings.forEach((value, k) => (step.writes[k] ? written.push(value) : count(reads, value)));
      // A fused kernel does not bind what its rows never read (see unusedInputs); every row is fused, alone if need be.
      if (step.row && !step.refresh) for (const k of unusedInputs(step.row.row)) reads.set(step.row.inputs[k], (reads.get(step.row.inputs[k]) ?? 0) - 1);
    } else if (step.kind === 'copy') {
      count(reads, step.source);
      written.push(step.target);
    } else if (step.kind === 'upload') {
      written.push(step.target);
    }
    for (const value of written) writers.set(value, [...(writers.get(value) ?? []), index]);
  });
  const writtenBetween = (value: Value, from: number, to: number): boolean =>
    (writers.get(value) ?? []).some((index) => index > from && index < to);
  /** Whether a group's result may be computed in registers by whatever reads it: read once, written once, needed nowhere else. */
  const isPrivate = (value: Value): boolean => !pinned.has(value) && reads.get(value) === 1 && (writers.get(value) ?? []).length === 1;

  const groups = new Map<number, Group>();
  const producers = new Map<Value, number>();
  steps.forEach((step, index) => {
    if (step.kind !== 'dispatch' || step.refresh) return;
    if (step.reduction) {
      const group = reductionGroup(step, step.reduction, index);
      groups.set(index, group);
      producers.set(step.reduction.out, index);
      return;
    }
    if (!step.row) return;
    const { row } = step.row;
    const group: Group = { members: [], inputs: [], first: index };
    const unused = unusedInputs(row);
    const args: MemberArg[] = step.row.inputs.map((value, k) => {
      if (unused.includes(k)) return { literal: row.inputs[k].truth ? 'false' : `${row.inputs[k].element}(0)` };
      const producer = producers.get(value);
      const source = producer === undefined ? undefined : groups.get(producer);
      if (producer !== undefined && source && canAbsorb(source, value, k)) {
        groups.delete(producer);
        const result = absorb(group, source, 'result');
        group.first = Math.min(group.first, source.first);
        return result;
      }
      const { element, truth } = row.inputs[k];
      return { input: inputIndex(group, value, row.inputShapes[k], truth ? { element, truth } : { element }) };
    });
    group.members.push({ step, args, stage: 'result' });
    groups.set(index, group);
    producers.set(step.row.out, index);

    function canAbsorb(source: Group, value: Value, argument: number): boolean {
      const output = outputOf(source);
      const known = new Set([...group.inputs, ...source.inputs].map((input) => `${input.value.id}:${input.shape.join(',')}`));
      const preludes = [...group.members, ...source.members].map((member) => member.step.row?.row.prelude ?? '').concat(row.prelude, source.reduction?.pass.source ?? '');
      // One reduction per group, whose other ops all read at its output's flat index: the row's
      // other inputs are its shape or scalars, and nothing else is fused into the row.
      const aroundReduction = source.reduction
        ? group.members.length === 0 && source.reduction.pass.last && sizeOf(row.outShape) === sizeOf(source.reduction.pass.outShape)
          && row.inputShapes.every((shape, k) => k === argument || shapesEqual(shape, row.outShape) || sizeOf(shape) === 1)
        : !group.reduction && shapesEqual(output.shape, row.outShape);
      return isPrivate(value) && aroundReduction
        // The producer's result is passed on as it is: the argument must read it as that type, not as a bool.
        && !row.inputs[argument].truth && row.inputs[argument].element === output.element
        // The arguments not yet seen may each add an input.
        && known.size + row.inputs.length - argument - 1 <= MAX_FUSED_INPUTS
        && mergePreludes(preludes) !== null
        && !source.inputs.some((input) => writtenBetween(input.value, source.first, index));
    }
  });

  /** A reduce pass as a group: on its first pass it takes in the elementwise chain computing its input, if that chain fits. */
  function reductionGroup(step: DispatchStep, binding: ReductionBinding, index: number): Group {
    const { pass, input } = binding;
    const group: Group = { members: [], inputs: [], first: index };
    const producer = producers.get(input);
    const source = producer === undefined ? undefined : groups.get(producer);
    const fits = (chain: Group): boolean => {
      const output = outputOf(chain);
      return !chain.reduction && isPrivate(input) && output.element === pass.element && sizeOf(output.shape) === sizeOf(pass.inputShape)
        // Terms are read at one flat index: every input of the chain is its shape or a scalar.
        && chain.inputs.every((chainInput) => shapesEqual(chainInput.shape, output.shape) || sizeOf(chainInput.shape) === 1)
        && mergePreludes([pass.source, ...chain.members.map((member) => member.step.row?.row.prelude ?? '')]) !== null
        && !chain.inputs.some((chainInput) => writtenBetween(chainInput.value, chain.first, index));
    };
    let term: MemberArg;
    if (pass.first && producer !== undefined && source && fits(source)) {
      groups.delete(producer);
      term = absorb(group, source, 'term');
      group.first = source.first;
    } else {
      term = { input: inputIndex(group, input, pass.inputShape, { element: pass.element }) };
    }
    group.reduction = { step, pass, term };
    return group;
  }

  // A group reading only constants is folded after fusion (jit.ts): it runs once, not as a sibling every call.
  const { isConstant, foldable } = foldingRules(steps, pinned, constants);
  fuseSiblings(groups, steps, (group) => group.inputs.every((input) => isConstant(input.value)) && foldable(outputOf(group).value));

  const fused = new Map<number, DispatchStep>();
  const absorbed = new Set<Step>();
  for (const [index, group] of groups) {
    const pruned = group.members.some((member) => member.args.some((arg) => 'literal' in arg));
    if (group.members.length < (group.reduction || pruned ? 1 : 2)) continue;
    fused.set(index, group.reduction ? fusedReductionStep(group) : fusedStep(group));
    for (const member of group.members) absorbed.add(member.step);
    for (const reduction of [group.reduction, group.twin]) if (reduction) absorbed.add(reduction.step);
  }
  return steps.flatMap((step, index) => fused.has(index) ? [fused.get(index) as DispatchStep] : absorbed.has(step) ? [] : [step]);
}

/**
 * The inputs a row's body never names: a gradient row is given its op's inputs, output and dy
 * whether it uses them or not (binaryCrossentropy's ignores its output). A fused kernel passes
 * such an argument a zero instead of binding it, so the value it would have read may be fused away.
 */
function unusedInputs(row: ElementwiseRow): number[] {
  return row.inputs.flatMap((input, k) => (new RegExp(`\\b${input.name}\\b`).test(row.body) ? [] : [k]));
}

/** The group's generated kernel and its one dispatch over the output shape. */
function fusedStep(group: Group): DispatchStep {
  const root = group.members[group.members.length - 1].step;
  const { row: rootRow, out } = root.row as RowBinding;
  const names = group.members.map((member) => (member.step.row as RowBinding).row.name);
  // One op alone (regenerated without the inputs it never reads) keeps its own name.
  const name = names.length === 1 ? names[0] : `fused(${names.join('+')})`;
  const rows = group.members.map((member) => (member.step.row as RowBinding).row);
  const preludes = mergePreludes(rows.map((row) => row.prelude)) as string;
  const functions = memberFunctions(group.members);
  const inputs: KernelInput[] = group.inputs.map((input, k) => ({ name: `in${k}`, ...input.read }));
  const inputNames = inputs.map((input) => input.name);
  const body = [
    memberCalls(group.members, () => true, (arg) => ('member' in arg ? `t${arg.member}` : 'input' in arg ? inputNames[arg.input] : 'literal' in arg ? arg.literal : '')),
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
  const { uniforms, variant, threads } = contiguous
    ? vectorLaunch(size)
    : broadcastingLaunch(broadcastUniforms(name, outShape, Object.fromEntries(group.inputs.map((input, k) => [String(k), input.shape]))), group.inputs.length, size);
  const compiled = generatedKernel(name, source).compile(variant);
  const { signature } = compiled;
  const uniformBytes = packedUniforms(signature.uniform?.layout, uniforms, name);
  const byName = new Map<string, Value>([...inputNames.map((input, k): [string, Value] => [`${input}_`, group.inputs[k].value]), ['out', out]]);
  const perGroup = signature.workgroupSize[0] * signature.workgroupSize[1] * signature.workgroupSize[2];
  return {
    kind: 'dispatch',
    label: name,
    kernel: compiled,
    ...bindingsByName(signature, byName),
    uniformBytes,
    workgroups: gridFor(Math.ceil(threads / perGroup)),
    ...(names.length > 1 ? { fusedOps: names } : {}),
  };
}
