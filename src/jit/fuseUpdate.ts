// Optimizer-update fusion: a parameter whose gradient one kernel makes and only its optimizer update
// reads is updated by that kernel: where it would store a gradient element, it applies the rule to
// that element of the parameter and its slots (src/jit/updateStore.ts), so the gradient is never
// written to memory and the parameter leaves its update group (whose kernel is regenerated for the
// rest, or dropped). The producer moves to the update's place, after every read of the old
// parameter (the dX = dz·Wᵀ matmul reading W); one making two gradients (a weight's and its bias's)
// takes both updates, even from two groups, and runs at the later one's place, provided nothing in
// between touches the earlier one's parameter or slots. Producers that take it: the tiled matmul
// (Dense's dW = xᵀ·dz) through its `storeOutput`, the bias-gradient product (dW and db = sum(dz,
// 0), src/jit/fuseBiasGradient.ts) through `matrixStoreOutput` and `storeColumnSum`, and a
// reduction's last pass (db alone) through its `storeResult`.
import reduceIOSource from '../../shaders/reduceIO.wgsl';
import { getDevice, isCpuAdapter } from '../runtime/device';
import { gridFor } from '../runtime/launch';
import type { UniformValues } from '../runtime/uniforms';
import type { UpdateSite } from '../runtime/capture';
import type { KernelVariant } from '../runtime/kernel';
import { sizeOf } from '../shape';
import { bindingsByName, generatedKernel, packedUniforms, valueUses, withoutDeclarations } from './fusedGroup';
import type { DispatchStep, Step, Value } from './trace';
import { scalarRule, updateStoreFunction, withParamsMembers } from './updateStore';

/**
 * A function every store of one output goes through (replaced by the update), its parameter list,
 * the element index and the value it stores (a matmul's goes through its epilogue first), and the
 * output binding it writes (dropped).
 */
interface Store { fn: string; parameters: string; index: string; value: string; out: string }

/** Bindings a kernel can do without, and what stands in for them. */
interface Spare { bindings: string[]; declarations: string[]; constants: Record<string, number> }

/** What a producer's kernel offers updates: its source, a store per output, and bindings it can spare. */
interface Host {
  /** The op's name in the fused kernel's name: `matmul`, `matmul+sum`, `reduce`. */
  name: string;
  source: string;
  variant: KernelVariant;
  stores: Store[];
  /** Storage bindings that may be dropped to make room, cheapest first, each with the declarations (and constants) replacing it. */
  spares: Spare[];
  /** The output's element count each store writes, by output binding. */
  sizes: Map<string, number>;
}

/** The producer's kernel as a host of update stores, or null when it is not one that takes them. */
function hostOf(step: DispatchStep): Host | null {
  if (step.matmul && (!step.fusedOps || (step.columnSums && step.fusedOps.length === 2))) {
    const { source, constants, name, outShape } = step.matmul;
    // First the bias, a placeholder binding where the product has none (never read then). Then the
    // vec4 views of A and B, a second binding each: without them every load is scalar (the same
    // values; on SwiftShader no slower, bench/NOTES.md). Dropped bindings stay declared as private
    // arrays, never read.
    const spares: Spare[] = [
      ...(constants.HAS_BIAS ? [] : [{ bindings: ['bias'], declarations: ['var<private> bias: array<f32, 1>;'], constants: {} }]),
      {
        bindings: ['a4', 'b4'],
        declarations: ['var<private> a4: array<vec4<f32>, 1>;', 'var<private> b4: array<vec4<f32>, 1>;'],
        constants: { VEC4_A: 0, VEC4_B: 0 },
      },
    ];
    const matrix = { fn: step.columnSums ? 'matrixStoreOutput' : 'storeOutput', parameters: 'index: u32, j: u32, v: f32', index: 'index', value: 'epilogue(v, index, j)', out: 'out' };
    const stores = step.columnSums ? [matrix, { fn: 'storeColumnSum', parameters: 'j: u32, v: f32', index: 'j', value: 'v', out: 'columnSums' }] : [matrix];
    const sizes = new Map([['out', sizeOf(outShape)], ['columnSums', outShape[outShape.length - 1]]]);
    return { name, source, variant: { constants: { ...constants } }, stores, spares, sizes };
  }
  const pass = step.reduction?.pass;
  if (pass && pass.last && pass.accumulator === 'f32' && !step.fusedOps) {
    const store = { fn: 'storeResult', parameters: 'index: u32, value: Accumulator', index: 'index', value: 'f32(value)', out: 'out' };
    return { name: 'reduce', source: pass.source + reduceIOSource, variant: pass.variant, stores: [store], spares: [], sizes: new Map([['out', sizeOf(pass.outShape)]]) };
  }
  return null;
}

