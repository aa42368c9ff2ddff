// How one optimizer step splits its parameters into dispatches of the multi-tensor update kernel
// (updateKernel.ts): as many tensors per dispatch as the device's storage-binding limit allows.
import { ValueError, formatValue } from '../errors';
import { getDevice, isCpuAdapter } from '../runtime/device';

/**
 * On CPU adapters, the most elements one dispatch updates when it holds several tensors. SwiftShader
 * pays for every tensor's share of the kernel in every invocation, so a group's work grows with its
 * tensor count: SGD on five tensors of 65,536 elements took 4.5 ms a step in five dispatches and
 * about 20 ms in one; on five of 64, 0.5 ms in five and 0.3 ms in one; near 1,024 elements each
 * the two were even. So on the CPU, small tensors (the
 * reference model's, biases) share dispatches and large ones keep their own, whose cost they
 * outweigh anyway. GPUs branch per tensor at no such cost: there a group is bounded by bindings only.
 */
const CPU_GROUP_ELEMENTS = 4096;

/**
 * The most tensors one dispatch updates on any device: each tensor's share is its own copy of the
 * update in the kernel's WGSL, and every group size is a pipeline to compile. Adapters that allow
 * hundreds of storage bindings would otherwise get kernels as long as the model is deep.
 */
const MAX_TENSORS_PER_DISPATCH = 16;

let chosenTensorsPerDispatch: number | null = null;

/**
 * Caps how many parameters one optimizer dispatch updates: null (the default) packs as many as
 * the device's maxStorageBuffersPerShaderStage allows (at most 16; on CPU adapters only tensors
 * that together hold at most 4096 elements); 1 launches one kernel per parameter. The
 * arithmetic per element is the same either way, so results are bit-identical; the cap only
 * trades dispatches for bindings per dispatch. Caps above the device's limit are lowered to it.
 */
export function setTensorsPerDispatch(limit: number | null): void {
  if (limit !== null && !(Number.isSafeInteger(limit) && limit >= 1)) {
    throw new ValueError(`optimizers.setTensorsPerDispatch: the cap must be an integer ≥ 1 or null, got ${formatValue(limit)}`);
  }
  chosenTensorsPerDispatch = limit;
}

/** What grouping needs of a tensor: the buffers its share binds, and its length in vec4s. */
export interface GroupedTensor {
  buffers: readonly GPUBuffer[];
  vec4Count: number;
}

interface Group<T> {
  tensors: T[];
  bound: Set<GPUBuffer>;
  vec4Count: number;
}

/**
 * `tensors` in groups, dispatched in the order returned: each tensor goes into the first group with
 * room for it (at most as many tensors as fit the binding limits, `perTensor` storage arrays each
 * plus `shared` ones bound once, and at most MAX_TENSORS_PER_DISPATCH; on CPU adapters at most CPU_GROUP_ELEMENTS elements) that comes
 * after every group binding one of its buffers. So one dispatch never writes a buffer through two
 * bindings, and a parameter listed twice is updated twice, one update after the other.
 */
export function tensorGroups<T extends GroupedTensor>(tensors: readonly T[], perTensor: number, shared: number): T[][] {
  const { maxStorageBuffersPerShaderStage, maxBindingsPerBindGroup } = getDevice().limits;
  // The uniform struct takes one binding of the group too.
  const bindings = Math.min(maxStorageBuffersPerShaderStage, maxBindingsPerBindGroup - 1) - shared;
  const fit = Math.max(1, Math.min(MAX_TENSORS_PER_DISPATCH, Math.floor(bindings / perTensor)));
  const count = Math.min(fit, chosenTensorsPerDispatch ?? fit);
  const maxVec4s = isCpuAdapter() ? CPU_GROUP_ELEMENTS / 4 : Infinity;
  const groups: Group<T>[] = [];
  for (const tensor of tensors) {
    let after = -1;
    groups.forEach((group, k) => {
      if (tensor.buffers.some((buffer) => group.bound.has(buffer))) after = k;
    });
    const room = (group: Group<T>, k: number): boolean => k > after && group.tensors.length < count && group.vec4Count + tensor.vec4Count <= maxVec4s;
    let group = groups.find(room);
    if (!group) {
      group = { tensors: [], bound: new Set(), vec4Count: 0 };
      groups.push(group);
    }
    group.tensors.push(tensor);
    group.vec4Count += tensor.vec4Count;
    for (const buffer of tensor.buffers) group.bound.add(buffer);
  }
  return groups.map((group) => group.tensors);
}
