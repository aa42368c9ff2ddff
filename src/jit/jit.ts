// wg.jit(fn): per signature, the first call runs fn eagerly, the second runs it eagerly while
// tracing it into a program (fused, planned, prebuilt), and every later call replays the program.
// Tracing the second call rather than the first is deliberate: state made lazily on a first call
// (an optimizer's slots, a model's weights built on first use) is then already there, so the trace
// captures it by reference instead of recording its initialization, which a replay would repeat.
import { JitError, formatShape } from '../errors';
import { runScoped } from '../memory';
import { activeCapture, setCapture } from '../runtime/capture';
import { BYTES_PER_ELEMENT, Tensor } from '../tensor';
import { describeProgram, programMermaid } from './describe';
import { foldConstants } from './fold';
import { pruneDeadSteps } from './prune';
import { fuseElementwise } from './fuse';
import { fuseBiasGradients } from './fuseBiasGradient';
import { fuseMatmulEpilogues } from './fuseMatmul';
import { fuseUpdates } from './fuseUpdate';
import { Program } from './program';
import { rebuild, signatureOf, tensorsIn } from './signature';
import { TraceRecorder, readInsideTraceMessage, type Step, type Value } from './trace';

export interface JitOptions {
  /** The name errors and describe() use (default: fn's name). */
  name?: string;
  /** Fuse chains of elementwise ops into one kernel (default true). */
  fuse?: boolean;
}

export interface JitStats {
  /** Calls that ran eagerly: each new signature's first call, and the first after an invalidation. */
  eagerCalls: number;
  /** Calls traced into a program. */
  traces: number;
  /** Calls that replayed a program (cache hits). */
  cacheHits: number;
  /** Programs dropped because a tensor they captured was disposed since their trace. */
  invalidations: number;
}

export interface JitFunction<A extends unknown[], R> {
  (...args: A): R;
  /** Each compiled program (one per signature): its ops, fused kernels, dispatch count and arena bytes. */
  describe(): string;
  /** The compiled programs as a Mermaid flowchart. */
  toMermaid(): string;
  readonly stats: Readonly<JitStats>;
  /** Frees every compiled program's buffers; later calls trace afresh. */
  dispose(): void;
}

interface Entry {
  /** Whether this signature's eager first call has run. */
  warm: boolean;
  program: Program | null;
  /** The traced call's result with its tensors, to shape each replay's result the same way. */
  template: unknown;
  templateTensors: Tensor[];
}

/**
 * Compiles `fn` (synchronous, taking and returning tensors, numbers, and arrays or plain objects of
 * them) into a replayable program per signature. Returned tensors are fresh on each call; every
 * other tensor fn makes is internal to the program. Tensors fn reads or updates without taking them
 * as arguments (weights, optimizer slots) are captured by reference and updated in place.
 */
export function jit<A extends unknown[], R>(fn: (...args: A) => R, options: JitOptions = {}): JitFunction<A, R> {
  const name = `wg.jit(${options.name ?? (fn.name || 'fn')})`;
  const fuse = options.fuse ?? true;
  const cache = new Map<string, Entry>();
  const stats: JitStats = { eagerCalls: 0, traces: 0, cacheHits: 0, invalidations: 0 };

  const call = (...args: A): R => {
    // Inside another trace (or its eager first call) a jitted function is inlined into it.
    if (activeCapture()) return fn(...args);
    const signature = signatureOf(args);
    let entry = cache.get(signature.key);
    if (!entry) {
      entry = { warm: false, program: null, template: undefined, templateTensors: [] };
      cache.set(signature.key, entry);
    }
    if (entry.program) {
      const results = entry.program.replay(signature.tensors);
      if (results) {
        stats.cacheHits++;
        return rebuild(entry.template, entry.templateTensors, results) as R;
      }
      // A captured tensor is gone: start over from an eager call, as for a new signature.
      entry.program.dispose();
      entry.program = null;
      entry.warm = false;
      stats.invalidations++;
    }
    const recorder = new TraceRecorder(name, entry.warm);
    const result = runCaptured(name, recorder, () => fn(...args));
    if (!entry.warm) {
      entry.warm = true;
      stats.eagerCalls++;
      return result;
    }
    const outputs = tensorsIn(result);
    entry.program = compile(recorder, signature.tensors, outputs, fuse);
    entry.template = result;
    entry.templateTensors = outputs;
    stats.traces++;
    return result;
  };

  const programs = (): { key: string; program: Program }[] =>
    [...cache.entries()].flatMap(([key, entry]) => (entry.program ? [{ key, program: entry.program }] : []));
  return Object.assign(call, {
    describe: () => [`${name}: ${describeStats(stats)}`, ...programs().map(({ key, program }) => describeProgram(key, program.summary))].join('\n\n'),
    toMermaid: () => programMermaid(programs().map(({ program }) => program.summary)),
    stats,
    dispose: () => {
      for (const entry of cache.values()) entry.program?.dispose();
      cache.clear();
    },
  });
}

