// Saving and loading models.
export { saveModel } from '../nn/saveModel';
export { loadModel, loadWeights } from '../nn/loadModel';
export type { ModelArtifacts, ModelJson } from './modelJson';
export { loadModelFromUrl, saveModelToUrl, saveModelToIndexedDB, loadModelFromIndexedDB, downloadModel } from './storage';
export { encodeSafetensors, decodeSafetensors, type NamedArray, type SafetensorsDtype } from './safetensors';
