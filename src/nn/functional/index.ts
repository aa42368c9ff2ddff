// The functional API: wg.input, wg.model, and the merge layers.
export { input, InputLayer, type InputArgs } from './inputLayer';
export { Model, model, type ModelArgs, type ModelData } from './model';
export { SymbolicTensor } from './symbolic';
export { Add, Multiply, Concatenate, type ConcatenateArgs } from './merge';
