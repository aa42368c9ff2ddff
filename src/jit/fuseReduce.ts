// A reduce pass with elementwise ops fused around it: the ops computing its terms run where the
// kernel loads a term (so the chain's result is never written to memory) and the ops reading its
// result run where it stores one. The generated WGSL is shaders/reduce.wgsl with its loadTerm and
// storeResult (shaders/reduceIO.wgsl's plain ones) replaced; the pass's uniforms, grid and
// summation order are unchanged, so results are bit-identical to the unfused ops. Siblings
// (src/jit/fuseSiblings.ts) are computed in loadTerm too and stored at the term's offset; a twin
// reduction is the accumulator's second lane (a vec2, added and compared lane by lane).
import { argumentOf, type KernelInput } from '../ops/elementwise';
import { rebindAliases } from '../runtime/kernel';
import { sizeOf } from '../shape';
import { bindingsByName, generatedKernel, memberCalls, memberFunctions, mergePreludes, outputOf, type Group, type Member, type MemberArg } from './fusedGroup';
import type { DispatchStep, RowBinding, Value } from './trace';

/** The group's generated kernel and its one dispatch, on the reduce pass's grid and uniforms. */
export function fusedReductionStep(group: Group): DispatchStep {
  const { step, pass, term } = group.reduction as NonNullable<Group['reduction']>;
  const { twin } = group;
  const siblings = group.siblings ?? [];
  const lanes: (1 | undefined)[] = twin ? [undefined, 1] : [undefined];
  const rowOf = (member: Member): RowBinding => member.step.row as RowBinding;
  const inLane = (lane: 1 | undefined, stage: Member['stage']) => (member: Member): boolean => member.stage === stage && member.lane === lane;
  const namesOf = (members: readonly Member[]): string[] => members.map((member) => rowOf(member).row.name);
  // One `+`-joined list per output: fused(binaryCrossentropy+reduce+div | binaryCrossentropy.grad.p+sigmoid.grad.x).
  const outputs = [
    ...lanes.map((lane) => [...namesOf(group.members.filter(inLane(lane, 'term'))), 'reduce', ...namesOf(group.members.filter(inLane(lane, 'result')))]),
    ...siblings.map((sibling) => namesOf(group.members.slice(sibling.from, sibling.member + 1))),
  ];
  const name = `fused(${outputs.map((names) => names.join('+')).join(' | ')})`;
  const inputs: KernelInput[] = group.inputs.map((input, k) => ({ name: `in${k}`, ...input.read }));
  // Scalars are read at 0; other inputs at the term's offset (terms) or the result's index (results).
  const argument = (arg: MemberArg, index: string, reduced = 'value'): string => {
    if ('member' in arg) return `t${arg.member}`;
    if ('reduced' in arg) return reduced;
    if ('literal' in arg) return arg.literal;
    const loaded = sizeOf(group.inputs[arg.input].shape) === 1 ? '0u' : index;
    return argumentOf(inputs[arg.input], `${inputs[arg.input].name}_[${loaded}]`);
  };
  // Each lane's result: `value`, or value.x and value.y with a twin.
  const laneValue = (lane: 1 | undefined): string => (twin ? `value.${lane ? 'y' : 'x'}` : 'value');
  const laneOutputs = lanes.map((lane, k) => {
    const results = group.members.filter(inLane(lane, 'result'));
    const last = results[results.length - 1];
    return { lane, binding: k === 0 ? 'out' : 'out2', stored: last ? `t${group.members.indexOf(last)}` : laneValue(lane), ...outputOf(group, lane) };
  });
  const terms = [term, ...(twin ? [twin.term] : [])].map((arg) => argument(arg, 'offset'));
  const io = [
    ...inputs.map((input, k) => `@group(0) @binding(${k + 1}) var<storage, read> ${input.name}_: array<${input.element}>;`),
    ...laneOutputs.map((output, k) => `@group(0) @binding(${inputs.length + 1 + k}) var<storage, read_write> ${output.binding}: array<${output.element}>;`),
    ...siblings.map((sibling, j) => `@group(0) @binding(${inputs.length + 1 + lanes.length + j}) var<storage, read_write> sibling${j}: array<${sibling.element}>;`),
    'fn loadTerm(offset: u32) -> Accumulator {',
    memberCalls(group.members, (member) => member.stage !== 'result', (arg) => argument(arg, 'offset')),
    ...siblings.map((sibling, j) => `  sibling${j}[offset] = t${sibling.member};`),
    `  return Accumulator(${terms.join(', ')});`,
    '}',
    'fn storeResult(i: u32, value: Accumulator) {',
    ...lanes.map((lane) => memberCalls(group.members, inLane(lane, 'result'), (arg) => argument(arg, 'i', laneValue(lane)))),
    ...laneOutputs.map((output) => `  ${output.binding}[i] = ${output.stored};`),
    '}',
  ].join('\n');
  // The reduce kernel's own declarations first; a row prelude repeating one is merged away.
  const declarations = mergePreludes([pass.source, ...group.members.map((member) => rowOf(member).row.prelude)]) as string;
  const core = twin ? rebindAliases(declarations, {
    Accumulator: `vec2<${pass.accumulator}>`, AccumulatorFloat: 'vec2<f32>', AccumulatorBits: 'vec2<u32>', AccumulatorTruth: 'vec2<bool>',
  }) : declarations;
  const source = `${core}\n${memberFunctions(group.members)}${io}\n`;
  // A twin's accumulator is already rebound in the source; the variant must not rebind it to a scalar.
  const variant = twin ? { ...pass.variant, aliases: { Element: pass.element } } : pass.variant;
  const compiled = generatedKernel(name, source).compile(variant);
  const { signature } = compiled;
  const byName = new Map<string, Value>([
    ...inputs.map((input, k): [string, Value] => [`${input.name}_`, group.inputs[k].value]),
    ...laneOutputs.map((output): [string, Value] => [output.binding, output.value]),
    ...siblings.map((sibling, j): [string, Value] => [`sibling${j}`, sibling.out]),
  ]);
  return {
    kind: 'dispatch',
    label: name,
    kernel: compiled,
    ...bindingsByName(signature, byName),
    uniformBytes: step.uniformBytes,
    workgroups: step.workgroups,
    fusedOps: outputs.flat(),
  };
}
