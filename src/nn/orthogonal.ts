// Keras's Orthogonal initializer: the Q of a QR factorization of a normal random matrix, signs
// fixed by R's diagonal so Q is uniformly distributed. QR needs the whole matrix at once, so this
// one initializer draws and factorizes on the CPU (float64, Householder), from a seed drawn from
// webgrad's generator: setSeed makes it reproducible like every other initializer.
import { tensor } from '../ops/creation';
import { seededUniforms } from './hostRandom';
import type { Tensor } from '../tensor';

/** Standard normal draws by Box–Muller (1 − u keeps the logarithm's argument in (0, 1]). */
function normalSource(): () => number {
  const uniform = seededUniforms();
  return () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
}

/**
 * The m×n matrix (m ≥ n, row-major) with orthonormal columns Q from A = QR, each column's sign
 * chosen so that R's diagonal is positive (NumPy/Keras multiply Q by sign(diag(R))).
 */
export function orthonormalColumns(a: Float64Array, m: number, n: number): Float64Array {
  const r = Float64Array.from(a);
  const reflectors: Float64Array[] = [];
  for (let k = 0; k < n; k++) {
    const v = new Float64Array(m);
    let norm = 0;
    for (let i = k; i < m; i++) norm += r[i * n + k] ** 2;
    norm = Math.sqrt(norm);
    const alpha = r[k * n + k] > 0 ? -norm : norm;
    for (let i = k; i < m; i++) v[i] = r[i * n + k];
    v[k] -= alpha;
    let vNorm = 0;
    for (let i = k; i < m; i++) vNorm += v[i] ** 2;
    if (vNorm > 0) {
      // R ← (I − 2vvᵀ/vᵀv) R
      for (let j = 0; j < n; j++) {
        let dot = 0;
        for (let i = k; i < m; i++) dot += v[i] * r[i * n + j];
        const scale = (2 * dot) / vNorm;
        for (let i = k; i < m; i++) r[i * n + j] -= scale * v[i];
      }
    }
    reflectors.push(vNorm > 0 ? v.map((value) => value / Math.sqrt(vNorm)) : v.fill(0));
  }
  // Q's first n columns: apply the reflectors in reverse to the first n columns of I.
  const q = new Float64Array(m * n);
  for (let j = 0; j < n; j++) q[j * n + j] = 1;
  for (let k = n - 1; k >= 0; k--) {
    const v = reflectors[k];
    for (let j = 0; j < n; j++) {
      let dot = 0;
      for (let i = k; i < m; i++) dot += v[i] * q[i * n + j];
      for (let i = k; i < m; i++) q[i * n + j] -= 2 * dot * v[i];
    }
  }
  for (let j = 0; j < n; j++) {
    if (r[j * n + j] < 0) for (let i = 0; i < m; i++) q[i * n + j] = -q[i * n + j];
  }
  return q;
}

/** Keras's Orthogonal(gain): rows = product of all but the last axis, columns = the last axis. */
export function orthogonal(shape: readonly number[], gain = 1): Tensor {
  const columns = shape.length === 0 ? 1 : shape[shape.length - 1];
  const rows = shape.slice(0, -1).reduce((a, b) => a * b, 1);
  const [m, n] = rows >= columns ? [rows, columns] : [columns, rows];
  const normal = normalSource();
  const q = orthonormalColumns(Float64Array.from({ length: m * n }, normal), m, n);
  // For a wide matrix Keras factorizes its transpose and transposes Q back.
  const values = new Float32Array(rows * columns);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < columns; j++) values[i * columns + j] = gain * (rows >= columns ? q[i * n + j] : q[j * n + i]);
  }
  return tensor(values, [...shape]);
}
