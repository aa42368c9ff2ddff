// worker.fit, the page's half: model.fit run in a dedicated Web Worker (one that called
// worker.serve()), so the page's main thread stays free while it trains. The model crosses as
// its save() artifacts and compile settings, the data as transferred buffers; the worker streams
// each callback call back, and the trained weights come back as safetensors bytes that are
// loaded into the page's model before `history` resolves.
import { ValueError, WorkerError } from '../errors';
import type { Tensor } from '../tensor';
import { forkGenerator } from '../ops/random';
import { Callback, History, type CallbackHandlers, type Logs } from '../nn/callbacks';
import { checkShapes, fitSettings, type FitOptions } from '../nn/dataChecks';
import { Sequential } from '../nn/sequential';
import { Model } from '../nn/functional/model';
import { saveModel } from '../nn/saveModel';
import { loadWeights } from '../nn/loadModel';
import { describeCompile } from './compileSpec';
import { reviveError } from './errors';
import { buffersOf, isReply, toPayload, type DoneReply, type EventReply, type FitRequest, type TensorPayload, type TrainingEvent, type WorkerEndpoint } from './protocol';

const OP = 'worker.fit';

/** model.fit's options; x, y and validationData hold one tensor per model input / output (a list for several). */
export type WorkerFitOptions = FitOptions<Tensor | Tensor[]>;

export interface WorkerFit {
  /** Resolves with the fit's History once the trained weights are in the model; rejects with the worker's error, of its own class. */
  readonly history: Promise<History>;
  /** Asks the worker to stop after its current batch, as `model.stopTraining = true` does; `history` then resolves with what ran. */
  stop(): void;
}

/** Each event and the callback method it calls. */
const HANDLERS = {
  trainBegin: 'onTrainBegin', trainEnd: 'onTrainEnd', epochBegin: 'onEpochBegin', epochEnd: 'onEpochEnd', batchEnd: 'onBatchEnd',
} as const satisfies Record<TrainingEvent, keyof CallbackHandlers>;

let nextId = 1;

/**
 * Trains `model` as `model.fit(x, y, options)` would, in `worker`. The arguments are checked and
 * the model's random generator forked at the call, as fit does, so the worker's fit draws the same
 * shuffles and dropout masks and ends with the same weights, bit for bit. The callbacks run on
 * the page as the worker's events arrive (the worker does not wait for them); one that sets
 * `model.stopTraining = true` stops the worker's fit, as `stop()` does. The model is busy (a
 * second fit or dispose is refused) until `history` settles; its optimizer's state stays as it
 * was, since the worker trains with a fresh optimizer of the same configuration.
 */
export function fit(worker: WorkerEndpoint, model: Sequential | Model, x: Tensor | Tensor[], y: Tensor | Tensor[], options: WorkerFitOptions = {}): WorkerFit {
  const id = nextId++;
  let posted = false;
  let stopRequested = false;
  const stop = (): void => {
    if (stopRequested) return;
    stopRequested = true;
    if (posted) worker.postMessage({ webgrad: 'stop', id }, []);
  };
  // Watched from the call on: a Worker whose script fails to load reports it once, maybe while the
  // request is still being prepared (the weights and data read back), before exchange listens.
  const earlyFailure = watchFailure(worker);
  const history = (async (): Promise<History> => {
    if (!(model instanceof Sequential) && !(model instanceof Model)) throw new ValueError(`${OP}: the model must be a Sequential or functional model`);
    const callbacks = ([] as CallbackHandlers[]).concat(options.callbacks ?? []);
    if (callbacks.some((callback) => callback instanceof Callback)) {
      throw new ValueError(`${OP}: callbacks run on the page, where a Callback class (EarlyStopping, ReduceLROnPlateau, ...) cannot act on the model in the worker; pass plain { onEpochEnd, ... } handlers`);
    }
    const settings = fitSettings(options);
    const training = model.compiled(OP);
    const compile = describeCompile(OP, training);
    const xs = ([] as Tensor[]).concat(x);
    const ys = ([] as Tensor[]).concat(y);
    const validation = options.validationData && [([] as Tensor[]).concat(options.validationData[0]), ([] as Tensor[]).concat(options.validationData[1])];
    const end = model.activity.begin('fit');
    try {
      checkShapes(OP, model, training, xs, ys);
      if (validation) checkShapes(`${OP} (validationData)`, model, training, validation[0], validation[1]);
      model.stopTraining = false;
      const generator = forkGenerator();
      const toPayloads = (arrays: Tensor[]): Promise<TensorPayload[]> => Promise.all(arrays.map(toPayload));
      const [artifacts, xp, yp, vx, vy] = await Promise.all([
        saveModel(model), toPayloads(xs), toPayloads(ys), toPayloads(validation?.[0] ?? []), toPayloads(validation?.[1] ?? []),
      ]);
      const request: FitRequest = {
        webgrad: 'fit', id, artifacts, compile, x: xp, y: yp, validationData: validation ? [vx, vy] : null, settings, generator,
        events: (Object.keys(HANDLERS) as TrainingEvent[]).filter((event) => callbacks.some((callback) => callback[HANDLERS[event]])),
      };
      const { reply, detach } = exchange(worker, request, callbacks, () => {
        if (model.stopTraining) stop();
      }, stop, earlyFailure.seen());
      try {
        worker.postMessage(request, [artifacts.weights, ...buffersOf([...xp, ...yp, ...vx, ...vy])]);
      } catch (error) {
        detach();
        throw error;
      }
      posted = true;
      if (stopRequested) worker.postMessage({ webgrad: 'stop', id }, []);
      const done = await reply;
      loadWeights(model, done.weights);
      return historyOf(done);
    } finally {
      earlyFailure.stop();
      end();
    }
  })();
  return { history, stop };
}