/**
 * On CPU adapters a matmul takes the updates of parameters up to this many elements only. Its
 * stores apply the rule one element at a time in each invocation's register tile, which SwiftShader
 * runs far slower than the update group's vec4 kernel: Dense 784→256's dW + db with Adam took 20 ms
 * fused against 10 + 3 apart, 256→128's dW 2.5 against 1.5 + 0.5 (the MLP of `npm run bench`, one
 * step, wg.profile); from 1,280 elements down fusing costs nothing there and saves a dispatch.
 * GPUs take every update (they store scattered elements at no such cost).
 */
const CPU_MAX_MATMUL_UPDATE = 4096;

/**
 * The steps with each parameter whose gradient one matmul or reduce pass makes, and only its update
 * group reads, updated by that kernel at the group's place. `pinned` values (returned, kept) are never fused away.
 */
export function fuseUpdates(steps: readonly Step[], pinned: ReadonlySet<Value>): Step[] {
  const { readers, writers, writtenBetween, touchedBetween } = valueUses(steps);
  const storageLimit = getDevice().limits.maxStorageBuffersPerShaderStage;
  const cpu = isCpuAdapter();
  // Each producer's candidate updates: a group's tensor whose gradient it alone writes for that group's update alone.
  const candidates = new Map<number, Share[]>();
  steps.forEach((step, at) => {
    const site = step.kind === 'dispatch' ? step.update : undefined;
    if (step.kind !== 'dispatch' || !site || !site.regroup || !scalarRule(site)) return;
    const valueOf = valuesOf(step);
    site.tensors.forEach((tensor, k) => {
      const grad = valueOf.get(tensor.grad) as Value;
      const producedAt = writers.get(grad) ?? [];
      const readAt = readers.get(grad) ?? [];
      const from = producedAt[0];
      if (pinned.has(grad) || producedAt.length !== 1 || readAt.length !== 1 || readAt[0] !== at || !(from < at)) return;
      candidates.set(from, [...(candidates.get(from) ?? []), { at, site, k, grad, valueOf }]);
    });
  });
  const taken = new Map<number, Set<number>>();
  const placed = new Map<number, DispatchStep[]>();
  const removed = new Set<number>();
  for (const [from, offered] of candidates) {
    const producer = steps[from];
    if (producer.kind !== 'dispatch' || producer.refresh || producer.uniforms === undefined) continue;
    const shares = producer.matmul && cpu ? offered.filter((share) => share.site.tensors[share.k].size <= CPU_MAX_MATMUL_UPDATE) : offered;
    if (shares.length === 0) continue;
    const grads = shares.map((share) => share.grad);
    // The kernel runs where the last of its updates ran: its inputs must hold the same values up
    // to there, and none may be a parameter or slot any of its groups updates.
    const last = Math.max(...shares.map((share) => share.at));
    const updated = new Set(shares.flatMap(({ at }) => (steps[at] as DispatchStep).bindings.filter((_, b) => (steps[at] as DispatchStep).writes[b])));
    const inputsHold = producer.bindings.every((value, b) => (producer.writes[b] ? grads.includes(value) : !writtenBetween(value, from, last) && !updated.has(value)));
    // A parameter whose group ran earlier is updated later now: nothing in between may touch it or its slots.
    const untouched = shares.every(({ at, site, k, valueOf }) => ownValues(site, k, valueOf).every((value) => !touchedBetween(value, at, last)));
    const host = inputsHold && untouched ? hostOf(producer) : null;
    const fusedStep = host ? updatedProducer(producer, host, shares, storageLimit) : null;
    if (!fusedStep) continue;
    removed.add(from);
    placed.set(last, [...(placed.get(last) ?? []), fusedStep]);
    for (const { at, k } of shares) taken.set(at, (taken.get(at) ?? new Set()).add(k));
  }
  return steps.flatMap((step, index) => {
    if (removed.has(index)) return [];
    const gone = taken.get(index);
    const here = placed.get(index) ?? [];
    if (!gone || step.kind !== 'dispatch' || !step.update) return [...here, step];
    const site = step.update;
    const kept = site.tensors.map((_, k) => k).filter((k) => !gone.has(k));
    return kept.length > 0 ? [...here, regroupedStep(step, site, kept, valuesOf(step))] : here;
  });
}

/** One tensor `k` of an update group (the update step at `at`) whose gradient `grad` a producer makes. */
interface Share { at: number; site: UpdateSite; k: number; grad: Value; valueOf: ReadonlyMap<GPUBuffer, Value> }

/** A dispatch's values by their buffers. */
function valuesOf(step: DispatchStep): Map<GPUBuffer, Value> {
  return new Map(step.bindings.map((value): [GPUBuffer, Value] => [value.buffer, value]));
}

