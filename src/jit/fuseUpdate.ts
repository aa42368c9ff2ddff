// Optimizer-update fusion: a parameter whose gradient one kernel makes and only its optimizer update
// reads is updated by that kernel: where it would store a gradient element, it applies the rule to
// that element of the parameter and its slots (src/jit/updateStore.ts), so the gradient is never
// written to memory and the parameter leaves its update group (whose kernel is regenerated for the
// rest, or dropped). The producer moves to the update's place, after every read of the old
// parameter (the dX = dz·Wᵀ matmul reading W). Producers that take it: the tiled matmul (Dense's
// dW = xᵀ·dz), through its `storeOutput`, and a reduction's last pass (db = sum(dz, 0)), through
// its `storeResult`.
import reduceIOSource from '../../shaders/reduceIO.wgsl';
import { getDevice } from '../runtime/device';
import { gridFor } from '../runtime/launch';
import { packUniforms, type UniformLayout, type UniformValues } from '../runtime/uniforms';
import type { UpdateSite } from '../runtime/capture';
import type { KernelVariant } from '../runtime/kernel';
import { sizeOf } from '../shape';
import { bindingsByName, generatedKernel, valueUses, withoutDeclarations } from './fusedGroup';
import type { DispatchStep, Step, Value } from './trace';
import { scalarRule, updateStoreFunction, withParamsMembers } from './updateStore';

/** What a producer's kernel offers an update: its source, the store function to replace and the output it writes. */
interface Host {
  /** The op's name in the fused kernel's name: `matmul`, `reduce`. */
  name: string;
  source: string;
  variant: KernelVariant;
  /**
   * The function every store goes through (replaced), its parameter list and the value it stores
   * (a matmul's goes through its epilogue first); the output binding it writes (dropped).
   */
  store: string;
  storeParameters: string;
  storedValue: string;
  out: string;
  /** Storage bindings that may be dropped to make room, with the declarations (and constants) replacing them. */
  spare: { bindings: string[]; declarations: string[]; constants: Record<string, number> } | null;
}

/** The producer's kernel as a host of an update store, or null when it is not one that takes it. */
function hostOf(step: DispatchStep): Host | null {
  if (step.matmul && !step.fusedOps) {
    const { source, constants, name } = step.matmul;
    // The vec4 views of A and B are a second binding each: without them every load is scalar (the
    // same values; on SwiftShader no slower, bench/NOTES.md). The views stay declared (never read).
    const spare = {
      bindings: ['a4', 'b4'],
      declarations: ['var<private> a4: array<vec4<f32>, 1>;', 'var<private> b4: array<vec4<f32>, 1>;'],
      constants: { VEC4_A: 0, VEC4_B: 0 },
    };
    return { name, source, variant: { constants: { ...constants } }, store: 'storeOutput', storeParameters: 'index: u32, j: u32, v: f32', storedValue: 'epilogue(v, index, j)', out: 'out', spare };
  }
  const pass = step.reduction?.pass;
  if (pass && pass.last && pass.accumulator === 'f32' && !step.fusedOps) {
    return { name: 'reduce', source: pass.source + reduceIOSource, variant: pass.variant, store: 'storeResult', storeParameters: 'index: u32, value: Accumulator', storedValue: 'f32(value)', out: 'out', spare: null };
  }
  return null;
}

/**
 * The steps with each parameter whose gradient one matmul or reduce pass makes, and only its update
 * group reads, updated by that kernel at the group's place. `pinned` values (returned, kept) are never fused away.
 */
