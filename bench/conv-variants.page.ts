// Runs in the page (bundled by conv-variants.bench.ts): times two convolution plans on this adapter
// for one layer shape, piece by piece (forward, input gradient dX, filter gradient dW), each as
// `repeats` calls followed by synchronize; rounds interleave the plans and keep each one's best.
//   direct: the library's ops (src/ops/conv.ts): register-blocked kernels reading x, w and dy in place.
//   im2col: a gather into cols [N·OH·OW, KH·KW·Cin] (bench/conv/im2col.wgsl) feeding the library's
//           tiled matmul; dX = col2im(dY·Wᵀ), dW = colsᵀ·dY with cols kept from the forward pass,
//           either in one product or one per image summed afterwards (more parallel).
// Each piece's plans are checked against each other before timing.
import windowSource from '../shaders/window.wgsl';
import col2imSource from './conv/col2im.wgsl';
import im2colSource from './conv/im2col.wgsl';
import { init, getAdapterInfo } from '../src/runtime/device';
import { synchronize } from '../src/runtime/commands';
import { defineKernel } from '../src/runtime/kernel';
import { launch } from '../src/runtime/launch';
import { Tensor } from '../src/tensor';
import { tensor } from '../src/ops/creation';
import { sum } from '../src/ops/reduce';
import { conv2d, conv2dBackpropFilter, conv2dBackpropInput } from '../src/ops/conv';
import { Tape } from '../src/autograd/tape';
import { tidy } from '../src/memory';
import { chooseMatmulVariant, launchMatmul } from '../src/ops/matmulKernels';
import { windowGeometry, windowUniforms } from '../src/ops/windows';

const im2colKernel = defineKernel('benchIm2col', windowSource + im2colSource);
const col2imKernel = defineKernel('benchCol2im', windowSource + col2imSource);

export interface Measurement { piece: string; plan: string; milliseconds: number; gflops: number; maxDifference: number }

type Piece = 'forward' | 'dX' | 'dW';

/** Times the plans for x ⋆ w with 'same' padding, stride 1. */
export async function benchmark(xShape: number[], wShape: number[], repeats: number, rounds: number): Promise<{ adapter: string; results: Measurement[] }> {
  await init();
  const [N, H, W, Cin] = xShape;
  const [KH, KW, , Cout] = wShape;
  const g = windowGeometry('bench', xShape, [KH, KW], [1, 1], 'same', [1, 1], '');
  const [OH, OW] = g.outSize;
  const P = N * OH * OW;
  const K = KH * KW * Cin;
  const random = (shape: number[]) => tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(i * 12.9898) * 0.5), shape);
  const x = random(xShape);
  const w = random(wShape);
  const dy = random([N, OH, OW, Cout]);
  const cols = Tensor.empty([P, K]);
  const dcols = Tensor.empty([P, K]);
  const options = { padding: 'same' as const };
  const matmul = (a: Tensor, b: Tensor, out: Tensor, M: number, Nn: number, Kk: number, transposeA: boolean, transposeB: boolean, batch: number[] = []) =>
    launchMatmul(chooseMatmulVariant(), {
      a, b, out, M, N: Nn, K: Kk, transposeA, transposeB, batchShape: batch,
      batchStridesA: batch.map(() => M * Kk), batchStridesB: batch.map(() => Kk * Nn),
    });
  const im2col = () => launch(im2colKernel, { buffers: { x: x.buffer, cols: cols.buffer }, uniforms: windowUniforms(g, P), threads: P });
  im2col(); // the forward pass leaves cols for dW in the im2col plan

  // Each plan returns its result, which the caller disposes.
  const plans: Record<Piece, Record<string, () => Tensor>> = {
    forward: {
      'direct (library conv2d)': () => conv2d(x, w, options),
      'im2col + matmul': () => {
        const y = Tensor.empty([N, OH, OW, Cout]);
        im2col();
        matmul(cols, w, y, P, Cout, K, false, false);
        return y;
      },
    },
    dX: {
      'direct (library conv2dBackpropInput)': () => conv2dBackpropInput(dy, w, xShape, options),
      'matmul dY·Wᵀ + col2im': () => {
        const dx = Tensor.empty(xShape);
        matmul(dy, w, dcols, P, K, Cout, false, true);
        launch(col2imKernel, { buffers: { cols: dcols.buffer, dx: dx.buffer }, uniforms: windowUniforms(g, N * H * W), threads: N * H * W });
        return dx;
      },
    },
    dW: {
      'direct (library conv2dBackpropFilter)': () => conv2dBackpropFilter(x, dy, wShape, options),
      'matmul colsᵀ·dY': () => {
        const dw = Tensor.empty(wShape);
        matmul(cols, dy, dw, K, Cout, P, true, false);
        return dw;
      },
      [`matmul colsᵀ·dY per image + sum`]: () => {
        const partial = Tensor.empty([N, ...wShape]);
        matmul(cols, dy, partial, K, Cout, OH * OW, true, false, [N]);
        const dw = sum(partial, [0]);
        partial.dispose();
        return dw;
      },
    },
  };

  const differences = new Map<string, number>();
  for (const piece of Object.keys(plans) as Piece[]) {
    let first: Float32Array | undefined;
    for (const [name, run] of Object.entries(plans[piece])) {
      const result = run();
      const values = (await result.data()) as Float32Array;
      result.dispose();
      first ??= values;
      differences.set(`${piece}/${name}`, values.reduce((worst, v, i) => Math.max(worst, Math.abs(v - first![i])), 0));
    }
  }

  const best = new Map<string, number>();
  const time = async (key: string, run: () => void) => {
    const start = performance.now();
    for (let r = 0; r < repeats; r++) run();
    await synchronize();
    best.set(key, Math.min(best.get(key) ?? Infinity, (performance.now() - start) / repeats));
  };
  for (let round = 0; round < rounds; round++) {
    for (const piece of Object.keys(plans) as Piece[]) {
      for (const [name, run] of Object.entries(plans[piece])) await time(`${piece}/${name}`, () => run().dispose());
    }
    // The library's whole path: conv2d recorded on a tape, then the gradients for x and w.
    await time('step/conv2d + tape gradient (x and w)', () => {
      tidy(() => {
        const tape = new Tape();
        const y = tape.record(() => conv2d(x, w, options));
        return tape.gradient(y, [x, w], { outputGradient: dy });
      }).forEach((t) => t.dispose());
    });
  }
  for (const t of [x, w, dy, cols, dcols]) t.dispose();
  const flops = 2 * P * K * Cout;
  const results = [...best].map(([key, milliseconds]) => {
    const [piece, plan] = key.split('/');
    const pieceFlops = piece === 'step' ? 3 * flops : flops;
    return { piece, plan, milliseconds, gflops: pieceFlops / (milliseconds * 1e6), maxDifference: differences.get(key) ?? 0 };
  });
  const info = getAdapterInfo();
  return { adapter: `${info.vendor} ${info.architecture} ${info.description}`.trim(), results };
}
