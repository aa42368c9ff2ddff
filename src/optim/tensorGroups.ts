// How one optimizer step splits its parameters into dispatches of the multi-tensor update kernel
// (updateKernel.ts): as many tensors per dispatch as the device's storage-binding limit allows,
// in the order given.
import { ValueError, formatValue } from '../errors';
import { getDevice } from '../runtime/device';

let chosenTensorsPerDispatch: number | null = null;

/**
 * Caps how many parameters one optimizer dispatch updates: null (the default) packs as many as
 * the device's maxStorageBuffersPerShaderStage allows; 1 launches one kernel per parameter. The
 * arithmetic per element is the same either way, so results are bit-identical; the cap only
 * trades dispatches for bindings per dispatch. Caps above the device's limit are lowered to it.
 */
export function setTensorsPerDispatch(limit: number | null): void {
  if (limit !== null && !(Number.isSafeInteger(limit) && limit >= 1)) {
    throw new ValueError(`optimizers.setTensorsPerDispatch: the cap must be an integer ≥ 1 or null, got ${formatValue(limit)}`);
  }
  chosenTensorsPerDispatch = limit;
}

/**
 * `tensors` in groups of consecutive ones, each at most as large as fits the binding limit
 * (`perTensor` storage arrays each, plus `shared` ones bound once). A tensor that binds a buffer
 * the group already binds starts a new group: one dispatch may not write a buffer through two
 * bindings, and a parameter listed twice must be updated twice, one update after the other.
 */
export function tensorGroups<T>(tensors: readonly T[], buffersOf: (tensor: T) => readonly GPUBuffer[], perTensor: number, shared: number): T[][] {
  const fit = Math.max(1, Math.floor((getDevice().limits.maxStorageBuffersPerShaderStage - shared) / perTensor));
  const size = Math.min(fit, chosenTensorsPerDispatch ?? fit);
  const groups: T[][] = [];
  let bound = new Set<GPUBuffer>();
  for (const tensor of tensors) {
    const buffers = buffersOf(tensor);
    const last = groups.at(-1);
    if (last && last.length < size && !buffers.some((buffer) => bound.has(buffer))) {
      last.push(tensor);
    } else {
      groups.push([tensor]);
      bound = new Set();
    }
    for (const buffer of buffers) bound.add(buffer);
  }
  return groups;
}
