// Saving and loading models.
export { saveModel, loadModel, loadWeights, type ModelArtifacts, type ModelJson, type FunctionalArtifacts, type FunctionalJson } from './modelArtifacts';
export { loadModelFromUrl, saveModelToUrl, saveModelToIndexedDB, loadModelFromIndexedDB, downloadModel } from './storage';
export { encodeSafetensors, decodeSafetensors, type NamedArray, type SafetensorsDtype } from './safetensors';