function describeStats(stats: JitStats): string {
  return `${stats.eagerCalls} eager call(s), ${stats.traces} trace(s), ${stats.cacheHits} cache hit(s), ${stats.invalidations} invalidation(s)`;
}

/**
 * Runs fn with the recorder installed, as tidy does: tensors fn made and did not return are
 * disposed, and a later use of one says it was internal to the jitted function.
 */
function runCaptured<R>(name: string, recorder: TraceRecorder, fn: () => R): R {
  const previous = setCapture(recorder);
  try {
    const { result, discarded } = runScoped(() => {
      const value = fn();
      if (value instanceof Promise) {
        // Its rejection (a JitError from data(), say) is reported here instead.
        value.catch(() => undefined);
        throw new JitError(recorder.readAttempted ? readInsideTraceMessage(name) : `${name}: the function must be synchronous (it returned a Promise): a compiled program replays GPU work, not awaits.`);
      }
      if (recorder.readAttempted) throw new JitError(readInsideTraceMessage(name));
      return value;
    });
    for (const tensor of discarded) {
      if (!(tensor instanceof Tensor)) continue;
      const { id, shape } = tensor;
      tensor.retire((op) => new JitError(
        `${op}: tensor #${id} ${formatShape(shape)} was made inside ${name} and not returned, so it is internal to the compiled ` +
        'program (it lives in the program\'s arena, rewritten every call) and cannot be used outside it or in another jitted function. ' +
        'Return it from the function to use it.',
      ));
    }
    recorder.finish();
    return result;
  } finally {
    setCapture(previous);
  }
}

/**
 * The trace turned into a program: dead steps dropped, constant work folded, a weight gradient's
 * matmul and its bias gradient's sum made one dispatch, elementwise chains fused (into a matmul's
 * epilogue or a reduction's loads and stores where they meet one, or beside a reduction over the
 * same elements as a second output), optimizer updates moved into the matmuls and reductions making
 * their gradients, buffers planned, bind groups built.
 */
function compile(recorder: TraceRecorder, args: readonly Tensor[], outputs: readonly Tensor[], fuse: boolean): Program {
  const inputs = args.map((arg) => ({ value: recorder.valueOf(arg.buffer), byteLength: arg.size * BYTES_PER_ELEMENT }));
  const outputValues = outputs.map((output) => ({ value: recorder.valueOf(output.buffer), shape: output.shape, dtype: output.dtype }));
  const pinned = new Set<Value>(recorder.values.filter((value) => value.origin === 'external' || value.heldAtEnd));
  for (const output of outputValues) pinned.add(output.value);
  const dispatches = (steps: readonly Step[]): number => steps.filter((step) => step.kind === 'dispatch').length;
  let dead = 0;
  const prune = (steps: readonly Step[]): Step[] => {
    const live = pruneDeadSteps(steps, pinned);
    dead += dispatches(steps) - dispatches(live);
    return live;
  };
  const constants = new Set<Value>();
  const folded = foldConstants(prune(recorder.steps), pinned, constants);
  // Fusion drops inputs a row never reads, so a fused kernel may now read constants only.
  // Optimizer updates join the matmuls and reductions making their gradients last, once those have taken in their own ops.
  const fused = fuse ? fuseUpdates(fuseElementwise(fuseMatmulEpilogues(fuseBiasGradients(folded.steps), pinned), pinned, constants), pinned) : folded.steps;
  const refolded = fuse ? foldConstants(fused, pinned, constants) : { steps: folded.steps, once: [] };
  // Fused kernels no longer read what their ops ignored, which may leave its producer dead.
  const live = prune(refolded.steps);
  return new Program(live, [...folded.once, ...refolded.once], { dispatches: dispatches(recorder.steps), dead }, inputs, outputValues);
}
