// linear(x, kernel, bias, activation) = activation(x·kernel + bias) in one dispatch: the matmul
// kernel's epilogue adds the bias and applies the activation. Dense layers run on it.
import { recordOp } from '../autograd/recorder';
import { ShapeError, ValueError, formatShape } from '../errors';
import { Tensor } from '../tensor';
import { matmul } from './matmul';
import { chooseMatmulVariant, launchMatmul } from './matmulKernels';
import { sum } from './reduce';
import { assertFloat } from './operand';
import { unaryGradient } from './unary';

/** Activations the epilogue applies: those whose derivative follows from the output alone. */
const epilogueCodes = { linear: 0, relu: 1, sigmoid: 2, tanh: 3 } as const;
export type EpilogueActivation = keyof typeof epilogueCodes;

export function isEpilogueActivation(name: string): name is EpilogueActivation {
  return name in epilogueCodes;
}

/** x [rows, in] · kernel [in, out] (+ bias [out]), then the activation; float32. */
export function linear(x: Tensor, kernel: Tensor, bias: Tensor | null = null, activation: EpilogueActivation = 'linear'): Tensor {
  for (const t of [x, kernel, ...(bias ? [bias] : [])]) {
    t.assertAlive('linear');
    assertFloat('linear', t);
  }
  if (!isEpilogueActivation(activation)) throw new ValueError(`linear: activation '${activation}' is not one of ${Object.keys(epilogueCodes).join(', ')}`);
  if (x.rank !== 2 || kernel.rank !== 2 || x.shape[1] !== kernel.shape[0]) {
    throw new ShapeError(`linear: expected x [rows, in] and kernel [in, out], got ${formatShape(x.shape)} and ${formatShape(kernel.shape)}`);
  }
  const [M, K] = x.shape;
  const N = kernel.shape[1];
  if (bias && (bias.rank !== 1 || bias.shape[0] !== N)) {
    throw new ShapeError(`linear: bias must be [${N}] for kernel ${formatShape(kernel.shape)}, got ${formatShape(bias.shape)}`);
  }
  const out = Tensor.empty([M, N], 'float32');
  launchMatmul(chooseMatmulVariant({ M, N, K }), {
    a: x, b: kernel, out, M, N, K, transposeA: false, transposeB: false,
    batchShape: [], batchStridesA: [], batchStridesB: [],
    bias, activation: epilogueCodes[activation],
  });
  // The activation's derivative comes from the output: relu's from out > 0, which matches x > 0.
  recordOp(`linear(${activation})`, bias ? [x, kernel, bias] : [x, kernel], out, (dy, needed) => {
    const dz = activation === 'linear' ? dy : unaryGradient(activation, out, out, dy);
    return [
      needed[0] ? matmul(dz, kernel, { transposeB: true }) : null,
      needed[1] ? matmul(x, dz, { transposeA: true }) : null,
      ...(bias ? [needed[2] ? sum(dz, 0) : null] : []),
    ];
  });
  return out;
}
