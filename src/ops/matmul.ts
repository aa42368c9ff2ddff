// Matrix product over the last two axes, leading (batch) axes broadcast as in numpy.matmul.
// Transposed operands are read in place by the kernel, never copied; see matmulKernels.ts.
import { ShapeError, formatShape } from '../errors';
import type { Tensor } from '../tensor';
import { broadcastShapes, broadcastStrides, type Shape } from '../shape';
import { MAX_RANK } from './broadcast';
import { kernelOp } from './kernelOp';
import { chooseMatmulVariant, matmulDispatch } from './matmulKernels';
import { assertFloat } from './operand';

export interface MatmulOptions {
  /** Use a with its last two axes swapped. */
  transposeA?: boolean;
  /** Use b with its last two axes swapped. */
  transposeB?: boolean;
}

/**
 * a [...batchA, M, K] @ b [...batchB, K, N] → [...broadcast(batchA, batchB), M, N], float32.
 * With transposeA, a is [..., K, M] (transposeB: b is [..., N, K]). Both inputs need rank ≥ 2:
 * reshape a vector to [1, K] or [K, 1] first.
 */
export function matmul(a: Tensor, b: Tensor, options: MatmulOptions = {}): Tensor {
  const transposeA = options.transposeA ?? false;
  const transposeB = options.transposeB ?? false;
  return kernelOp('matmul', [a, b], () => {
    assertFloat('matmul', a);
    assertFloat('matmul', b);
    const { M, N, K, batchShape } = matmulShapes(a.shape, b.shape, transposeA, transposeB);
    return {
      output: { shape: [...batchShape, M, N], dtype: 'float32' },
      steps: (out) => [matmulDispatch(chooseMatmulVariant({ M, N, K, transposeA, transposeB }), {
        a, b, out, M, N, K, transposeA, transposeB, batchShape,
        batchStridesA: broadcastStrides(a.shape.slice(0, -2), batchShape).map((stride) => stride * M * K),
        batchStridesB: broadcastStrides(b.shape.slice(0, -2), batchShape).map((stride) => stride * K * N),
      })],
      // Y = op(A)·op(B) gives dop(A) = dY·op(B)ᵀ and dop(B) = op(A)ᵀ·dY; a transposed operand's
      // gradient is the transpose of that, which the flags express without copying anything.
      // Batch dims that were broadcast are summed back by the tape.
      backward: (dy, needed) => [
        !needed[0] ? null : transposeA
          ? matmul(b, dy, { transposeA: transposeB, transposeB: true })
          : matmul(dy, b, { transposeB: !transposeB }),
        !needed[1] ? null : transposeB
          ? matmul(dy, a, { transposeA: true, transposeB: transposeA })
          : matmul(a, dy, { transposeA: !transposeA }),
      ],
    };
  });
}

/** M, N, K and the broadcast batch shape, or a ShapeError naming both shapes and the transposes. */
function matmulShapes(aShape: Shape, bShape: Shape, transposeA: boolean, transposeB: boolean): { M: number; N: number; K: number; batchShape: number[] } {
  const flags = [transposeA ? 'transposeA' : '', transposeB ? 'transposeB' : ''].filter(Boolean).join(', ');
  const call = `${formatShape(aShape)} @ ${formatShape(bShape)}${flags ? ` (${flags})` : ''}`;
  if (aShape.length < 2 || bShape.length < 2) {
    throw new ShapeError(`matmul: both inputs need at least 2 dimensions, got ${call}; reshape a vector to [1,K] or [K,1]`);
  }
  const [aRows, aCols] = aShape.slice(-2);
  const [bRows, bCols] = bShape.slice(-2);
  const [M, K] = transposeA ? [aCols, aRows] : [aRows, aCols];
  const [bK, N] = transposeB ? [bCols, bRows] : [bRows, bCols];
  if (K !== bK) throw new ShapeError(`matmul: inner dimensions differ: ${call} (${K} vs ${bK})`);

  // Names the whole call, not just the batch dims, so the user can find it.
  const batchShape = broadcastShapes(`matmul (batch dims of ${call})`, aShape.slice(0, -2), bShape.slice(0, -2));
  if (batchShape.length + 2 > MAX_RANK) {
    throw new ShapeError(`matmul: the result would have rank ${batchShape.length + 2}, more than the supported ${MAX_RANK}: ${call}`);
  }
  return { M, N, K, batchShape };
}