/** The values tensor `k` of an update group owns: its parameter and slots. */
function ownValues(site: UpdateSite, k: number, valueOf: ReadonlyMap<GPUBuffer, Value>): Value[] {
  const { param, slots } = site.tensors[k];
  return [param, ...Object.values(slots)].map((buffer) => valueOf.get(buffer) as Value);
}

/**
 * The producer's kernel with each share's parameter updated where its gradient would be stored,
 * or null when a gradient fits none of its stores or the bindings run out.
 */
function updatedProducer(producer: DispatchStep, host: Host, shares: readonly Share[], storageLimit: number): DispatchStep | null {
  const signature = producer.kernel.signature;
  const outputOf = new Map(signature.storage.map((binding, b): [Value, string] => [producer.bindings[b], binding.name]));
  const pairs = shares.map((share) => ({ share, store: host.stores.find((store) => store.out === outputOf.get(share.grad)) }));
  if (pairs.some(({ share, store }) => !store || host.sizes.get(store.out) !== share.site.tensors[share.k].size)) return null;
  const added = pairs.reduce((total, { share }) => total + 1 + share.site.slots.length, 0);
  const storage = signature.storage.length - pairs.length + added;
  // Drop spare bindings, cheapest first, until the kernel fits the device's limit.
  const spares: Spare[] = [];
  let bound = storage;
  for (const spare of host.spares) {
    if (bound <= storageLimit) break;
    spares.push(spare);
    bound -= spare.bindings.length;
  }
  if (bound > storageLimit) return null;
  let firstBinding = Math.max(...signature.storage.map((binding) => binding.binding), signature.uniform?.binding ?? 0) + 1;
  const updates = pairs.map(({ share, store }, n) => {
    const name = `updateElement${n}`;
    const update = updateStoreFunction(share.site, share.k, firstBinding, name);
    firstBinding += 1 + share.site.slots.length;
    return { update, share, store: store as Store, name };
  });
  const dropped = [...updates.flatMap(({ store }) => [store.out, store.fn]), ...spares.flatMap((spare) => spare.bindings)];
  const source = [
    withParamsMembers(withoutDeclarations(host.source, dropped), updates.flatMap(({ update }) => update.members)),
    ...spares.flatMap((spare) => spare.declarations),
    ...updates.flatMap(({ update, store, name }) => [
      update.source,
      `fn ${store.fn}(${store.parameters}) {`,
      `  ${name}(${store.index}, ${store.value});`,
      '}',
    ]),
  ].join('\n');
  const optimizers = [...new Set(shares.map((share) => share.site.name))].join('+');
  const name = `fused(${host.name}+${optimizers})`;
  const compiled = generatedKernel(name, `${source}\n`).compile({ ...host.variant, constants: Object.assign({ ...host.variant.constants }, ...spares.map((spare) => spare.constants)) });
  const byName = new Map<string, Value>(signature.storage.map((binding, b): [string, Value] => [binding.name, producer.bindings[b]]));
  for (const { update, share } of updates) for (const [binding, buffer] of update.buffers) byName.set(binding, share.valueOf.get(buffer) as Value);
  const own = producer.uniforms as UniformValues;
  const refresh = (): UniformValues => Object.assign({ ...own }, ...updates.map(({ update, share }) => update.uniforms(share.site.values())));
  return {
    kind: 'dispatch',
    label: name,
    kernel: compiled,
    ...bindingsByName(compiled.signature, byName),
    uniformBytes: packedUniforms(compiled.signature.uniform?.layout, refresh(), name),
    workgroups: producer.workgroups,
    refresh,
    fusedOps: [...(producer.fusedOps ?? [host.name]), optimizers],
  };
}

/** The update group's dispatch for its tensors `kept` only: the regenerated kernel, its bindings and ends. */
function regroupedStep(step: DispatchStep, site: UpdateSite, kept: readonly number[], valueOf: ReadonlyMap<GPUBuffer, Value>): DispatchStep {
  const { kernel, buffers, threads, refresh } = (site.regroup as NonNullable<UpdateSite['regroup']>)(kept);
  const compiled = kernel.compile();
  const { workgroupSize } = compiled.signature;
  const byName = new Map(Object.entries(buffers).map(([binding, buffer]): [string, Value] => [binding, valueOf.get(buffer) as Value]));
  const tensors = kept.map((k) => site.tensors[k]);
  return {
    kind: 'dispatch',
    label: kernel.name,
    kernel: compiled,
    ...bindingsByName(compiled.signature, byName),
    uniformBytes: packedUniforms(compiled.signature.uniform?.layout, refresh(), kernel.name),
    workgroups: gridFor(Math.ceil(threads / (workgroupSize[0] * workgroupSize[1] * workgroupSize[2]))),
    refresh,
    update: { ...site, tensors, regroup: null },
  };
}