/**
 * Listens for request `request.id`'s replies: runs the callbacks for each event in order (then
 * `afterCallback`), and settles with the done reply once every callback has run, or with the
 * first error (the worker's, a callback's, or the worker failing outright). `detach` stops
 * listening (for a request that could not be posted).
 */
function exchange(
  worker: WorkerEndpoint, request: FitRequest, callbacks: CallbackHandlers[], afterCallback: () => void, stop: () => void, earlier: Event | null,
): { reply: Promise<DoneReply>; detach: () => void } {
  const failedWorker = typeof Worker !== 'undefined' && worker instanceof Worker ? worker : null;
  let detach = (): void => {};
  const reply = new Promise<DoneReply>((resolve, reject) => {
    let calls = Promise.resolve();
    detach = () => {
      worker.removeEventListener('message', onMessage);
      failedWorker?.removeEventListener('error', onError);
    };
    const settle = (outcome: () => void): void => {
      detach();
      outcome();
    };
    const onMessage = (event: MessageEvent): void => {
      const reply: unknown = event.data;
      if (!isReply(reply) || reply.id !== request.id) return;
      if (reply.webgrad === 'event') {
        calls = calls.then(() => deliver(callbacks, reply)).then(afterCallback);
        calls.catch((error: unknown) => {
          stop();
          settle(() => reject(error));
        });
      } else if (reply.webgrad === 'done') {
        void calls.then(() => settle(() => resolve(reply)));
      } else {
        void calls.then(() => settle(() => reject(reviveError(reply.error))));
      }
    };
    const onError = (event: Event): void => {
      const detail = event instanceof ErrorEvent && event.message ? event.message : 'its script could not be loaded or run (is the URL right, and the Worker made with { type: \'module\' }?)';
      settle(() => reject(new WorkerError(`${OP}: the worker failed outside the fit: ${detail}`)));
    };
    worker.addEventListener('message', onMessage);
    failedWorker?.addEventListener('error', onError);
    if (earlier) onError(earlier);
  });
  return { reply, detach };
}

/** The first error event a Worker fires from now on (none for a MessagePort-like endpoint), until `stop`. */
function watchFailure(worker: WorkerEndpoint): { seen: () => Event | null; stop: () => void } {
  const failedWorker = typeof Worker !== 'undefined' && worker instanceof Worker ? worker : null;
  let first: Event | null = null;
  const onError = (event: Event): void => {
    first ??= event;
  };
  failedWorker?.addEventListener('error', onError);
  return { seen: () => first, stop: () => failedWorker?.removeEventListener('error', onError) };
}

async function deliver(callbacks: CallbackHandlers[], { event, index, logs }: EventReply): Promise<void> {
  for (const callback of callbacks) {
    if (event === 'trainBegin') await callback.onTrainBegin?.(logs);
    else if (event === 'trainEnd') await callback.onTrainEnd?.(logs);
    else if (event === 'epochBegin') await callback.onEpochBegin?.(index, logs);
    else if (event === 'epochEnd') await callback.onEpochEnd?.(index, logs as Logs);
    else await callback.onBatchEnd?.(index, logs as Logs);
  }
}

function historyOf({ epoch, history: values }: DoneReply): History {
  const history = new History();
  epoch.forEach((epochIndex, i) => history.record(epochIndex, Object.fromEntries(Object.entries(values).map(([key, list]) => [key, list[i]])) as Logs));
  return history;
}
