// The Keras-like layer: Sequential, layers, callbacks.
export { Sequential, type CompileArgs } from './sequential';
export type { FitOptions, EvaluateOptions, PredictOptions } from './training';
export type { FitDatasetOptions, EvaluateDatasetOptions } from './fitDataset';
export { Callback, EarlyStopping, ReduceLROnPlateau, TerminateOnNaN, History, type Logs, type CallbackHandlers, type EarlyStoppingOptions, type ReduceLROnPlateauOptions } from './callbacks';
export { ModelLayer } from './modelLayer';
export { Layer, type LayerArgs, type LayerConfig, type SampleShape, type CallOptions, type WeightSpec } from './layer';
export { getActivation, type ActivationName } from './activations';
export { getInitializer, type InitializerName, type Initializer } from './initializers';
export { input, model, Model, InputLayer, SymbolicTensor, type InputArgs, type ModelArgs, type ModelData } from './functional';
export type { CompileArgs as ModelCompileArgs, LossIdentifier, MetricIdentifier } from './compiled';
