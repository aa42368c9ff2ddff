// Constant folding: a step whose inputs can never change between calls computes the same values
// on every replay, so the program runs it once, when it is built, and keeps what it wrote in
// buffers of its own. What cannot change: op-internal constants (the cached scalars of
// `div(x, 4)`), which nothing ever rewrites, and whatever a folded step wrote. A user's tensor, a
// weight or an argument is never a constant, even if the trace did not write it: it is captured
// by reference and may be assigned between calls. (The backward pass's seed, ones divided by the
// mean's count and broadcast, is the usual case.)
import { isConstantBuffer } from '../runtime/capture';
import { valuesRead, valuesWritten, type Step, type Value } from './trace';

export interface FoldedSteps {
  /** The steps that still run on every call. */
  steps: Step[];
  /** The steps to run once, in order; every value they write is a constant of the program. */
  once: Step[];
}

/**
 * Splits `steps` into those that run every call and those that can run once. `pinned` values
 * (results, captured, kept) are never folded. `constants` holds the values earlier folding made
 * constant (run again after fusion, a fused kernel whose ops read only those folds too), and
 * gains the ones this call makes.
 */
export function foldConstants(steps: readonly Step[], pinned: ReadonlySet<Value>, constants = new Set<Value>()): FoldedSteps {
  const { isConstant, foldable } = foldingRules(steps, pinned, constants);
  const once: Step[] = [];
  const remaining: Step[] = [];
  for (const step of steps) {
    const reads = valuesRead(step);
    const writes = valuesWritten(step);
    // A dispatch with per-call uniforms (a random draw's stream) differs per call; a callback is CPU work per call.
    const fixed = step.kind !== 'callback' && !(step.kind === 'dispatch' && step.refresh);
    if (fixed && writes.length > 0 && reads.every(isConstant) && writes.every(foldable)) {
      for (const value of writes) constants.add(value);
      once.push(step);
    } else {
      remaining.push(step);
    }
  }
  return { steps: remaining, once };
}

/**
 * What folding `steps` treats as constant (given the values earlier folding made constant) and
 * which values a folded step may write. Fusion asks too: a kernel that would fold is better left
 * alone than merged into one that runs every call.
 */
export function foldingRules(steps: readonly Step[], pinned: ReadonlySet<Value>, constants: ReadonlySet<Value>): {
  isConstant: (value: Value) => boolean;
  foldable: (value: Value) => boolean;
} {
  const writers = new Map<Value, number>();
  for (const step of steps) for (const value of valuesWritten(step)) writers.set(value, (writers.get(value) ?? 0) + 1);
  return {
    isConstant: (value) => constants.has(value) || (value.origin === 'external' && isConstantBuffer(value.buffer) && !writers.has(value)),
    // A folded step must be the one writer of a value internal to the program: its result is then
    // the step's alone, and nothing outside the program sees the buffer it no longer writes.
    foldable: (value) => value.origin === 'trace' && !pinned.has(value) && writers.get(value) === 1,
  };
}