export function fuseUpdates(steps: readonly Step[], pinned: ReadonlySet<Value>): Step[] {
  const { readers, writers, writtenBetween } = valueUses(steps);
  const storageLimit = getDevice().limits.maxStorageBuffersPerShaderStage;
  const replaced = new Map<number, DispatchStep[]>();
  const removed = new Set<number>();
  steps.forEach((step, at) => {
    const site = step.kind === 'dispatch' ? step.update : undefined;
    if (step.kind !== 'dispatch' || !site || !site.regroup || !scalarRule(site)) return;
    const valueOf = new Map(step.bindings.map((value): [GPUBuffer, Value] => [value.buffer, value]));
    // Every parameter and slot of the group: a producer reading one ran before the update and must not after it.
    const updated = step.bindings.filter((_, b) => step.writes[b]);
    const fused: DispatchStep[] = [];
    const kept: number[] = [];
    site.tensors.forEach((tensor, k) => {
      const grad = valueOf.get(tensor.grad) as Value;
      const producedAt = writers.get(grad) ?? [];
      const readAt = readers.get(grad) ?? [];
      const from = producedAt[0];
      const producer = steps[from];
      const movable = !pinned.has(grad) && producedAt.length === 1 && readAt.length === 1 && readAt[0] === at && from < at && !removed.has(from)
        && producer.kind === 'dispatch' && !producer.refresh && producer.uniforms !== undefined
        // Its inputs must be unchanged at the update's place, and none of them a parameter or slot the group updates.
        && producer.bindings.every((value, b) => (producer.writes[b] ? value === grad : !writtenBetween(value, from, at) && !updated.includes(value)));
      const host = movable ? hostOf(producer) : null;
      const fusedStep = host ? updatedProducer(producer as DispatchStep, host, grad, site, k, valueOf, storageLimit) : null;
      if (!fusedStep) {
        kept.push(k);
        return;
      }
      fused.push(fusedStep);
      removed.add(from);
    });
    if (fused.length === 0) return;
    replaced.set(at, kept.length > 0 ? [...fused, regroupedStep(step, site, kept, valueOf)] : fused);
  });
  return steps.flatMap((step, index) => replaced.get(index) ?? (removed.has(index) ? [] : [step]));
}

/**
 * The producer's kernel with its store replaced by tensor `tensor`'s update, or null when the
 * output is not exactly the gradient (same element count) or the bindings exceed the device's limit.
 */
function updatedProducer(producer: DispatchStep, host: Host, grad: Value, site: UpdateSite, tensor: number, valueOf: ReadonlyMap<GPUBuffer, Value>, storageLimit: number): DispatchStep | null {
  const signature = producer.kernel.signature;
  const outShape = producer.matmul?.outShape ?? producer.reduction?.pass.outShape;
  if (!outShape || sizeOf(outShape) !== site.tensors[tensor].size) return null;
  const outIndex = signature.storage.findIndex((binding) => binding.name === host.out);
  if (outIndex < 0 || producer.bindings[outIndex] !== grad) return null;
  const added = 1 + site.slots.length;
  const storage = signature.storage.length - 1 + added;
  const spare = storage > storageLimit && host.spare ? host.spare : null;
  if (storage - (spare ? spare.bindings.length : 0) > storageLimit) return null;
  const firstBinding = Math.max(...signature.storage.map((binding) => binding.binding), signature.uniform?.binding ?? 0) + 1;
  const store = updateStoreFunction(site, tensor, firstBinding, 'updateElement');
  const kept = withoutDeclarations(host.source, [host.out, host.store, ...(spare ? spare.bindings : [])]);
  const source = [
    withParamsMembers(kept, store.members),
    ...(spare ? spare.declarations : []),
    store.source,
    `fn ${host.store}(${host.storeParameters}) {`,
    `  updateElement(index, ${host.storedValue});`,
    '}',
  ].join('\n');
  const name = `fused(${host.name}+${site.name})`;
  const compiled = generatedKernel(name, `${source}\n`).compile({ ...host.variant, constants: { ...host.variant.constants, ...spare?.constants } });
  const byName = new Map<string, Value>(signature.storage.map((binding, b): [string, Value] => [binding.name, producer.bindings[b]]));
  for (const [binding, buffer] of store.buffers) byName.set(binding, valueOf.get(buffer) as Value);
  const own = producer.uniforms as UniformValues;
  const refresh = (): UniformValues => ({ ...own, ...store.uniforms(site.values()) });
  return {
    kind: 'dispatch',
    label: name,
    kernel: compiled,
    ...bindingsByName(compiled.signature, byName),
    uniformBytes: packed(compiled.signature.uniform?.layout, refresh(), name),
    workgroups: producer.workgroups,
    refresh,
    fusedOps: [...(producer.fusedOps ?? [host.name]), site.name],
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
    uniformBytes: packed(compiled.signature.uniform?.layout, refresh(), kernel.name),
    workgroups: gridFor(Math.ceil(threads / (workgroupSize[0] * workgroupSize[1] * workgroupSize[2]))),
    refresh,
    update: { ...site, tensors, regroup: null },
  };
}

/** Uniform values packed as the kernel's layout lays them out (what the trace would have captured). */
function packed(layout: UniformLayout | undefined, values: UniformValues, kernel: string): Uint8Array<ArrayBuffer> | null {
  if (!layout) return null;
  const bytes = new Uint8Array(layout.byteSize);
  packUniforms(layout, values, new DataView(bytes.buffer), 0, kernel);
  return bytes;
}
