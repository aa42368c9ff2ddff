// linear(x, kernel, bias, activation) = activation(x·kernel + bias) in one dispatch: the matmul
// kernel's epilogue adds the bias and applies the activation. Dense layers run on it. Each epilogue
// activation's gradient reads only its output (the rows' `fromOutput`), so the backward rule needs
// no pre-activation and the activation stays in the epilogue while a tape records too.
import { ShapeError, ValueError, formatShape } from '../errors';
import type { Tensor } from '../tensor';
import type { ElementwiseOp } from './elementwise';
import { kernelOp } from './kernelOp';
import { matmul } from './matmul';
import { chooseMatmulVariant, EPILOGUE_ACTIVATIONS, matmulDispatch, type EpilogueActivation } from './matmulKernels';
import { assertFloat } from './operand';
import { sum } from './reduce';
import { relu, sigmoid, tanh } from './unary';

export type { EpilogueActivation };

/** Each epilogue activation's op, whose gradient the backward rule takes from linear's output. */
const activationOps: Record<Exclude<EpilogueActivation, 'linear'>, ElementwiseOp> = { relu, sigmoid, tanh };

export function isEpilogueActivation(name: string): name is EpilogueActivation {
  return (EPILOGUE_ACTIVATIONS as string[]).includes(name);
}

/** x [rows, in] · kernel [in, out] (+ bias [out]), then the activation; float32. */
export function linear(x: Tensor, kernel: Tensor, bias: Tensor | null = null, activation: EpilogueActivation = 'linear'): Tensor {
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
      // dz = dy·act'(z), from the output y = act(z); then the matmul's and the bias's gradients.
      backward: (dy, needed, y) => {
        const dz = activation === 'linear' ? dy : activationOps[activation].gradient(0, [], y, dy);
        try {
          return [
            needed[0] ? matmul(dz, kernel, { transposeB: true }) : null,
            needed[1] ? matmul(x, dz, { transposeA: true }) : null,
            ...(bias ? [needed[2] ? sum(dz, 0) : null] : []),
          ];
        } finally {
          if (dz !== dy) dz.dispose();
        }
      },
    };
  });
}
