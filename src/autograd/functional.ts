// jax-style functional forms over the tape, trainable variables, and a finite-difference gradient check.
import { ValueError, formatShape } from '../errors';
import { keep, tidy } from '../memory';
import { Tensor } from '../tensor';
import { cast } from '../ops/cast';
import { tensor } from '../ops/creation';
import { Tape } from './tape';

type TensorFunction = (...args: Tensor[]) => Tensor;

/** `valueAndGrad(f)(...args)` → `{ value, grads }`: f's scalar value and its gradient for each argument. */
export function valueAndGrad(f: TensorFunction): (...args: Tensor[]) => { value: Tensor; grads: Tensor[] } {
  return (...args) => {
    const tape = new Tape();
    const value = tape.record(() => f(...args));
    if (value.size !== 1) {
      tape.dispose();
      disposeResult(value, args);
      throw new ValueError(`valueAndGrad: f must return a scalar, got shape ${formatShape(value.shape)}`);
    }
    try {
      return { value, grads: tape.gradient(value, args) };
    } catch (error) {
      disposeResult(value, args);
      throw error;
    }
  };
}

/** Disposes f's result, unless f returned one of its arguments unchanged (the caller's tensor). */
function disposeResult(value: Tensor, args: readonly Tensor[]): void {
  if (!args.includes(value)) value.dispose();
}

/** `grad(f)(...args)` → the gradient of scalar f with respect to each argument. */
export function grad(f: TensorFunction): (...args: Tensor[]) => Tensor[] {
  const withValue = valueAndGrad(f);
  return (...args) => {
    const { value, grads } = withValue(...args);
    disposeResult(value, args);
    return grads;
  };
}

/** A trainable copy of `initial` that survives every tidy; optimizers update it in place. */
export function variable(initial: Tensor, trainable = true): Tensor {
  const copy = keep(cast(initial, initial.dtype));
  copy.trainable = trainable;
  return copy;
}

export interface GradcheckOptions {
  /** Finite-difference step (float32 arithmetic: ~1e-2 to 1e-3 balances rounding and truncation). */
  eps?: number;
  /** Largest acceptable relative error. */
  tolerance?: number;
}

export interface GradcheckResult {
  /** Worst relative error per input: |analytic − numeric| / max(1, |numeric|) elementwise. */
  maxRelativeError: number[];
  ok: boolean;
}

/**
 * Compares the tape's gradient of scalar `f` with central finite differences, input by input,
 * element by element. It runs f 2·N times (N = total input elements): for small inputs.
 */
export async function gradcheck(f: TensorFunction, inputs: Tensor[], options: GradcheckOptions = {}): Promise<GradcheckResult> {
  const eps = options.eps ?? 1e-2;
  const tolerance = options.tolerance ?? 1e-2;
  const analytic = grad(f)(...inputs);
  const maxRelativeError: number[] = [];
  const values = await Promise.all(inputs.map((input) => input.data()));
  for (let k = 0; k < inputs.length; k++) {
    const gradient = await analytic[k].data();
    analytic[k].dispose();
    let worst = 0;
    for (let i = 0; i < values[k].length; i++) {
      const numeric = (await evaluateShifted(f, inputs, values[k], k, i, eps) - await evaluateShifted(f, inputs, values[k], k, i, -eps)) / (2 * eps);
      worst = Math.max(worst, Math.abs(gradient[i] - numeric) / Math.max(1, Math.abs(numeric)));
    }
    maxRelativeError.push(worst);
  }
  return { maxRelativeError, ok: maxRelativeError.every((error) => error <= tolerance) };
}

async function evaluateShifted(f: TensorFunction, inputs: Tensor[], base: Float32Array | Int32Array, k: number, i: number, delta: number): Promise<number> {
  const shiftedValues = Float32Array.from(base);
  shiftedValues[i] += delta;
  const value = tidy(() => {
    const shifted = tensor(shiftedValues, inputs[k].shape, inputs[k].dtype);
    return f(...inputs.map((input, j) => (j === k ? shifted : input)));
  });
  const [result] = await value.data();
  value.dispose();
  return result;
}
