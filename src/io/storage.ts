// Moving saved models between places: a URL (fetch / POST), IndexedDB, and a browser download.
import { ModelFormatError, ValueError, formatValue } from '../errors';
import { isPlainObject } from './safetensors';
import { parseStrictJson } from './strictJson';
import type { Sequential } from '../nn/sequential';
import { loadModel } from '../nn/loadModel';
import { saveModel } from '../nn/saveModel';
import type { ModelArtifacts, ModelJson } from './modelJson';

const WEIGHTS_FILE = 'model.safetensors';
const DATABASE = 'webgrad-models';
const STORE = 'models';

/**
 * Loads `model.json` from `url` and the weights it names (`weightsPath`, default model.safetensors)
 * from beside it.
 */
export async function loadModelFromUrl(url: string, init?: RequestInit): Promise<Sequential> {
  const jsonResponse = await fetch(url, init);
  if (!jsonResponse.ok) throw new ValueError(`loadModelFromUrl: GET ${url} answered ${jsonResponse.status}`);
  const modelJson = parseStrictJson(await jsonResponse.text(), `loadModelFromUrl: ${url}`) as ModelJson & { weightsPath?: unknown };
  if (!isPlainObject(modelJson)) throw new ModelFormatError(`loadModelFromUrl: ${url} is not a JSON object`);
  if (modelJson.weightsPath !== undefined && typeof modelJson.weightsPath !== 'string') {
    throw new ModelFormatError(`loadModelFromUrl: weightsPath must be a string, got ${formatValue(modelJson.weightsPath)}`);
  }
  const weightsUrl = new URL(modelJson.weightsPath ?? WEIGHTS_FILE, new URL(url, globalThis.location?.href)).href;
  const weightsResponse = await fetch(weightsUrl, init);
  if (!weightsResponse.ok) throw new ValueError(`loadModelFromUrl: GET ${weightsUrl} answered ${weightsResponse.status}`);
  return loadModel({ modelJson, weights: await weightsResponse.arrayBuffer() });
}

/**
 * POSTs the model as multipart form data with two files, model.json and model.safetensors (the
 * shape TF.js's http handler uses), and returns the server's response.
 */
export async function saveModelToUrl(model: Sequential, url: string, init: RequestInit = {}): Promise<Response> {
  const { modelJson, weights } = await saveModel(model);
  const form = new FormData();
  form.append('model.json', new Blob([JSON.stringify({ ...modelJson, weightsPath: WEIGHTS_FILE })], { type: 'application/json' }), 'model.json');
  form.append(WEIGHTS_FILE, new Blob([weights], { type: 'application/octet-stream' }), WEIGHTS_FILE);
  const response = await fetch(url, { method: 'POST', body: form, ...init });
  if (!response.ok) throw new ValueError(`saveModelToUrl: POST ${url} answered ${response.status}`);
  return response;
}

function openDatabase(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DATABASE, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function withStore<T>(mode: IDBTransactionMode, action: (store: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  const database = await openDatabase();
  try {
    return await new Promise<T>((resolve, reject) => {
      const request = action(database.transaction(STORE, mode).objectStore(STORE));
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  } finally {
    database.close();
  }
}

/** Stores the model in the browser's IndexedDB under `key`. */
export async function saveModelToIndexedDB(model: Sequential, key: string): Promise<void> {
  const artifacts = await saveModel(model);
  await withStore('readwrite', (store) => store.put(artifacts, key));
}

export async function loadModelFromIndexedDB(key: string): Promise<Sequential> {
  const artifacts = await withStore<ModelArtifacts | undefined>('readonly', (store) => store.get(key));
  if (!artifacts) throw new ValueError(`loadModelFromIndexedDB: no model stored under '${key}'`);
  return loadModel(artifacts);
}

/** Offers `<name>.json` and `<name>.safetensors` as browser downloads. */
export async function downloadModel(model: Sequential, name = 'model'): Promise<void> {
  const { modelJson, weights } = await saveModel(model);
  const files: [string, Blob][] = [
    [`${name}.json`, new Blob([JSON.stringify({ ...modelJson, weightsPath: `${name}.safetensors` })], { type: 'application/json' })],
    [`${name}.safetensors`, new Blob([weights], { type: 'application/octet-stream' })],
  ];
  for (const [fileName, blob] of files) {
    const link = document.createElement('a');
    link.href = URL.createObjectURL(blob);
    link.download = fileName;
    link.click();
    URL.revokeObjectURL(link.href);
  }
}
