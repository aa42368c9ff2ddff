// Closeness checks whose failures say where and by how much.
import { multiIndex } from './ndarray';

export interface Tolerance {
  /** Allowed error relative to |expected|. */
  rtol: number;
  /** Allowed absolute error, which matters near zero. */
  atol: number;
  /** If given, the worst element is also reported as a multi-index of this shape. */
  shape?: readonly number[];
}

/**
 * Throws unless every |actual - expected| <= atol + rtol·|expected| (numpy.allclose). NaN
 * matches only NaN and an infinity only the same infinity. The error names the worst element.
 */
export function expectClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  { rtol, atol, shape }: Tolerance,
  label = 'values',
): void {
  if (actual.length !== expected.length) {
    throw new Error(`${label}: got ${actual.length} values, expected ${expected.length}`);
  }
  let failures = 0;
  let worst = -1;
  let worstRatio = -1;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i];
    const e = expected[i];
    let ratio: number; // error / allowed error; > 1 fails
    if (Number.isNaN(a) || Number.isNaN(e) || !Number.isFinite(e)) {
      ratio = Object.is(a, e) || (Number.isNaN(a) && Number.isNaN(e)) ? 0 : Infinity;
    } else {
      ratio = Math.abs(a - e) / (atol + rtol * Math.abs(e));
      if (Number.isNaN(ratio)) ratio = 0; // 0 / 0: exact match with atol = rtol = 0
    }
    if (ratio > 1) failures++;
    if (ratio > worstRatio) {
      worstRatio = ratio;
      worst = i;
    }
  }
  if (failures === 0) return;
  const a = actual[worst];
  const e = expected[worst];
  const where = shape ? `${worst} [${multiIndex(worst, shape).join(',')}]` : `${worst}`;
  throw new Error(
    `${label}: ${failures} of ${actual.length} elements are not close (rtol ${rtol}, atol ${atol}); ` +
      `worst at index ${where}: actual ${a}, expected ${e}, error ${Math.abs(a - e)}, ` +
      `allowed ${atol + rtol * Math.abs(e)}`,
  );
}

/** max |actual - expected| / max(|expected|, floor): the floor keeps near-zero entries from dominating. */
export function maxRelativeError(actual: ArrayLike<number>, expected: ArrayLike<number>, floor = 1e-12): number {
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    worst = Math.max(worst, Math.abs(actual[i] - expected[i]) / Math.max(Math.abs(expected[i]), floor));
  }
  return worst;
}

export function maxAbsoluteError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
  return worst;
}
