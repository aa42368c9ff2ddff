// worker.serve, the worker's half of worker.fit: rebuilds each model the page sends, trains it
// with the page's settings and generator, streams the callback calls the page listens to, and
// posts back the trained weights (or the error, to be rethrown on the page with its own class).
import { ValueError } from '../errors';
import { init } from '../runtime/device';
import type { Tensor } from '../tensor';
import type { CallbackHandlers } from '../nn/callbacks';
import type { Sequential } from '../nn/sequential';
import type { Model } from '../nn/functional/model';
import { loadModel } from '../nn/loadModel';
import { saveModel } from '../nn/saveModel';
import { fitModel } from '../nn/training';
import { compileArgs } from './compileSpec';
import { serializeError } from './errors';
import { fromPayload, isRequest, type EventReply, type FitRequest, type Reply, type TrainingEvent, type WorkerEndpoint } from './protocol';

/** A fit in progress: stop requests may come before its model exists. */
interface Job {
  stopped: boolean;
  model: Sequential | Model | null;
}

/**
 * Makes this worker train the models worker.fit sends it. Call it once in the worker's module,
 * after registering any custom layer classes the models use. `endpoint` defaults to the worker's
 * own scope.
 */
export function serve(endpoint: WorkerEndpoint = workerScope()): void {
  const jobs = new Map<number, Job>();
  const post = (reply: Reply, transfer: Transferable[] = []): void => endpoint.postMessage(reply, transfer);
  endpoint.addEventListener('message', (event) => {
    const request: unknown = event.data;
    if (!isRequest(request)) return;
    if (request.webgrad === 'stop') {
      const job = jobs.get(request.id);
      if (!job) return;
      job.stopped = true;
      if (job.model) job.model.stopTraining = true;
      return;
    }
    const job: Job = { stopped: false, model: null };
    jobs.set(request.id, job);
    void runFit(request, job, post).finally(() => jobs.delete(request.id));
  });
}

function workerScope(): WorkerEndpoint {
  const scopeClass = (globalThis as { WorkerGlobalScope?: abstract new () => unknown }).WorkerGlobalScope;
  if (!scopeClass || !(globalThis instanceof scopeClass)) throw new ValueError('worker.serve: call it inside a dedicated Web Worker (new Worker(url, { type: \'module\' })), or pass the MessagePort to serve');
  return globalThis as unknown as WorkerEndpoint;
}

async function runFit(request: FitRequest, job: Job, post: (reply: Reply, transfer?: Transferable[]) => void): Promise<void> {
  const owned: Tensor[] = [];
  const tensors = (payloads: FitRequest['x'], what: string): Tensor[] => payloads.map((payload, i) => {
    const t = fromPayload(payload, `${what}[${i}]`);
    owned.push(t);
    return t;
  });
  try {
    await init();
    const model = loadModel(request.artifacts);
    job.model = model;
    try {
      model.compile(compileArgs(request.compile));
      const { validationData } = request;
      const history = await fitModel(model, tensors(request.x, 'x'), tensors(request.y, 'y'), {
        ...request.settings,
        validationData: validationData ? [tensors(validationData[0], 'validationData[0]'), tensors(validationData[1], 'validationData[1]')] : undefined,
        callbacks: streamingCallbacks(request, job, model, post),
      }, request.generator);
      const { weights } = await saveModel(model);
      post({ webgrad: 'done', id: request.id, epoch: history.epoch, history: history.history, weights }, [weights]);
    } finally {
      model.dispose();
    }
  } catch (error) {
    post({ webgrad: 'error', id: request.id, error: serializeError(error) });
  } finally {
    owned.forEach((t) => t.dispose());
  }
}

/** Posts each event the page asked for; and applies a stop that came before the epochs began (fit clears stopTraining as it starts). */
function streamingCallbacks(request: FitRequest, job: Job, model: Sequential | Model, post: (reply: Reply) => void): CallbackHandlers {
  const send = (event: TrainingEvent, index: number, logs: Record<string, number>): void => {
    if (request.events.includes(event)) post({ webgrad: 'event', id: request.id, event, index, logs } satisfies EventReply);
  };
  return {
    onTrainBegin: (logs) => {
      if (job.stopped) model.stopTraining = true;
      send('trainBegin', 0, logs);
    },
    onTrainEnd: (logs) => send('trainEnd', 0, logs),
    onEpochBegin: (epoch, logs) => send('epochBegin', epoch, logs),
    // Listening for epoch and batch ends costs a read of their logs: only when the page listens too.
    ...(request.events.includes('epochEnd') ? { onEpochEnd: (epoch: number, logs: Record<string, number>) => send('epochEnd', epoch, logs) } : {}),
    ...(request.events.includes('batchEnd') ? { onBatchEnd: (batch: number, logs: Record<string, number>) => send('batchEnd', batch, logs) } : {}),
  };
}
