// linear(x, kernel, bias, activation) = activation(x·kernel + bias) in one dispatch: the matmul
// kernel's epilogue adds the bias and applies the activation. Dense layers run on it. While a tape
// records, the activation is a second op, so its backward rule sees its own input.
import { isRecording } from '../autograd/recorder';
import { ShapeError, ValueError, formatShape } from '../errors';
import type { Tensor } from '../tensor';
import { kernelOp } from './kernelOp';
import { matmul } from './matmul';
import { chooseMatmulVariant, EPILOGUE_ACTIVATIONS, matmulDispatch, type EpilogueActivation } from './matmulKernels';
import { assertFloat } from './operand';
import { sum } from './reduce';
import { relu, sigmoid, tanh } from './unary';

export type { EpilogueActivation };

/** Each epilogue activation as its own op, for a tape (linear's 'linear' has none). */
const activationOps: Record<Exclude<EpilogueActivation, 'linear'>, (z: Tensor) => Tensor> = { relu, sigmoid, tanh };

export function isEpilogueActivation(name: string): name is EpilogueActivation {
  return (EPILOGUE_ACTIVATIONS as string[]).includes(name);
}

/**
 * x [rows, in] · kernel [in, out] (+ bias [out]), then the activation; float32. While a tape
 * records, the activation runs as its own op on the pre-activation z = x·kernel + bias, so its
 * backward rule gets the input it is written for; otherwise the matmul epilogue applies it.
 */
export function linear(x: Tensor, kernel: Tensor, bias: Tensor | null = null, activation: EpilogueActivation = 'linear'): Tensor {
  if (isEpilogueActivation(activation) && activation !== 'linear' && isRecording()) {
    const z = affine(x, kernel, bias, 'linear');
    try {
      return activationOps[activation](z);
    } finally {
      z.dispose();
    }
  }
  return affine(x, kernel, bias, activation);
}

/** One product with the bias and activation epilogue; differentiable without an activation. */
function affine(x: Tensor, kernel: Tensor, bias: Tensor | null, activation: EpilogueActivation): Tensor {
  return kernelOp(`linear(${activation})`, bias ? [x, kernel, bias] : [x, kernel], () => {
    for (const t of [x, kernel, ...(bias ? [bias] : [])]) assertFloat('linear', t);
    if (!isEpilogueActivation(activation)) throw new ValueError(`linear: activation '${activation}' is not one of ${EPILOGUE_ACTIVATIONS.join(', ')}`);
    if (x.rank !== 2 || kernel.rank !== 2 || x.shape[1] !== kernel.shape[0]) {
      throw new ShapeError(`linear: expected x [rows, in] and kernel [in, out], got ${formatShape(x.shape)} and ${formatShape(kernel.shape)}`);
    }
    const [M, K] = x.shape;
    const N = kernel.shape[1];
    if (bias && (bias.rank !== 1 || bias.shape[0] !== N)) {
      throw new ShapeError(`linear: bias must be [${N}] for kernel ${formatShape(kernel.shape)}, got ${formatShape(bias.shape)}`);
    }
    return {
      output: { shape: [M, N], dtype: 'float32' },
      steps: (out) => [matmulDispatch(chooseMatmulVariant({ M, N, K }), {
        a: x, b: kernel, out, M, N, K, transposeA: false, transposeB: false,
        batchShape: [], batchStridesA: [], batchStridesB: [],
        bias, activation,
      })],
      // A tape records this op only without an activation (linear splits it off), so dy is dz.
      backward: activation !== 'linear' ? null : (dz, needed) => [
        needed[0] ? matmul(dz, kernel, { transposeB: true }) : null,
        needed[1] ? matmul(x, dz, { transposeA: true }) : null,
        ...(bias ? [needed[2] ? sum(dz, 0) : null] : []),
      ],
    };
  });
}
