// The tape: records ops while `record` runs, then walks them backwards with each op's own rule.
import { NonDifferentiableError, ShapeError, ValueError, formatShape } from '../errors';
import { runScoped, tidy, type Disposable } from '../memory';
import { Tensor } from '../tensor';
import { shapesEqual } from '../shape';
import { add } from '../ops/binary';
import { cast } from '../ops/cast';
import { onesLike, zeros } from '../ops/creation';
import { recordWith, type Recorder, type TapeNode } from './recorder';
import { unbroadcast } from './unbroadcast';

export interface TapeOptions {
  /** Keep the record after `gradient`, for several gradient calls; release it with `dispose()`. */
  persistent?: boolean;
}

export interface GradientOptions {
  /** Gradient of a non-scalar target (default: ones, i.e. the gradient of its sum). */
  outputGradient?: Tensor;
}

/** What toMermaid draws of one recorded op: ids and shapes only, so it outlives the released tensors. */
interface GraphStep {
  op: string;
  output: TensorSketch;
  inputs: TensorSketch[];
}

interface TensorSketch { id: number; shape: readonly number[] }

export class Tape implements Recorder {
  private nodes: TapeNode[] = [];
  /** The recorded graph's outline, kept after gradient() releases the nodes so toMermaid still draws it. */
  private steps: GraphStep[] = [];
  /** Tensors created inside `record` that its result does not return: freed when the tape is. */
  private intermediates: Disposable[] = [];
  private released = false;
  private readonly persistent: boolean;

  constructor(options: TapeOptions = {}) {
    this.persistent = options.persistent ?? false;
  }

  /** Runs `fn`, recording every op it performs. May be called several times on one tape. */
  record<T>(fn: () => T): T {
    this.assertUsable('record');
    const { result, discarded } = runScoped(() => recordWith(this, fn));
    this.intermediates.push(...discarded);
    return result;
  }

  addNode(node: TapeNode): void {
    for (const input of node.inputs) input.holdForTape();
    node.output.holdForTape();
    this.nodes.push(node);
    const sketch = ({ id, shape }: Tensor): TensorSketch => ({ id, shape });
    this.steps.push({ op: node.op, output: sketch(node.output), inputs: node.inputs.map(sketch) });
  }

  /**
   * d(target)/d(source) for each source, shaped like the source. A source the target does not
   * depend on gets zeros; one reached only through non-differentiable ops is an error.
   */
  gradient(target: Tensor, sources: readonly Tensor[], options: GradientOptions = {}): Tensor[] {
    this.assertUsable('gradient');
    try {
      return this.walkBackward(target, sources, options.outputGradient);
    } finally {
      // Also when the walk throws: otherwise the record stays alive with no owner to release it.
      if (!this.persistent) this.dispose();
    }
  }

  private walkBackward(target: Tensor, sources: readonly Tensor[], seed: Tensor | undefined): Tensor[] {
    if (seed && !shapesEqual(seed.shape, target.shape)) {
      throw new ShapeError(`gradient: outputGradient ${formatShape(seed.shape)} does not match the target ${formatShape(target.shape)}`);
    }
    const reach = this.reachability(sources);
    const gradients = tidy(() => {
      const accumulated = new Map<number, Tensor>();
      accumulated.set(target.id, seed ?? onesLike(target));
      for (let i = this.nodes.length - 1; i >= 0; i--) {
        const node = this.nodes[i];
        const outputGradient = accumulated.get(node.output.id);
        if (!outputGradient || !node.backward || !reach.differentiable.has(node.output.id)) continue;
        const inputGradients = node.backward(outputGradient, node.inputs.map((input) => reach.differentiable.has(input.id)));
        node.inputs.forEach((input, k) => {
          const broadcast = inputGradients[k];
          if (!broadcast || !reach.differentiable.has(input.id)) return;
          // Rules return gradients at their output's shape; broadcast inputs are summed back here, once.
          const gradient = unbroadcast(broadcast, input.shape);
          const previous = accumulated.get(input.id);
          accumulated.set(input.id, previous ? add(previous, gradient) : gradient);
        });
      }
      return sources.map((source) => this.sourceGradient(source, target, accumulated.get(source.id), reach));
    });
    return ownedCopies(gradients, seed);
  }

