// The hook every op calls: while a tape records, each op appends its inputs, output and backward rule.
import type { Tensor } from '../tensor';

/**
 * Given the gradient of the op's output, the gradient for each input (null: none flows there),
 * at the input's shape or at a shape the input was broadcast to (the tape sums it back).
 * `needed[i]` says whether input i's gradient is used; a rule may skip the work for the others.
 */
export type BackwardRule = (outputGradient: Tensor, needed: readonly boolean[]) => readonly (Tensor | null)[];

export interface TapeNode {
  readonly op: string;
  readonly inputs: readonly Tensor[];
  readonly output: Tensor;
  /** null marks a non-differentiable op (argmax, comparisons, int32 results). */
  readonly backward: BackwardRule | null;
}

export interface Recorder {
  addNode(node: TapeNode): void;
}

const activeRecorders: Recorder[] = [];
let pausedDepth = 0;

/** Called by each op after computing its output. Costs nothing when no tape is recording. */
export function recordOp(op: string, inputs: readonly Tensor[], output: Tensor, backward: BackwardRule | null): void {
  if (activeRecorders.length === 0 || pausedDepth > 0) return;
  const node: TapeNode = { op, inputs, output, backward: output.dtype === 'int32' ? null : backward };
  for (const recorder of activeRecorders) recorder.addNode(node);
}

/** Runs `fn` with `recorder` receiving every op. */
export function recordWith<T>(recorder: Recorder, fn: () => T): T {
  activeRecorders.push(recorder);
  const resumeDepth = pausedDepth;
  pausedDepth = 0;
  try {
    return fn();
  } finally {
    pausedDepth = resumeDepth;
    activeRecorders.splice(activeRecorders.lastIndexOf(recorder), 1);
  }
}

/** Runs `fn` without recording anything on any tape (inference, optimizer updates). */
export function noGrad<T>(fn: () => T): T {
  pausedDepth++;
  try {
    return fn();
  } finally {
    pausedDepth--;
  }
}

export function isRecording(): boolean {
  return activeRecorders.length > 0 && pausedDepth === 0;
}
