// Sibling fusion: an elementwise group over exactly a reduction's input elements joins the
// reduction's kernel as an extra output. The first reduce pass loads every input element once
// (max and min load a chunk's first element twice, and store the same value twice), so the
// invocation that loads term `offset` also computes the sibling's element `offset` from the same
// inputs and stores it: one dispatch instead of two, each op computing the float32 expression it
// computed eagerly. In a training step the loss's mean and the gradient seed it starts from
// (binary cross-entropy and its derivative over the predictions) are such a pair.
import { shapesEqual, sizeOf } from '../shape';
import { MAX_FUSED_INPUTS, absorb, mergePreludes, outputOf, valueUses, type Group } from './fusedGroup';
import type { RowBinding, Step, Value } from './trace';

/**
 * Merges, in `groups` (keyed by the step index each group's kernel runs at), each elementwise group
 * that may run as a sibling of a reduction's first pass into that reduction's group. The merged
 * kernel runs at one of the two positions, so whatever it reads must hold the same there and
 * whatever the moved group writes must be untouched on the way. A group that `folds` (into a
 * constant, run once) stays apart.
 */
export function fuseSiblings(groups: Map<number, Group>, steps: readonly Step[], folds: (group: Group) => boolean): void {
  const uses = valueUses(steps);
  const touchedBetween = (value: Value, from: number, to: number): boolean =>
    [...(uses.readers.get(value) ?? []), ...(uses.writers.get(value) ?? [])].some((index) => index > from && index < to);
  const byPosition = (): [number, Group][] => [...groups].sort(([a], [b]) => a - b);

  for (const [start, reduction] of byPosition()) {
    if (!reduction.reduction?.pass.first || sizeOf(reduction.reduction.pass.inputShape) === 0) continue;
    let position = start;
    let merged = reduction;
    for (const [at, sibling] of byPosition()) {
      if (sibling.reduction || !groups.has(at) || folds(sibling)) continue;
      const candidate = withSibling(merged, position, sibling, at);
      if (!candidate) continue;
      groups.delete(position);
      groups.delete(at);
      ({ group: merged, runsAt: position } = candidate);
      groups.set(position, merged);
    }
  }

  /**
   * Whether `group`, whose kernel runs at `position` and writes `written`, may run at `target`
   * instead: its inputs hold there what they held where its ops read them, and nothing on the way
   * reads or writes what it writes.
   */
  function canRunAt(group: Group, position: number, written: readonly Value[], target: number): boolean {
    const [from, to] = [Math.min(position, target), Math.max(position, target)];
    return !group.inputs.some((input) => uses.writtenBetween(input.value, Math.min(group.first, target), to))
      && !written.some((value) => touchedBetween(value, from, to));
  }

  /** `group` (at `position`) with `sibling` (at `at`) as one more output, at the position it runs at, or null where they cannot share a kernel. */
  function withSibling(group: Group, position: number, sibling: Group, at: number): { group: Group; runsAt: number } | null {
    const { pass } = group.reduction as NonNullable<Group['reduction']>;
    const output = outputOf(sibling);
    // The sibling's element k is computed where term k is loaded: the same flat index into
    // inputs of its own shape, or a scalar.
    if (sizeOf(output.shape) !== sizeOf(pass.inputShape)) return null;
    if (!sibling.inputs.every((input) => shapesEqual(input.shape, output.shape) || sizeOf(input.shape) === 1)) return null;
    const written = writtenBy(group);
    // Neither may read what the other writes: one kernel cannot both make a value and wait for it.
    if (sibling.inputs.some((input) => written.includes(input.value)) || group.inputs.some((input) => input.value === output.value)) return null;
    // The later position first (a group's inputs are often made just before it), else the earlier
    // (a multi-pass reduction's next pass reads the first one's partials right after it).
    const runsAt = [Math.max(position, at), Math.min(position, at)].find((target) =>
      canRunAt(group, position, written, target) && canRunAt(sibling, at, [output.value], target));
    if (runsAt === undefined) return null;
    const siblings = [...(group.siblings ?? [])];
    const result: Group = { members: [...group.members], inputs: [...group.inputs], first: Math.min(group.first, sibling.first), reduction: group.reduction, siblings };
    const from = result.members.length;
    const root = absorb(result, sibling, 'sibling') as { member: number };
    siblings.push({ from, member: root.member, out: output.value, element: output.element });
    // Its inputs, its reduction's output and one per sibling.
    if (result.inputs.length + 1 + siblings.length > MAX_FUSED_INPUTS + 1) return null;
    if (mergePreludes([pass.source, ...result.members.map((member) => (member.step.row as RowBinding).row.prelude)]) === null) return null;
    return { group: result, runsAt };
  }
}

/** The values a group's kernel writes: its output and its siblings'. */
function writtenBy(group: Group): Value[] {
  return [outputOf(group).value, ...(group.siblings ?? []).map((sibling) => sibling.out)];
}