  private sourceGradient(source: Tensor, target: Tensor, gradient: Tensor | undefined, reach: Reachability): Tensor {
    if (gradient) return gradient;
    const blocking = reach.blockedBy.get(source.id);
    if (reach.any.get(target.id)?.has(source.id) && blocking) {
      throw new NonDifferentiableError(
        `gradient: the target depends on source #${source.id} ${formatShape(source.shape)} only through ` +
          `non-differentiable ops (${[...blocking].join(', ')})`,
      );
    }
    return zeros(source.shape, source.dtype);
  }

  /**
   * Which tensors depend on which sources: through any ops, and through differentiable ops only.
   * Recording order is a topological order, so one forward sweep settles both.
   */
  private reachability(sources: readonly Tensor[]): Reachability {
    const any = new Map<number, Set<number>>();
    const differentiable = new Set<number>();
    const blockedBy = new Map<number, Set<string>>();
    for (const source of sources) {
      any.set(source.id, new Set([source.id]));
      differentiable.add(source.id);
    }
    for (const node of this.nodes) {
      const reached = new Set<number>();
      for (const input of node.inputs) for (const id of any.get(input.id) ?? []) reached.add(id);
      if (reached.size === 0) continue;
      any.set(node.output.id, new Set([...reached, ...(any.get(node.output.id) ?? [])]));
      if (node.backward && node.inputs.some((input) => differentiable.has(input.id))) differentiable.add(node.output.id);
      if (!node.backward) for (const id of reached) addTo(blockedBy, id, node.op);
    }
    return { any, differentiable, blockedBy };
  }

  /**
   * The recorded graph as a Mermaid flowchart: one node per op, labelled with its output shape.
   * Works after gradient() or dispose() too: it draws from ids and shapes, not the released tensors.
   */
  toMermaid(): string {
    const lines = ['graph TD'];
    const producer = new Map<number, string>();
    const declared = new Set<string>();
    this.steps.forEach((node, index) => {
      const opId = `op${index}`;
      lines.push(`  ${opId}["${node.op} ${formatShape(node.output.shape)}"]`);
      for (const input of node.inputs) {
        let from = producer.get(input.id);
        if (!from) {
          from = `t${input.id}`;
          if (!declared.has(from)) {
            declared.add(from);
            lines.push(`  ${from}(["tensor #${input.id} ${formatShape(input.shape)}"])`);
          }
        }
        lines.push(`  ${from} --> ${opId}`);
      }
      producer.set(node.output.id, opId);
    });
    return lines.join('\n');
  }

  /** The number of ops the tape holds for backward (0 once released; useful for tests and debugging). */
  get size(): number {
    return this.nodes.length;
  }

  /** Releases everything the tape keeps alive for backward. Called by `gradient` (returning or throwing) unless persistent. */
  dispose(): void {
    if (this.released) return;
    this.released = true;
    for (const tensor of this.intermediates) tensor.dispose();
    for (const node of this.nodes) {
      for (const input of node.inputs) input.releaseFromTape();
      node.output.releaseFromTape();
    }
    this.nodes = [];
    this.intermediates = [];
  }

  private assertUsable(call: string): void {
    if (this.released) {
      throw new ValueError(`Tape.${call}: this tape was already used for a gradient and released; create it with { persistent: true } to call gradient more than once`);
    }
  }
}

interface Reachability {
  any: Map<number, Set<number>>;
  differentiable: Set<number>;
  /** For each source, the non-differentiable ops that consume something depending on it. */
  blockedBy: Map<number, Set<string>>;
}

function addTo(map: Map<number, Set<string>>, key: number, value: string): void {
  const set = map.get(key);
  if (set) set.add(value);
  else map.set(key, new Set([value]));
}

/**
 * Each returned gradient must be a tensor the caller owns alone: a rule may pass its output
 * gradient straight through (add), hand one tensor to two sources, or return the caller's seed,
 * or a reshape view of it (which shares its buffer). So sharing is judged by buffer.
 */
function ownedCopies(gradients: Tensor[], seed: Tensor | undefined): Tensor[] {
  const seen = new Set<GPUBuffer>(seed ? [seed.buffer] : []);
  const handedOut = new Set<Tensor>();
  return gradients.map((gradient, k) => {
    const shared = seen.has(gradient.buffer);
    seen.add(gradient.buffer);
    if (!shared) {
      handedOut.add(gradient);
      return gradient;
    }
    const copy = cast(gradient, gradient.dtype);
    // A view a backward rule made (reshape's dy) belongs to the walk: once copied for its last use, it is freed.
    if (gradient !== seed && !handedOut.has(gradient) && gradients.lastIndexOf(gradient) === k) gradient.dispose();
    return copy;
  });
}
