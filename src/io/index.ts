// Saving and loading models: nn (de)serializes architectures, io moves the bytes.
export { saveModel, type SaveOptions } from '../nn/saveModel';
export { loadModel, loadWeights } from '../nn/loadModel';
export type { ModelArtifacts, ModelJson } from './modelJson';
export type { FunctionalArtifacts, FunctionalJson } from './functionalJson';
export { loadModelFromUrl, saveModelToUrl, saveModelToIndexedDB, loadModelFromIndexedDB, downloadModel } from './storage';
export { encodeSafetensors, decodeSafetensors, type NamedArray, type SafetensorsDtype } from './safetensors';
