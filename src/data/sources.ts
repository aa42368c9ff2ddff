// Where datasets start: an array of elements, a (sync or async) generator function, or several
// datasets zipped together.
import { ValueError } from '../errors';
import { noGrad } from '../autograd/recorder';
import { cast } from '../ops/cast';
import { Tensor } from '../tensor';
import { Dataset } from './dataset';
import { describe, disposeElement, isPlainObject, mapValues, type Element } from './element';

/**
 * The items in order. Tensors among them are copied as they are yielded, since a pass hands its
 * elements to the consumer to dispose; the originals stay the caller's.
 */
export function array<T extends Element>(items: readonly T[]): Dataset<T> {
  if (!Array.isArray(items)) throw new ValueError(`data.array: expected an array of elements, got ${describe(items)}`);
  return new Dataset<T>(async function* elements() {
    for (const item of items) {
      yield mapValues(item, (value) => (value instanceof Tensor ? noGrad(() => cast(value, value.dtype)) : value)) as T;
    }
  });
}

/** A source of elements: what a sync or async generator function returns. */
export type ElementIterator<T> = Iterator<T> | AsyncIterator<T>;

/**
 * The elements `makeIterator` yields; it is called again for each pass (each epoch), as TF.js's
 * tf.data.generator. Its elements belong to the dataset's consumer.
 */
export function generator<T extends Element>(makeIterator: () => ElementIterator<T>): Dataset<T> {
  if (typeof makeIterator !== 'function') throw new ValueError(`data.generator: expected a generator function, got ${describe(makeIterator)}`);
  return new Dataset<T>(async function* generated() {
    const iterator = makeIterator();
    if (!iterator || typeof iterator.next !== 'function') throw new ValueError(`data.generator: the function must return an iterator (a generator), got ${describe(iterator)}`);
    let finished = false;
    try {
      for (;;) {
        const result = await iterator.next();
        if (result.done) {
          finished = true;
          return;
        }
        yield result.value;
      }
    } finally {
      if (!finished) await iterator.return?.();
    }
  });
}

/**
 * Elements of several datasets side by side: a list of datasets gives [a, b, ...], an object of
 * datasets { key: value, ... }. Ends with the shortest, as tf.data.zip.
 */
export function zip(datasets: readonly Dataset[] | Record<string, Dataset>): Dataset {
  const keys = Array.isArray(datasets) ? null : isPlainObject(datasets) ? Object.keys(datasets) : undefined;
  const list: unknown[] = Array.isArray(datasets) ? datasets : keys ? keys.map((key) => (datasets as Record<string, Dataset>)[key]) : [];
  if (keys === undefined || list.length === 0 || !list.every((item) => item instanceof Dataset)) {
    throw new ValueError(`data.zip: expected a non-empty list or object of datasets, got ${describe(datasets)}`);
  }
  const sources = list as Dataset[];
  return new Dataset(async function* zipped() {
    const iterators = sources.map((source) => source[Symbol.asyncIterator]());
    const done = iterators.map(() => false);
    try {
      for (;;) {
        const results = await Promise.all(iterators.map((iterator) => iterator.next()));
        results.forEach((result, i) => { done[i] = result.done === true; });
        if (done.some(Boolean)) {
          results.forEach((result) => { if (!result.done) disposeElement(result.value); });
          return;
        }
        const values = results.map((result) => result.value as Element);
        yield keys ? Object.fromEntries(keys.map((key, i) => [key, values[i]])) : values;
      }
    } finally {
      await Promise.all(iterators.map((iterator, i) => (done[i] ? undefined : iterator.return?.())));
    }
  });
}
