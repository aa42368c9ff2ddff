// Weight initializers, drawing from the seeded GPU random generator (as Keras's defaults).
import { ValueError } from '../errors';
import type { Tensor } from '../tensor';
import { mul } from '../ops/binary';
import { full } from '../ops/creation';
import { rand, randn } from '../ops/random';
import { abs } from '../ops/unary';
import { clip } from '../ops/clip';
import { less, where } from '../ops/compare';
import { tidy } from '../memory';
import { orthogonal } from './orthogonal';

export type InitializerName = 'glorotUniform' | 'heNormal' | 'orthogonal' | 'zeros' | 'ones';
export type Initializer = (shape: readonly number[]) => Tensor;

/** Fan-in and fan-out of a weight shape: [in, out] for Dense, [h, w, in, out] for conv kernels. */
function fans(shape: readonly number[]): { fanIn: number; fanOut: number } {
  if (shape.length < 2) return { fanIn: shape[0] ?? 1, fanOut: shape[0] ?? 1 };
  const receptiveField = shape.slice(0, -2).reduce((a, b) => a * b, 1);
  return { fanIn: shape[shape.length - 2] * receptiveField, fanOut: shape[shape.length - 1] * receptiveField };
}

const initializers: Record<InitializerName, Initializer> = {
  /** U(−l, l), l = sqrt(6 / (fanIn + fanOut)): Keras's default kernel initializer. */
  glorotUniform: (shape) => {
    const { fanIn, fanOut } = fans(shape);
    const limit = Math.sqrt(6 / (fanIn + fanOut));
    return rand(shape, -limit, limit);
  },
  /** Normal truncated at ±2σ with stddev sqrt(2 / fanIn) after truncation, as Keras's HeNormal. */
  heNormal: (shape) => {
    const { fanIn } = fans(shape);
    // A standard normal truncated at ±2 has stddev 0.8796; dividing by it gives Keras's scale.
    const scale = Math.sqrt(2 / fanIn) / 0.87962566103423978;
    return tidy(() => mul(truncatedStandardNormal(shape), scale));
  },
  /** Keras's Orthogonal (gain 1): the default recurrent kernel of LSTM and GRU. */
  orthogonal: (shape) => orthogonal(shape),
  zeros: (shape) => full(shape, 0),
  ones: (shape) => full(shape, 1),
};

/**
 * Rejection sampling with three candidate draws per element: the first inside ±2 wins. An element
 * whose three draws all fall outside (probability 0.0455³ ≈ 1e-4) is clipped to ±2.
 */
function truncatedStandardNormal(shape: readonly number[]): Tensor {
  const [first, second, third] = [randn(shape), randn(shape), randn(shape)];
  return where(less(abs(first), 2), first, where(less(abs(second), 2), second, clip(third, -2, 2)));
}

const aliases: Record<string, InitializerName> = {
  glorot_uniform: 'glorotUniform', he_normal: 'heNormal',
};

export function getInitializer(identifier: string | Initializer): Initializer {
  if (typeof identifier === 'function') return identifier;
  // Own keys only: 'constructor' or '__proto__' from a file must not find Object's members.
  const name = Object.hasOwn(aliases, identifier) ? aliases[identifier] : identifier;
  if (!Object.hasOwn(initializers, name)) {
    throw new ValueError(`unknown initializer '${identifier}'; known: ${Object.keys(initializers).join(', ')} (or snake_case)`);
  }
  return initializers[name as InitializerName];
}
