// LSTM and GRU in float64, written from Keras 3's cell equations (keras/src/layers/rnn/lstm.py and
// gru.py, `LSTMCell.call` / `GRUCell.call`): the reference the recurrent layer tests compare with.
export interface RecurrentWeights {
  kernel: ArrayLike<number>;           // [features, gates·units]
  recurrentKernel: ArrayLike<number>;  // [units, gates·units]
  bias: ArrayLike<number> | null;      // LSTM [4u]; GRU [2, 3u] (resetAfter) or [3u]
}

export interface RecurrentConfig {
  kind: 'lstm' | 'gru';
  units: number;
  features: number;
  returnSequences: boolean;
  goBackwards: boolean;
  resetAfter?: boolean;
}

const sigmoid = (v: number): number => 1 / (1 + Math.exp(-v));

/** Row-vector times matrix: out[j] = bias[j] + Σ_i v[i]·m[i, j] for an [rows, cols] matrix. */
function project(v: ArrayLike<number>, m: ArrayLike<number>, cols: number, bias: ArrayLike<number> | null, biasOffset = 0): number[] {
  const out = Array.from({ length: cols }, (_, j) => (bias ? bias[biasOffset + j] : 0));
  for (let i = 0; i < v.length; i++) for (let j = 0; j < cols; j++) out[j] += v[i] * m[i * cols + j];
  return out;
}

/** The layer's output for x [batch, steps, features]: [batch, steps, units] or [batch, units], flat. */
export function recurrentForward(x: ArrayLike<number>, batch: number, steps: number, config: RecurrentConfig, w: RecurrentWeights): number[] {
  return recurrentRun(x, batch, steps, config, w).output;
}

/**
 * The output and the final states h and c ([batch, units] each, flat), starting from the states
 * `initial` gives ([batch, units] each, flat; zeros when absent).
 */
export function recurrentRun(
  x: ArrayLike<number>, batch: number, steps: number, config: RecurrentConfig, w: RecurrentWeights,
  initial: { h?: ArrayLike<number>; c?: ArrayLike<number> } = {},
  masks: { input?: ArrayLike<number>; state?: ArrayLike<number> } = {},
): { output: number[]; h: number[]; c: number[] } {
  const { units: u, features } = config;
  const out: number[] = [];
  const finalH: number[] = [];
  const finalC: number[] = [];
  for (let b = 0; b < batch; b++) {
    let h = Array.from({ length: u }, (_, j) => initial.h?.[b * u + j] ?? 0);
    let c = Array.from({ length: u }, (_, j) => initial.c?.[b * u + j] ?? 0);
    const seq: number[][] = [];
    for (let s = 0; s < steps; s++) {
      const t = config.goBackwards ? steps - 1 - s : s;
      // Dropout masks ([batch, features] and [batch, units], already scaled): the same at every step.
      const xt = Array.from({ length: features }, (_, f) => x[(b * steps + t) * features + f] * (masks.input?.[b * features + f] ?? 1));
      const hr = h.map((hv, j) => hv * (masks.state?.[b * u + j] ?? 1));
      if (config.kind === 'lstm') {
        const z = project(xt, w.kernel, 4 * u, w.bias);
        const r = project(hr, w.recurrentKernel, 4 * u, null);
        const g = z.map((v, j) => v + r[j]);
        const i = g.slice(0, u).map(sigmoid);
        const f = g.slice(u, 2 * u).map(sigmoid);
        const cc = g.slice(2 * u, 3 * u).map(Math.tanh);
        const o = g.slice(3 * u).map(sigmoid);
        c = c.map((cv, j) => f[j] * cv + i[j] * cc[j]);
        h = c.map((cv, j) => o[j] * Math.tanh(cv));
      } else if (config.resetAfter ?? true) {
        const xz = project(xt, w.kernel, 3 * u, w.bias, 0);
        const inner = project(hr, w.recurrentKernel, 3 * u, w.bias, 3 * u);
        const z = xz.slice(0, u).map((v, j) => sigmoid(v + inner[j]));
        const r = xz.slice(u, 2 * u).map((v, j) => sigmoid(v + inner[u + j]));
        const hh = xz.slice(2 * u).map((v, j) => Math.tanh(v + r[j] * inner[2 * u + j]));
        h = h.map((hv, j) => z[j] * hv + (1 - z[j]) * hh[j]);
      } else {
        const xz = project(xt, w.kernel, 3 * u, w.bias);
        // recurrent_kernel[:, :2u] for z and r; recurrent_kernel[:, 2u:] applied to r·h.
        const rec = project(hr, w.recurrentKernel, 3 * u, null);
        const z = xz.slice(0, u).map((v, j) => sigmoid(v + rec[j]));
        const r = xz.slice(u, 2 * u).map((v, j) => sigmoid(v + rec[u + j]));
        const rh = hr.map((hv, j) => r[j] * hv);
        const candidate = project(rh, w.recurrentKernel, 3 * u, null);
        const hh = xz.slice(2 * u).map((v, j) => Math.tanh(v + candidate[2 * u + j]));
        h = h.map((hv, j) => z[j] * hv + (1 - z[j]) * hh[j]);
      }
      seq.push(h);
    }
    out.push(...(config.returnSequences ? seq.flat() : h));
    finalH.push(...h);
    finalC.push(...c);
  }
  return { output: out, h: finalH, c: finalC };
}
