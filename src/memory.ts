// Tensor lifetimes: tidy scopes, keep, and the live-memory counters behind `wg.memory()`.
import { poolStats } from './runtime/bufferPool';
import { onDeviceLost } from './runtime/device';

/** The part of a tensor the scopes need: disposal and an identity. */
export interface Disposable { readonly id: number; dispose(): void; readonly isDisposed: boolean }

const scopes: Set<Disposable>[] = [];
let liveTensors = 0;
let liveBytes = 0;

// A lost device's tensors hold no memory any more: memory() counts the current device's only
// (tensors of a lost device are not uncounted again when disposed: see tensor.ts).
onDeviceLost(() => {
  liveTensors = 0;
  liveBytes = 0;
});

/** Called by every new tensor: counts it and hands it to the innermost tidy scope. */
export function trackTensor(tensor: Disposable): void {
  liveTensors++;
  scopes[scopes.length - 1]?.add(tensor);
}

/** Called when a tensor's memory is really released (after any tape that held it let go). */
export function untrackTensor(): void {
  liveTensors--;
}

/** Adds (or, negative, removes) GPU bytes held by live tensors. */
export function trackBytes(delta: number): void {
  liveBytes += delta;
}

/** Takes a tensor out of every enclosing tidy scope so it survives them. */
export function keep<T extends Disposable>(tensor: T): T {
  for (const scope of scopes) scope.delete(tensor);
  return tensor;
}

/**
 * Runs `fn` and disposes every tensor created inside it except those in its result (a tensor, or
 * tensors found in arrays and plain objects it returns). Nested tidies hand survivors outward.
 */
export function tidy<T>(fn: () => T): T {
  const { result, discarded } = runScoped(fn);
  for (const tensor of discarded) tensor.dispose();
  return result;
}

/**
 * Runs `fn` in a new scope: tensors in its result move to the enclosing scope, the others are
 * returned as `discarded` for the caller to dispose now (tidy) or later (a tape, after backward).
 */
export function runScoped<T>(fn: () => T): { result: T; discarded: Disposable[] } {
  const scope = new Set<Disposable>();
  scopes.push(scope);
  let result: T;
  try {
    result = fn();
  } catch (error) {
    scopes.pop();
    for (const tensor of scope) tensor.dispose();
    throw error;
  }
  scopes.pop();
  if (result instanceof Promise) throw new Error('the function must be synchronous (it returned a Promise)');
  const survivors = new Set<Disposable>();
  collectTensors(result, survivors);
  const discarded: Disposable[] = [];
  for (const tensor of scope) {
    if (survivors.has(tensor)) scopes[scopes.length - 1]?.add(tensor);
    else discarded.push(tensor);
  }
  return { result, discarded };
}

function collectTensors(value: unknown, into: Set<Disposable>): void {
  if (value === null || typeof value !== 'object') return;
  if (isDisposable(value)) {
    into.add(value);
    return;
  }
  if (Array.isArray(value)) for (const item of value) collectTensors(item, into);
  else if (Object.getPrototypeOf(value) === Object.prototype) for (const item of Object.values(value)) collectTensors(item, into);
}

function isDisposable(value: object): value is Disposable {
  return 'dispose' in value && 'isDisposed' in value && 'id' in value;
}

/** Live tensors, the bytes they hold, and bytes parked in the buffer pool for reuse. */
export function memory(): { numTensors: number; numBytes: number; numBytesInPool: number } {
  return { numTensors: liveTensors, numBytes: liveBytes, numBytesInPool: poolStats().numBytesInPool };
}
