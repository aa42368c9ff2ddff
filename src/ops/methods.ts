// Installs the ops as Tensor methods (typed by the Tensor interface in src/tensor.ts): every row of
// the op table flagged `method`, read from the modules that export rows, and the other ops listed
// below. The tensor module imports no op, so ops import it without a cycle, as TF.js's chained ops
// do.
import { Tensor, type DType, type TensorMethods } from '../tensor';
import * as binaryRows from './binary';
import { cast } from './cast';
import { clip } from './clip';
import * as compareRows from './compare';
import type { ElementwiseOp } from './elementwise';
import { gelu, type GeluOptions } from './gelu';
import * as indexingOps from './indexing';
import { matmul, type MatmulOptions } from './matmul';
import * as movementOps from './movement';
import { asTensor, Conversions, withOperand, type TensorLike } from './operand';
import * as powRows from './pow';
import * as reduceOps from './reduce';
import type { Axes } from './reduce';
import * as softmaxOps from './softmax';
import * as unaryRows from './unary';

/** The modules whose exported rows may be methods: the types below and the install read the same ones. */
const rowModules = [binaryRows, compareRows, powRows, unaryRows];
type RowModules = typeof binaryRows & typeof compareRows & typeof powRows & typeof unaryRows;

/** `x.name(...others)` for every row flagged `method`: the row's inputs after the first, as TensorLike. */
export type ElementwiseMethods = {
  [K in keyof RowModules as RowModules[K] extends { declaration: { method?: true } } ? K : never]:
    RowModules[K] extends (first: TensorLike, ...others: infer Others extends readonly TensorLike[]) => Tensor ? (...others: Others) => Tensor : never;
};

/** The methods that are not one row: ops with options, bounds or dtypes, and the non-elementwise ops. */
const methods: Omit<TensorMethods, keyof ElementwiseMethods> & ThisType<Tensor> = {
  gelu(options?: GeluOptions): Tensor { return gelu(this, options); },
  clip(lo: number, hi: number): Tensor { return clip(this, lo, hi); },
  sum(axes?: Axes, keepDims = false): Tensor { return reduceOps.sum(this, axes, keepDims); },
  mean(axes?: Axes, keepDims = false): Tensor { return reduceOps.mean(this, axes, keepDims); },
  max(axes?: Axes, keepDims = false): Tensor { return reduceOps.max(this, axes, keepDims); },
  min(axes?: Axes, keepDims = false): Tensor { return reduceOps.min(this, axes, keepDims); },
  argmax(axis?: number, keepDims = false): Tensor { return reduceOps.argmax(this, axis, keepDims); },
  softmax(axis = -1): Tensor { return softmaxOps.softmax(this, axis); },
  logSoftmax(axis = -1): Tensor { return softmaxOps.logSoftmax(this, axis); },
  matmul(other: TensorLike, options?: MatmulOptions): Tensor { return withOperand('matmul', other, 'other', (b) => matmul(this, asTensor('matmul', b), options)); },
  reshape(shape: readonly number[]): Tensor { return movementOps.reshape(this, shape); },
  transpose(perm?: readonly number[]): Tensor { return movementOps.transpose(this, perm); },
  broadcastTo(shape: readonly number[]): Tensor { return movementOps.broadcastTo(this, shape); },
  slice(begin: readonly number[], size?: readonly number[]): Tensor { return movementOps.slice(this, begin, size); },
  gather(indices: TensorLike, axis = 0, batchDims = 0): Tensor { return withOperand('gather', indices, 'indices', (i) => indexingOps.gather(this, asTensor('gather', i, 'int32'), axis, batchDims), 'int32'); },
  cast(dtype: DType): Tensor { return cast(this, dtype); },
};

/**
 * A row as a method: `x.op(...others)` is `op(x, ...others)`. Numbers stay numbers (for the dtype
 * rules) and arrays become tensors for the call; a lone operand is named 'other' in errors.
 */
function rowMethod(name: string, op: ElementwiseOp): (this: Tensor, ...others: unknown[]) => Tensor {
  const names = op.declaration.inputs;
  return function (this: Tensor, ...others: unknown[]): Tensor {
    const conversions = new Conversions(name);
    return conversions.around(() => op(this, ...others.map((other, k) =>
      (typeof other === 'number' ? other : conversions.convert(other, others.length === 1 ? 'other' : names[k + 1])))));
  };
}

/**
 * Puts the methods on Tensor.prototype, non-enumerable as class methods are; src/index.ts calls it
 * once, before any user code runs.
 */
export function installTensorMethods(): void {
  const isMethodRow = (value: unknown): value is ElementwiseOp => typeof value === 'function' && 'declaration' in value && (value as ElementwiseOp).declaration.method === true;
  const rows = rowModules.flatMap((module) => Object.values(module).filter(isMethodRow)).map((op) => [op.declaration.name, rowMethod(op.declaration.name, op)] as const);
  for (const [name, method] of [...rows, ...Object.entries(methods)]) {
    Object.defineProperty(Tensor.prototype, name, { value: method, writable: true, configurable: true, enumerable: false });
  }
}
