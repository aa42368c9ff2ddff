// Float64 CPU reference implementations: the ground truth op tests compare the GPU against.
export * from './compare';
export * from './conv';
export * from './convFamily';
export * from './elementwise';
export * from './gradients';
export * from './matmul';
export * from './ndarray';
export * from './random';
export * from './reduce';
export * from './shape';
export * from './softmax';
