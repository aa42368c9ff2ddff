// wg.data's Dataset: a recipe for a stream of elements that can be iterated again (each
// `for await` starts a fresh pass, as tf.data's iterator()), with tf.data's chained steps. What
// an iteration yields belongs to whoever iterates: its tensors are theirs to dispose (fit does so
// after each step), and every step disposes what it drops (take's tail is never pulled, map's
// input tensors not in its output, shuffle's and prefetch's buffers when a pass ends early).
import { ValueError } from '../errors';
import { tidy } from '../memory';
import { mulberry32 } from '../nn/hostRandom';
import { hostRandomSeed } from '../ops/random';
import { collate } from './collate';
import { disposeElement, tensorsOf, type Element } from './element';

export interface BatchOptions {
  /** Drop a last batch smaller than `size` (default false: keep it). */
  dropRemainder?: boolean;
}

export interface ShuffleOptions {
  /** A fixed seed; by default one is drawn from webgrad's generator when shuffle() is called, so wg.setSeed reproduces it. */
  seed?: number;
  /** A new order on every pass (default true, as tf.data); false repeats the first pass's order. */
  reshuffleEachIteration?: boolean;
}

export class Dataset<T extends Element = Element> implements AsyncIterable<T> {
  /** @param passes makes the iterator of one pass; called once per `for await`. */
  constructor(private readonly passes: () => AsyncIterator<T>) {}

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return this.passes();
  }

  /** TF.js's spelling of a fresh pass. */
  iterator(): AsyncIterator<T> {
    return this.passes();
  }

  /** Groups `size` consecutive elements into one, each value stacked into a tensor [size, ...]. */
  batch(size: number, options: BatchOptions = {}): Dataset {
    assertCount('batch', 'size', size, 1);
    const { dropRemainder = false } = options;
    const source = this;
    return new Dataset(async function* batches() {
      const pending: T[] = [];
      let index = 0;
      try {
        for await (const element of source) {
          pending.push(element);
          if (pending.length === size) yield collate(pending.splice(0), index++);
        }
        if (pending.length > 0 && !dropRemainder) yield collate(pending.splice(0), index++);
      } finally {
        pending.forEach((element) => disposeElement(element));
      }
    });
  }

  /**
   * tf.data's buffer shuffle: fill a buffer of `bufferSize` elements, then repeatedly emit a random
   * one and put the next element in its place; drain the buffer in random order at the end. A
   * buffer at least the dataset's size gives a uniform permutation; a buffer of 1 keeps the order.
   */
  shuffle(bufferSize: number, options: ShuffleOptions = {}): Dataset<T> {
    assertCount('shuffle', 'bufferSize', bufferSize, 1);
    const { seed, reshuffleEachIteration = true } = options;
    if (seed !== undefined && !Number.isSafeInteger(seed)) throw new ValueError(`shuffle: seed must be a safe integer, got ${String(seed)}`);
    const firstSeed = seed === undefined ? hostRandomSeed() : seed >>> 0;
    const nextSeed = mulberry32(firstSeed);
    const source = this;
    return new Dataset<T>(async function* shuffled() {
      const random = mulberry32(reshuffleEachIteration ? Math.floor(nextSeed() * 4294967296) : firstSeed);
      const pick = (count: number): number => Math.floor(random() * count);
      const buffer: T[] = [];
      try {
        for await (const element of source) {
          if (buffer.length < bufferSize) {
            buffer.push(element);
            continue;
          }
          const i = pick(buffer.length);
          const chosen = buffer[i];
          buffer[i] = element;
          yield chosen;
        }
        while (buffer.length > 0) {
          const i = pick(buffer.length);
          const chosen = buffer[i];
          buffer[i] = buffer[buffer.length - 1];
          buffer.pop();
          yield chosen;
        }
      } finally {
        buffer.forEach((element) => disposeElement(element));
      }
    });
  }

  /** Each element passed through `fn` (synchronous, run in a tidy: its temporaries are freed). */
  map<U extends Element>(fn: (element: T) => U): Dataset<U> {
    const source = this;
    return new Dataset<U>(async function* mapped() {
      for await (const element of source) {
        let result: U;
        try {
          result = tidy(() => fn(element));
        } catch (error) {
          disposeElement(element);
          throw error;
        }
        disposeElement(element, tensorsOf(result));
        yield result;
      }
    });
  }

  /** The first `count` elements (all when fewer). */
  take(count: number): Dataset<T> {
    assertCount('take', 'count', count, 0);
    const source = this;
    return new Dataset<T>(async function* taken() {
      if (count === 0) return;
      let seen = 0;
      for await (const element of source) {
        yield element;
        if (++seen >= count) return;
      }
    });
  }

  /** All but the first `count` elements (those are disposed). */
  skip(count: number): Dataset<T> {
    assertCount('skip', 'count', count, 0);
    const source = this;
    return new Dataset<T>(async function* skipped() {
      let seen = 0;
      for await (const element of source) {
        if (seen++ < count) disposeElement(element);
        else yield element;
      }
    });
  }

  /** The dataset `count` times over (forever when omitted); a pass that yields nothing ends it. */
  repeat(count?: number): Dataset<T> {
    if (count !== undefined) assertCount('repeat', 'count', count, 0);
    const source = this;
    return new Dataset<T>(async function* repeated() {
      for (let pass = 0; count === undefined || pass < count; pass++) {
        let any = false;
        for await (const element of source) {
          any = true;
          yield element;
        }
        if (!any) return;
      }
    });
  }

  /**
   * Keeps `bufferSize` elements requested ahead of the consumer, so producing (and uploading) the
   * next batches overlaps the consumer's work on this one when the source awaits (I/O, a decoder).
   */
  prefetch(bufferSize: number): Dataset<T> {
    assertCount('prefetch', 'bufferSize', bufferSize, 1);
    const source = this;
    return new Dataset<T>(async function* prefetched() {
      const upstream = source[Symbol.asyncIterator]();
      const ahead: Promise<IteratorResult<T>>[] = [];
      const request = (): void => {
        const next = upstream.next();
        // Rejections surface when the consumer reaches that element; until then they are not unhandled.
        next.catch(() => undefined);
        ahead.push(next);
      };
      let finished = false;
      try {
        while (ahead.length < bufferSize) request();
        for (;;) {
          const head = ahead.shift() as Promise<IteratorResult<T>>;
          request();
          const result = await head;
          if (result.done) {
            finished = true;
            return;
          }
          yield result.value;
        }
      } finally {
        const left = await Promise.allSettled(ahead);
        for (const result of left) if (result.status === 'fulfilled' && !result.value.done) disposeElement(result.value.value);
        if (!finished) await upstream.return?.();
      }
    });
  }

  /** Calls `fn` on each element of one pass (tf.data's forEachAsync). */
  async forEachAsync(fn: (element: T) => void | Promise<void>): Promise<void> {
    for await (const element of this) await fn(element);
  }

  /** One pass's elements as an array (they are the caller's to dispose; on an error, those already pulled are disposed). */
  async toArray(): Promise<T[]> {
    const out: T[] = [];
    try {
      for await (const element of this) out.push(element);
    } catch (error) {
      out.forEach((element) => disposeElement(element));
      throw error;
    }
    return out;
  }
}

function assertCount(op: string, name: string, value: unknown, least: number): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < least) {
    throw new ValueError(`${op}: ${name} must be an integer ≥ ${least}, got ${String(value)}`);
  }
}
