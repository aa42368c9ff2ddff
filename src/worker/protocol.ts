// The messages worker.fit (on the page) and worker.serve (in the worker) exchange. Everything in
// them survives structured cloning: tensors travel as typed-array buffers (transferred, not
// copied), the model as its save() artifacts, errors as { name, message, stack }.
import { formatShape, ValueError } from '../errors';
import { tensor } from '../ops/creation';
import type { DType, Tensor } from '../tensor';
import type { ModelArtifacts } from '../io/modelJson';
import type { FunctionalArtifacts } from '../io/functionalJson';
import type { FitSettings } from '../nn/dataChecks';
import type { RandomGenerator } from '../ops/random';
import type { CompileSpec } from './compileSpec';

/**
 * What both ends talk through: a dedicated Worker on the page, the worker's global scope inside it
 * (or either end of a MessageChannel).
 */
export interface WorkerEndpoint {
  postMessage(message: unknown, transfer: Transferable[]): void;
  addEventListener(type: 'message', listener: (event: MessageEvent) => void): void;
  removeEventListener(type: 'message', listener: (event: MessageEvent) => void): void;
}

/** A tensor's values and shape, its buffer ready to transfer. */
export interface TensorPayload {
  data: Float32Array | Int32Array;
  shape: number[];
  dtype: DType;
}

/** The callback hooks whose calls the worker streams back (only those the page asked for). */
export type TrainingEvent = 'trainBegin' | 'trainEnd' | 'epochBegin' | 'epochEnd' | 'batchEnd';

/** Page → worker: train this model on this data. */
export interface FitRequest {
  webgrad: 'fit';
  id: number;
  artifacts: ModelArtifacts | FunctionalArtifacts;
  compile: CompileSpec;
  x: TensorPayload[];
  y: TensorPayload[];
  validationData: [TensorPayload[], TensorPayload[]] | null;
  settings: FitSettings;
  /** The generator the page forked at the call, so shuffles and dropout match a fit on the page. */
  generator: RandomGenerator;
  events: TrainingEvent[];
}

/** Page → worker: set stopTraining on request `id`'s model (after its current batch). */
export interface StopRequest {
  webgrad: 'stop';
  id: number;
}

export type Request = FitRequest | StopRequest;

/** Worker → page: one callback call; `index` is the epoch or batch (0 for train begin/end). */
export interface EventReply {
  webgrad: 'event';
  id: number;
  event: TrainingEvent;
  index: number;
  logs: Record<string, number>;
}

/** Worker → page: the fit finished (or was stopped); its history and the trained weights as safetensors bytes. */
export interface DoneReply {
  webgrad: 'done';
  id: number;
  epoch: number[];
  history: Record<string, number[]>;
  weights: ArrayBuffer;
}

export interface SerializedError {
  name: string;
  message: string;
  stack: string;
}

/** Worker → page: the fit threw; the page rethrows it with the same class, name and message. */
export interface ErrorReply {
  webgrad: 'error';
  id: number;
  error: SerializedError;
}

export type Reply = EventReply | DoneReply | ErrorReply;

const REQUEST_KINDS = ['fit', 'stop'];
const REPLY_KINDS = ['event', 'done', 'error'];

/** Whether `data` is one of ours (a page may post its own messages to the same worker). */
export function isRequest(data: unknown): data is Request {
  return isTagged(data) && REQUEST_KINDS.includes(data.webgrad as string);
}

export function isReply(data: unknown): data is Reply {
  return isTagged(data) && REPLY_KINDS.includes(data.webgrad as string);
}

function isTagged(data: unknown): data is { webgrad: unknown; id: unknown } {
  return data !== null && typeof data === 'object' && 'webgrad' in data && 'id' in data && typeof data.id === 'number';
}

/** A copy of `t`'s values to transfer (the tensor itself is left as it was). */
export async function toPayload(t: Tensor): Promise<TensorPayload> {
  return { data: await t.data(), shape: [...t.shape], dtype: t.dtype };
}

export function fromPayload(payload: TensorPayload, what: string): Tensor {
  const size = payload.shape.reduce((a, b) => a * b, 1);
  if (payload.data.length !== size) {
    throw new ValueError(`worker.serve: ${what} has ${payload.data.length} values for shape ${formatShape(payload.shape)}`);
  }
  return tensor(payload.data, payload.shape, payload.dtype);
}

/** The buffers of `payloads`, to hand over rather than copy. */
export function buffersOf(payloads: readonly TensorPayload[]): ArrayBuffer[] {
  return payloads.map((payload) => payload.data.buffer as ArrayBuffer);
}
