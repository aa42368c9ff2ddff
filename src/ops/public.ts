// The ops as the public API exports them: every tensor argument also takes a TensorLike (a number,
// nested array or typed array), converted once by asTensor and disposed after the call, as TF.js's
// convertToTensor does. Internal code calls the ops directly, with tensors. (The op table's rows,
// src/ops/elementwise.ts, take TensorLike arguments themselves.)
import { Tensor } from '../tensor';
import * as attentionOps from './attention';
import * as castOps from './cast';
import * as clipOps from './clip';
import * as convOps from './conv';
import * as creationOps from './creation';
import * as dotOps from './dot';
import * as dropoutOps from './dropout';
import * as indexingOps from './indexing';
import * as linearOps from './linear';
import * as matmulOps from './matmul';
import * as movementOps from './movement';
import * as normalizationOps from './normalization';
import { Conversions, type TensorLike } from './operand';
import * as poolOps from './pool';
import * as reduceOps from './reduce';
import * as softmaxOps from './softmax';

/** A parameter typed Tensor (or a list of them) accepts TensorLike; others are unchanged. */
type Like<T> = T extends Tensor ? TensorLike : T extends readonly Tensor[] ? readonly TensorLike[] : T;
type LikeArgs<A extends readonly unknown[]> = { [K in keyof A]: Like<A[K]> };

/**
 * How each positional argument converts: its name (for errors), `?` when null/undefined may stand
 * for "none", `[]` for a list of tensors, `:int32` for indices; null for a non-tensor argument.
 * Numbers stay numbers for the elementwise ops (`numbersPass`), whose dtype rules treat them
 * specially (int32 x + 2 stays int32); elsewhere a number becomes a scalar tensor.
 */
export function acceptTensorLike<A extends unknown[], R>(op: string, parameters: readonly (string | null)[], fn: (...args: A) => R, numbersPass = false): (...args: LikeArgs<A>) => R {
  return (...args: LikeArgs<A>): R => {
    const conversions = new Conversions(op);
    return conversions.around(() => {
      const converted = args.map((arg, i) => {
        const spec = parameters[i];
        if (!spec || (arg === undefined && !spec.includes('?'))) return arg;
        const name = spec.replace(/[?[\]]|:int32/g, '');
        const dtype = spec.endsWith(':int32') ? 'int32' : 'float32';
        const convert = (value: unknown, label: string): unknown =>
          (spec.includes('?') && (value === null || value === undefined)) || (numbersPass && typeof value === 'number')
            ? value
            : conversions.convert(value, label, dtype);
        if (!spec.includes('[]')) return convert(arg, name);
        if (!Array.isArray(arg)) throw new TypeError(`${op}: argument '${name}' must be an array of tensors, got ${typeof arg}`);
        return arg.map((item: unknown, k: number) => convert(item, `${name}[${k}]`));
      });
      return fn(...(converted as A));
    });
  };
}

// Each wrapper is marked pure (making one has no effect), so an app's bundler drops those it never
// calls and with them the op modules nothing else reaches (dist/esm keeps the marks).
export const clip = /* @__PURE__ */ acceptTensorLike('clip', ['x', null, null], clipOps.clip, true);

export const sum = /* @__PURE__ */ acceptTensorLike('sum', ['x'], reduceOps.sum);
export const mean = /* @__PURE__ */ acceptTensorLike('mean', ['x'], reduceOps.mean);
export const max = /* @__PURE__ */ acceptTensorLike('max', ['x'], reduceOps.max);
export const min = /* @__PURE__ */ acceptTensorLike('min', ['x'], reduceOps.min);
export const argmax = /* @__PURE__ */ acceptTensorLike('argmax', ['x'], reduceOps.argmax);
export const softmax = /* @__PURE__ */ acceptTensorLike('softmax', ['x'], softmaxOps.softmax);
export const logSoftmax = /* @__PURE__ */ acceptTensorLike('logSoftmax', ['x'], softmaxOps.logSoftmax);
export const reshape = /* @__PURE__ */ acceptTensorLike('reshape', ['x'], movementOps.reshape);
export const transpose = /* @__PURE__ */ acceptTensorLike('transpose', ['x'], movementOps.transpose);
export const broadcastTo = /* @__PURE__ */ acceptTensorLike('broadcastTo', ['x'], movementOps.broadcastTo);
export const slice = /* @__PURE__ */ acceptTensorLike('slice', ['x'], movementOps.slice);
export const concat = /* @__PURE__ */ acceptTensorLike('concat', ['tensors[]'], movementOps.concat);
export const cast = /* @__PURE__ */ acceptTensorLike('cast', ['x'], castOps.cast);
export const matmul = /* @__PURE__ */ acceptTensorLike('matmul', ['a', 'b'], matmulOps.matmul);
export const dot = /* @__PURE__ */ acceptTensorLike('dot', ['a', 'b'], dotOps.dot);
export const outerProduct = /* @__PURE__ */ acceptTensorLike('outerProduct', ['v1', 'v2'], dotOps.outerProduct);
export const linear = /* @__PURE__ */ acceptTensorLike('linear', ['x', 'kernel', 'bias?'], linearOps.linear);
export const gather = /* @__PURE__ */ acceptTensorLike('gather', ['x', 'indices:int32'], indexingOps.gather);
export const oneHot = /* @__PURE__ */ acceptTensorLike('oneHot', ['indices:int32'], indexingOps.oneHot);
export const conv2d = /* @__PURE__ */ acceptTensorLike('conv2d', ['x', 'filter'], convOps.conv2d);
export const conv2dBackpropInput = /* @__PURE__ */ acceptTensorLike('conv2dBackpropInput', ['dy', 'filter'], convOps.conv2dBackpropInput);
export const conv2dBackpropFilter = /* @__PURE__ */ acceptTensorLike('conv2dBackpropFilter', ['x', 'dy'], convOps.conv2dBackpropFilter);
export const maxPool2d = /* @__PURE__ */ acceptTensorLike('maxPool2d', ['x'], poolOps.maxPool2d);
export const avgPool2d = /* @__PURE__ */ acceptTensorLike('avgPool2d', ['x'], poolOps.avgPool2d);
export const moments = /* @__PURE__ */ acceptTensorLike('moments', ['x'], normalizationOps.moments);
export const batchNorm = /* @__PURE__ */ acceptTensorLike('batchNorm', ['x', 'mean', 'variance', 'gamma?', 'beta?'], normalizationOps.batchNorm);
export const layerNorm = /* @__PURE__ */ acceptTensorLike('layerNorm', ['x', 'gamma?', 'beta?'], normalizationOps.layerNorm);
export const dropout = /* @__PURE__ */ acceptTensorLike('dropout', ['x'], dropoutOps.dropout);
export const scaledDotProductAttention = /* @__PURE__ */ acceptTensorLike('scaledDotProductAttention', ['q', 'k', 'v'], attentionOps.scaledDotProductAttention);
export const zerosLike = /* @__PURE__ */ acceptTensorLike('zerosLike', ['x'], creationOps.zerosLike);
export const onesLike = /* @__PURE__ */ acceptTensorLike('onesLike', ['x'], creationOps.onesLike);
