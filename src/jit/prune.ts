// Dead steps: a step whose results nothing reads (a loss valueAndGrad computed but the function
// dropped, a forward value only its gradient needed) need not run on replay. Values that outlive
// the call (results, captured tensors, kept state) always count as read.
import { valuesRead, valuesWritten, type Step, type Value } from './trace';

/** `steps` without those whose every written value is internal and never read afterwards. */
export function pruneDeadSteps(steps: readonly Step[], pinned: ReadonlySet<Value>): Step[] {
  const needed = new Set<Value>(pinned);
  const kept: Step[] = [];
  for (let index = steps.length - 1; index >= 0; index--) {
    const step = steps[index];
    // A callback is CPU work per call; per-call uniforms may advance state (a random stream) as eager did.
    const live = step.kind === 'callback' || (step.kind === 'dispatch' && step.refresh !== undefined)
      || valuesWritten(step).some((value) => needed.has(value));
    if (!live) continue;
    kept.push(step);
    // A kernel may also read what it updates in place.
    for (const value of [...valuesRead(step), ...valuesWritten(step)]) needed.add(value);
  }
  return kept.reverse();
}
