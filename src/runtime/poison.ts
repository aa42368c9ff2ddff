// Which buffers hold values that cannot be trusted: written by GPU work that was rejected, or
// never allocated (out of memory). Reading one throws the original error instead of returning zeros.
import { KernelError, OutOfMemoryError } from '../errors';

/**
 * A pooled buffer serves many tensors in turn; each acquisition starts a new lifetime, so poison
 * found late (error checks are asynchronous) never spills onto the buffer's next owner.
 */
const lifetimes = new WeakMap<GPUBuffer, number>();
const poisoned = new WeakMap<GPUBuffer, { lifetime: number; error: Error }>();
/** Buffers whose creation failed: unusable for good, never pooled. */
const unallocated = new WeakMap<GPUBuffer, OutOfMemoryError>();

export function startLifetime(buffer: GPUBuffer): void {
  lifetimes.set(buffer, (lifetimes.get(buffer) ?? 0) + 1);
}

export function lifetimeOf(buffer: GPUBuffer): number {
  return lifetimes.get(buffer) ?? 0;
}

/** Marks the buffer's contents as the product of failed work, if it still has the same owner. */
export function poison(buffer: GPUBuffer, lifetime: number, error: Error): void {
  if (lifetimeOf(buffer) !== lifetime || poisoned.get(buffer)?.lifetime === lifetime) return;
  poisoned.set(buffer, { lifetime, error });
}

export function markUnallocated(buffer: GPUBuffer, error: OutOfMemoryError): void {
  unallocated.set(buffer, error);
}

export function isUnallocated(buffer: GPUBuffer): boolean {
  return unallocated.has(buffer);
}

/** Why the buffer's contents in `lifetime` (default: its current one) are unusable, or null when they are fine. */
export function poisonOf(buffer: GPUBuffer, lifetime = lifetimeOf(buffer)): Error | null {
  const failedAllocation = unallocated.get(buffer);
  if (failedAllocation) return failedAllocation;
  const entry = poisoned.get(buffer);
  return entry && entry.lifetime === lifetime ? entry.error : null;
}

const POISONED = 'the values were never computed because earlier GPU work failed';

/**
 * The error for using values that failed work never computed: the causes' type (OutOfMemoryError
 * when any is one, else KernelError), saying why the values are missing.
 */
export function poisonedReadError(op: string, causes: readonly Error[]): Error {
  const messages = causes.map((cause) => cause.message.replace(new RegExp(`^.*?: ${POISONED}: `, 's'), ''));
  const message = `${op}: ${POISONED}: ${messages.join('\n')}`;
  return causes.some((cause) => cause instanceof OutOfMemoryError) ? new OutOfMemoryError(message) : new KernelError(message);
}
