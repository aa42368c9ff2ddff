// wg.data: datasets streamed into fit, as tf.data.
export { Dataset, type BatchOptions, type ShuffleOptions } from './dataset';
export { array, generator, zip, type ElementIterator } from './sources';
export type { Element, DataValue } from './element';
