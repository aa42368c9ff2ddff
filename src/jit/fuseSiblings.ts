// Sibling fusion: an elementwise group over exactly a reduction's input elements joins the
// reduction's kernel as an extra output. The first reduce pass loads every input element once
// (max and min load a chunk's first element twice, and store the same value twice), so the
// invocation that loads term `offset` also computes the sibling's element `offset` from the same
// inputs and stores it: one dispatch instead of two, each op computing the float32 expression it
// computed eagerly. In a training step the loss's mean and the gradient seed it starts from
// (binary cross-entropy and its derivative over the predictions) are such a pair. Likewise a
// second single-pass reduction of the same op over the same elements and axes (fit's accuracy
// mean beside its loss mean) becomes a twin: the second lane of a vec2 accumulator, which adds
// and compares lane by lane exactly as two scalar reductions would.
import { shapesEqual, sizeOf } from '../shape';
import { MAX_FUSED_INPUTS, absorb, mergePreludes, outputOf, valueUses, type Group } from './fusedGroup';
import type { RowBinding, Step, Value } from './trace';

/**
 * Merges, in `groups` (keyed by the step index each group's kernel runs at), each elementwise group
 * that may run as a sibling of a reduction's first pass, and each reduction that may run as its
 * twin, into that reduction's group. The merged
 * kernel runs at one of the two positions, so whatever it reads must hold the same there and
 * whatever the moved group writes must be untouched on the way. A group that `folds` (into a
 * constant, run once) stays apart.
 */
export function fuseSiblings(groups: Map<number, Group>, steps: readonly Step[], folds: (group: Group) => boolean): void {
  const uses = valueUses(steps);
  const byPosition = (): [number, Group][] => [...groups].sort(([a], [b]) => a - b);

  for (const [start, reduction] of byPosition()) {
    if (groups.get(start) !== reduction || !reduction.reduction?.pass.first || sizeOf(reduction.reduction.pass.inputShape) === 0 || folds(reduction)) continue;
    let position = start;
    let merged = reduction;
    for (const [at, sibling] of byPosition()) {
      if (at === position || !groups.has(at) || folds(sibling)) continue;
      const candidate = sibling.reduction ? withTwin(merged, position, sibling, at) : withSibling(merged, position, sibling, at);
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
      && !written.some((value) => uses.touchedBetween(value, from, to));
  }

  /**
   * Where `group` (at `position`, writing `written`) and `other` (at `at`, writing `otherWritten`)
   * can run as one kernel: the later position (a group's inputs are often made just before it),
   * else the earlier (a multi-pass reduction's next pass reads the first one's partials right
   * after it); undefined where neither holds or one reads what the other writes.
   */
  function sharedPosition(group: Group, position: number, written: readonly Value[], other: Group, at: number, otherWritten: readonly Value[]): number | undefined {
    if (other.inputs.some((input) => written.includes(input.value)) || group.inputs.some((input) => otherWritten.includes(input.value))) return undefined;
    return [Math.max(position, at), Math.min(position, at)].find((target) =>
      canRunAt(group, position, written, target) && canRunAt(other, at, otherWritten, target));
  }

  /** Whether the merged group's kernel fits: its inputs and outputs within the binding limit, its rows' preludes compatible. */
  function fits(group: Group): boolean {
    const outputs = (group.twin ? 2 : 1) + (group.siblings ?? []).length;
    const { pass } = group.reduction as NonNullable<Group['reduction']>;
    return group.inputs.length + outputs <= MAX_FUSED_INPUTS + 1
      && mergePreludes([pass.source, ...group.members.map((member) => (member.step.row as RowBinding).row.prelude)]) !== null;
  }

  /**
   * `group` (at `position`) with the reduction `other` (at `at`) as its twin, or null. The twin
   * must be a single pass of the same op with the same uniforms (so the same elements, in the same
   * order, into the same outputs' layout) over an input of the same shape.
   */
  function withTwin(group: Group, position: number, other: Group, at: number): { group: Group; runsAt: number } | null {
    const mine = group.reduction as NonNullable<Group['reduction']>;
    const theirs = other.reduction as NonNullable<Group['reduction']>;
    if (group.twin || other.twin || other.siblings || !mine.pass.last || !theirs.pass.first || !theirs.pass.last) return null;
    const same = mine.pass.source === theirs.pass.source && mine.pass.element === theirs.pass.element && mine.pass.accumulator === theirs.pass.accumulator
      && shapesEqual(mine.pass.inputShape, theirs.pass.inputShape) && JSON.stringify(mine.pass.variant) === JSON.stringify(theirs.pass.variant)
      && sameBytes(mine.step.uniformBytes, theirs.step.uniformBytes) && mine.step.workgroups.every((count, axis) => count === theirs.step.workgroups[axis]);
    if (!same) return null;
    const runsAt = sharedPosition(group, position, writtenBy(group), other, at, [outputOf(other).value]);
    if (runsAt === undefined) return null;
    const result: Group = { ...group, members: [...group.members], inputs: [...group.inputs], first: Math.min(group.first, other.first) };
    absorb(result, other, 'term', 1);
    return fits(result) ? { group: result, runsAt } : null;
  }

  /** `group` (at `position`) with `sibling` (at `at`) as one more output, at the position it runs at, or null where they cannot share a kernel. */
  function withSibling(group: Group, position: number, sibling: Group, at: number): { group: Group; runsAt: number } | null {
    const { pass } = group.reduction as NonNullable<Group['reduction']>;
    const output = outputOf(sibling);
    // The sibling's element k is computed where term k is loaded: the same flat index into
    // inputs of its own shape, or a scalar.
    if (sizeOf(output.shape) !== sizeOf(pass.inputShape)) return null;
    if (!sibling.inputs.every((input) => shapesEqual(input.shape, output.shape) || sizeOf(input.shape) === 1)) return null;
    const runsAt = sharedPosition(group, position, writtenBy(group), sibling, at, [output.value]);
    if (runsAt === undefined) return null;
    const siblings = [...(group.siblings ?? [])];
    const result: Group = { ...group, members: [...group.members], inputs: [...group.inputs], first: Math.min(group.first, sibling.first), siblings };
    const from = result.members.length;
    const root = absorb(result, sibling, 'sibling') as { member: number };
    siblings.push({ from, member: root.member, out: output.value, element: output.element });
    return fits(result) ? { group: result, runsAt } : null;
  }
}

/** The values a group's kernel writes: its output, its twin's and its siblings'. */
function writtenBy(group: Group): Value[] {
  return [outputOf(group).value, ...(group.twin ? [outputOf(group, 1).value] : []), ...(group.siblings ?? []).map((sibling) => sibling.out)];
}

function sameBytes(a: Uint8Array | null, b: Uint8Array | null): boolean {
  return a === b || (a !== null && b !== null && a.length === b.length && a.every((byte, k) => byte === b[k]));
}
