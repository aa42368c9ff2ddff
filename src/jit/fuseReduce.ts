// A reduce pass with elementwise ops fused around it: the ops computing its terms run where the
// kernel loads a term (so the chain's result is never written to memory) and the ops reading its
// result run where it stores one. The generated WGSL is shaders/reduce.wgsl with its loadTerm and
// storeResult (shaders/reduceIO.wgsl's plain ones) replaced; the pass's uniforms, grid and
// summation order are unchanged, so results are bit-identical to the unfused ops. Siblings
// (src/jit/fuseSiblings.ts) are computed in loadTerm too and stored at the term's offset.
import { argumentOf, type KernelInput } from '../ops/elementwise';
import { sizeOf } from '../shape';
import { bindingsByName, generatedKernel, memberCalls, memberFunctions, mergePreludes, type Group, type Member, type MemberArg } from './fusedGroup';
import type { DispatchStep, RowBinding, Value } from './trace';


/** The group's generated kernel and its one dispatch, on the reduce pass's grid and uniforms. */
export function fusedReductionStep(group: Group): DispatchStep {
  const { step, pass, term } = group.reduction as NonNullable<Group['reduction']>;
  const siblings = group.siblings ?? [];
  const rowOf = (member: Group['members'][number]): RowBinding => member.step.row as RowBinding;
  const namesAt = (stage: Member['stage']): string[] => group.members.filter((member) => member.stage === stage).map((member) => rowOf(member).row.name);
  const results = group.members.filter((member) => member.stage === 'result');
  const own = [...namesAt('term'), 'reduce', ...namesAt('result')];
  const siblingNames = siblings.map((sibling) => group.members.slice(sibling.from, sibling.member + 1).map((member) => rowOf(member).row.name));
  // One `+`-joined list per output: fused(binaryCrossentropy+reduce+div | binaryCrossentropy.grad.p+sigmoid.grad.x).
  const name = `fused(${[own, ...siblingNames].map((names) => names.join('+')).join(' | ')})`;
  const inputs: KernelInput[] = group.inputs.map((input, k) => ({ name: `in${k}`, ...input.read }));
  // Scalars are read at 0; other inputs at the term's offset (terms) or the result's index (results).
  const argument = (arg: MemberArg, index: string): string => {
    if ('member' in arg) return `t${arg.member}`;
    if ('reduced' in arg) return 'value';
    if ('literal' in arg) return arg.literal;
    const loaded = sizeOf(group.inputs[arg.input].shape) === 1 ? '0u' : index;
    return argumentOf(inputs[arg.input], `${inputs[arg.input].name}_[${loaded}]`);
  };
  const last = results.length > 0 ? rowOf(results[results.length - 1]) : null;
  const output = last ? last.row.output : pass.accumulator;
  const io = [
    ...inputs.map((input, k) => `@group(0) @binding(${k + 1}) var<storage, read> ${input.name}_: array<${input.element}>;`),
    `@group(0) @binding(${inputs.length + 1}) var<storage, read_write> out: array<${output}>;`,
    ...siblings.map((sibling, j) => `@group(0) @binding(${inputs.length + 2 + j}) var<storage, read_write> sibling${j}: array<${sibling.element}>;`),
    'fn loadTerm(offset: u32) -> Accumulator {',
    memberCalls(group.members, (member) => member.stage !== 'result', (arg) => argument(arg, 'offset')),
    ...siblings.map((sibling, j) => `  sibling${j}[offset] = t${sibling.member};`),
    `  return Accumulator(${argument(term, 'offset')});`,
    '}',
    'fn storeResult(i: u32, value: Accumulator) {',
    memberCalls(group.members, (member) => member.stage === 'result', (arg) => argument(arg, 'i')),
    `  out[i] = ${results.length > 0 ? `t${group.members.indexOf(results[results.length - 1])}` : 'value'};`,
    '}',
  ].join('\n');
  // The reduce kernel's own declarations first; a row prelude repeating one is merged away.
  const declarations = mergePreludes([pass.source, ...group.members.map((member) => rowOf(member).row.prelude)]) as string;
  const source = `${declarations}\n${memberFunctions(group.members)}${io}\n`;
  const compiled = generatedKernel(name, source).compile(pass.variant);
  const { signature } = compiled;
  const out = last ? last.out : (step.reduction as NonNullable<DispatchStep['reduction']>).out;
  const byName = new Map<string, Value>([...inputs.map((input, k): [string, Value] => [`${input.name}_`, group.inputs[k].value]), ['out', out],
    ...siblings.map((sibling, j): [string, Value] => [`sibling${j}`, sibling.out])]);
  return {
    kind: 'dispatch',
    label: name,
    kernel: compiled,
    ...bindingsByName(signature, byName),
    uniformBytes: step.uniformBytes,
    workgroups: step.workgroups,
    fusedOps: [...own, ...siblingNames.flat()],
  };
}
