// Tape semantics: accumulation, sources the target ignores, non-differentiable paths, persistent and
// one-shot tapes, vector-Jacobian products, nested tapes (second derivatives), noGrad, toMermaid.
// Every value is checked against a float64 CPU computation written here.
import { describe, expect, it } from 'vitest';
import type { Tensor } from '../../src/index';
import { useGpuPage } from '../harness/gpu-page';
import * as ref from '../reference';

function randomF32(shape: number[], rng: ref.Rng, lo = -1, hi = 1): number[] {
  return Array.from(ref.randomArray(shape, rng, lo, hi).data, Math.fround);
}

/** WGSL only promises sin/cos to an absolute 2^-11 on [-π, π]; SwiftShader uses about half of that. */
const TRIG_ATOL = 2 ** -11;

describe('tape semantics', () => {
  const gpu = useGpuPage();

  it('a tensor used several times accumulates; record may be called twice; untouched sources get zeros', async () => {
    const rng = ref.mulberry32(201);
    const x = randomF32([5], rng);
    const out = await gpu.run(async (wg, a) => {
      const read = async (t: Tensor) => ({ shape: [...t.shape], dtype: t.dtype, data: Array.from(await t.data()) });
      const x = wg.tensor(a.x);
      const w = wg.tensor([[1, 2], [3, 4]]);
      const unused = wg.tensor([5, 6, 7]);

      // x + x, x·3 and x·x: four uses of x across three ops.
      let tape = new wg.Tape();
      const y = tape.record(() => wg.add(wg.add(wg.sum(wg.add(x, x)), wg.sum(wg.mul(x, 3))), wg.sum(wg.mul(x, x))));
      const [several] = tape.gradient(y, [x]);

      // x + x alone: both operands of one op are the same tensor.
      tape = new wg.Tape();
      const [twice] = tape.gradient(tape.record(() => wg.sum(wg.add(x, x))), [x]);

      // Two record calls on one tape: y1 = 2x, then Σ y1² = 4Σx², d/dx = 8x.
      tape = new wg.Tape();
      const y1 = tape.record(() => wg.mul(x, 2));
      const y2 = tape.record(() => wg.sum(wg.mul(y1, y1)));
      const [acrossRecords] = tape.gradient(y2, [x]);

      // w is used on the tape but not by the target; `unused` never appears on it.
      tape = new wg.Tape();
      const z = tape.record(() => {
        wg.matmul(w, w);
        return wg.sum(wg.exp(x));
      });
      const [gx, gw, gUnused, gSelf] = tape.gradient(z, [x, w, unused, z]);
      return {
        several: await read(several), twice: await read(twice), acrossRecords: await read(acrossRecords),
        gx: await read(gx), gw: await read(gw), gUnused: await read(gUnused), gSelf: await read(gSelf),
      };
    }, { x });

    // 2 + 3 + 2x: float32 rounds 5 + 2x once (half an ulp of ~7, 4.8e-7 at most).
    ref.expectClose(out.several.data, x.map((v) => 5 + 2 * v), { rtol: 1e-7, atol: 5e-7 }, 'd/dx [Σ(x+x) + Σ3x + Σx²]');
    expect(out.twice.data).toEqual([2, 2, 2, 2, 2]);
    // 8x is exact in float32 (a power-of-two multiple).
    expect(out.acrossRecords.data).toEqual(x.map((v) => 8 * v));
    ref.expectClose(out.gx.data, x.map(Math.exp), { rtol: 1e-5, atol: 0 }, 'd Σexp(x) / dx');
    expect(out.gw).toEqual({ shape: [2, 2], dtype: 'float32', data: [0, 0, 0, 0] });
    expect(out.gUnused).toEqual({ shape: [3], dtype: 'float32', data: [0, 0, 0] });
    expect(out.gSelf).toEqual({ shape: [], dtype: 'float32', data: [1] });
  });

  it('gradients reached only through non-differentiable ops throw NonDifferentiableError naming the op; a comparison mask beside a differentiable path works', async () => {
    const rng = ref.mulberry32(202);
    const x = randomF32([2, 4], rng);
    const out = await gpu.run(async (wg, a) => {
      const x = wg.tensor(a.x, [2, 4]);
      const indices = wg.tensor([0, 3, 1], [3], 'int32');
      const failure = (f: () => Tensor, source: Tensor) => {
        const tape = new wg.Tape();
        const y = tape.record(f);
        try {
          tape.gradient(y, [source]);
          return null;
        } catch (error) {
          return error instanceof Error ? { name: error.name, message: error.message, isClass: error instanceof wg.NonDifferentiableError } : { name: String(error), message: '', isClass: false };
        } finally {
          tape.dispose();
        }
      };
      const errors = {
        argmax: failure(() => wg.sum(wg.cast(wg.argmax(x, -1), 'float32')), x),
        greater: failure(() => wg.sum(wg.greater(x, 0)), x),
        equal: failure(() => wg.sum(wg.mul(wg.equal(x, x), 2)), x),
        oneHot: failure(() => wg.sum(wg.oneHot(indices, 5)), indices),
        castToInt: failure(() => wg.sum(wg.cast(wg.cast(x, 'int32'), 'float32')), x),
      };
      const tape = new wg.Tape();
      const y = tape.record(() => wg.sum(wg.mul(x, wg.greater(x, 0))));
      const [masked] = tape.gradient(y, [x]);
      return { errors, masked: Array.from(await masked.data()) };
    }, { x });

    const expectedOps: Record<keyof typeof out.errors, string> = { argmax: 'argmax', greater: 'greater', equal: 'equal', oneHot: 'oneHot', castToInt: 'cast' };
    for (const [path, op] of Object.entries(expectedOps) as [keyof typeof out.errors, string][]) {
      const error = out.errors[path];
      expect(error, path).not.toBeNull();
      expect(error?.name, path).toBe('NonDifferentiableError');
      expect(error?.isClass, path).toBe(true);
      expect(error?.message, path).toMatch(new RegExp(`^gradient: the target depends on source #\\d+ \\[[\\d,]*\\] only through non-differentiable ops \\(.*\\b${op}\\b.*\\)$`));
    }
    // d/dx Σ x·[x > 0] = [x > 0]: the mask is a constant factor (x is never exactly 0 here).
    expect(out.masked).toEqual(x.map((v) => (v > 0 ? 1 : 0)));
  });

  it('a one-shot tape refuses a second use; a persistent tape repeats its gradient and frees its memory on dispose', async () => {
    const rng = ref.mulberry32(203);
    const x = randomF32([3, 4], rng);
    const w = randomF32([4, 2], rng);
    const out = await gpu.run(async (wg, a) => {
      const x = wg.tensor(a.x, [3, 4]);
      const w = wg.tensor(a.w, [4, 2]);
      const message = (f: () => unknown) => {
        try {
          f();
          return null;
        } catch (error) {
          return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
        }
      };
      const loss = () => wg.sum(wg.square(wg.tanh(wg.matmul(x, w))));

      const oneShot = new wg.Tape();
      const y = oneShot.record(loss);
      oneShot.gradient(y, [x]).forEach((g) => g.dispose());
      const secondGradient = message(() => oneShot.gradient(y, [x]));
      const recordAfter = message(() => oneShot.record(loss));
      y.dispose();

      const before = wg.memory();
      const persistent = new wg.Tape({ persistent: true });
      const z = persistent.record(loss);
      const [gx1, gw1] = persistent.gradient(z, [x, w]);
      const [gw2] = persistent.gradient(z, [w]);
      const [gx3, gw3] = persistent.gradient(z, [x, w]);
      const sizeBeforeDispose = persistent.size;
      const held = wg.memory().numTensors;
      persistent.dispose();
      const afterDispose = wg.memory();
      const data = async (t: Tensor) => Array.from(await t.data());
      const result = {
        secondGradient, recordAfter, sizeBeforeDispose, sizeAfterDispose: persistent.size,
        gx1: await data(gx1), gw1: await data(gw1), gw2: await data(gw2), gx3: await data(gx3), gw3: await data(gw3),
        before: before.numTensors, held, afterDispose: afterDispose.numTensors,
        bytesBefore: before.numBytes, bytesAfterDispose: afterDispose.numBytes,
        disposeAgain: message(() => persistent.dispose()),
      };
      for (const t of [z, gx1, gw1, gw2, gx3, gw3]) t.dispose();
      return { ...result, afterAll: wg.memory().numTensors, bytesAfterAll: wg.memory().numBytes };
    }, { x, w });

    expect(out.secondGradient).toMatch(/^ValueError: Tape\.gradient: .*already used.*\{ persistent: true \}/);
    expect(out.recordAfter).toMatch(/^ValueError: Tape\.record: .*already used/);

    // float64 reference: L = Σ tanh(xw)², dL/d(xw) = 2·t·(1 − t²), dL/dx = D·wᵀ, dL/dw = xᵀ·D.
    const xa = ref.ndarray([3, 4], x);
    const wa = ref.ndarray([4, 2], w);
    const t = ref.unary(ref.matmul(xa, wa), Math.tanh);
    const D = ref.unary(t, (v) => 2 * v * (1 - v * v));
    const dx = ref.matmul(D, wa, { transposeB: true }).data;
    const dw = ref.matmul(xa, D, { transposeA: true }).data;
    ref.expectClose(out.gx1, dx, { rtol: 1e-4, atol: 1e-6 }, 'persistent dL/dx');
    ref.expectClose(out.gw1, dw, { rtol: 1e-4, atol: 1e-6 }, 'persistent dL/dw');
    // The same recorded graph walked again gives bit-identical results.
    expect(out.gw2).toEqual(out.gw1);
    expect(out.gx3).toEqual(out.gx1);
    expect(out.gw3).toEqual(out.gw1);

    // Held by the tape before dispose: the recorded intermediates (matmul, tanh, square outputs). After:
    // only the target z and the five gradients the caller owns remain on top of `before`.
    expect(out.sizeBeforeDispose).toBe(4);
    expect(out.sizeAfterDispose).toBe(0);
    expect(out.held).toBe(out.before + 1 + 5 + 3);
    expect(out.afterDispose).toBe(out.before + 1 + 5);
    expect(out.bytesAfterDispose).toBe(out.bytesBefore + 4 * (1 + 12 + 8 + 8 + 12 + 8));
    expect(out.disposeAgain).toBeNull();
    expect(out.afterAll).toBe(out.before);
    expect(out.bytesAfterAll).toBe(out.bytesBefore);
  });

  it('outputGradient gives the vector-Jacobian product of a non-scalar target; a wrong shape is a ShapeError', async () => {
    const rng = ref.mulberry32(204);
    const x = randomF32([3, 4], rng);
    const w = randomF32([4, 2], rng);
    const v = randomF32([3, 2], rng);
    const out = await gpu.run(async (wg, a) => {
      const x = wg.tensor(a.x, [3, 4]);
      const w = wg.tensor(a.w, [4, 2]);
      const v = wg.tensor(a.v, [3, 2]);
      const tape = new wg.Tape({ persistent: true });
      const y = tape.record(() => wg.tanh(wg.matmul(x, w)));
      const [gx, gw] = tape.gradient(y, [x, w], { outputGradient: v });
      let wrongShape = '';
      try {
        tape.gradient(y, [x], { outputGradient: wg.zeros([2, 3]) });
      } catch (error) {
        wrongShape = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      }
      // The seed passes straight through add: the caller still gets tensors it owns alone.
      const through = tape.record(() => wg.add(x, 1));
      const [passed, passedAgain] = tape.gradient(through, [x, x], { outputGradient: wg.mul(x, 2) });
      const viewSeed = wg.mul(x, 3);
      const [selfWithSeed] = tape.gradient(viewSeed, [viewSeed], { outputGradient: viewSeed });
      viewSeed.dispose();
      passed.dispose();
      // reshape's rule returns a view of the seed: writing into the seed later must not change it.
      const flat = tape.record(() => wg.reshape(x, [12]));
      const flatSeed = wg.mul(wg.reshape(x, [12]), 4);
      const [throughView] = tape.gradient(flat, [x], { outputGradient: flatSeed });
      flatSeed.assign(wg.zeros([12]));
      tape.dispose();
      return {
        gx: Array.from(await gx.data()), gw: Array.from(await gw.data()), wrongShape,
        passedAgain: Array.from(await passedAgain.data()), selfWithSeed: Array.from(await selfWithSeed.data()),
        throughView: Array.from(await throughView.data()),
      };
    }, { x, w, v });

    // VJP on the CPU: y = tanh(xw), dz = v ⊙ (1 − y²), vᵀJ = (dz·wᵀ, xᵀ·dz).
    const xa = ref.ndarray([3, 4], x);
    const wa = ref.ndarray([4, 2], w);
    const y = ref.unary(ref.matmul(xa, wa), Math.tanh);
    const dz = ref.binary(ref.ndarray([3, 2], v), y, (vi, yi) => vi * (1 - yi * yi));
    ref.expectClose(out.gx, ref.matmul(dz, wa, { transposeB: true }).data, { rtol: 1e-4, atol: 1e-6 }, 'vᵀ ∂y/∂x');
    ref.expectClose(out.gw, ref.matmul(xa, dz, { transposeA: true }).data, { rtol: 1e-4, atol: 1e-6 }, 'vᵀ ∂y/∂w');
    expect(out.wrongShape).toBe('ShapeError: gradient: outputGradient [2,3] does not match the target [3,2]');
    expect(out.passedAgain).toEqual(x.map((value) => Math.fround(2 * value)));
    expect(out.selfWithSeed).toEqual(x.map((value) => Math.fround(3 * value)));
    expect(out.throughView).toEqual(x.map((value) => Math.fround(4 * value)));
  });

  it('nested tapes give second derivatives: x³ → 6x, sin → −sin, exp(2x) → 4·exp(2x), and a mixed partial', async () => {
    const rng = ref.mulberry32(205);
    const x = randomF32([6], rng, -1.5, 1.5);
    const y = randomF32([6], rng, -1.5, 1.5);
    const out = await gpu.run(async (wg, a) => {
      const x = wg.tensor(a.x);
      const y = wg.tensor(a.y);
      const before = wg.memory().numTensors;
      /** [f', d/dx Σ f'] with the first derivative taken on an inner tape recorded by an outer one. */
      const secondDerivative = async (f: (x: Tensor) => Tensor, wrt: Tensor = x) => {
        const outer = new wg.Tape();
        const first = outer.record(() => {
          const inner = new wg.Tape();
          const value = inner.record(() => wg.sum(f(x)));
          return inner.gradient(value, [x])[0];
        });
        const [second] = outer.gradient(first, [wrt]);
        const result = [Array.from(await first.data()), Array.from(await second.data())];
        first.dispose();
        second.dispose();
        return result;
      };
      const cube = await secondDerivative((x) => wg.mul(x, wg.mul(x, x)));
      const sine = await secondDerivative((x) => wg.sin(x));
      const exp2 = await secondDerivative((x) => wg.exp(wg.mul(x, 2)));
      // f = Σ x²·y: ∂f/∂x = 2xy, and ∂/∂y Σ ∂f/∂x = 2x.
      const mixed = await secondDerivative((x) => wg.mul(wg.mul(x, x), y), y);
      return { cube, sine, exp2, mixed, leaked: wg.memory().numTensors - before };
    }, { x, y });

    ref.expectClose(out.cube[0], x.map((v) => 3 * v * v), { rtol: 1e-6, atol: 0 }, "(x³)'");
    ref.expectClose(out.cube[1], x.map((v) => 6 * v), { rtol: 1e-6, atol: 0 }, "(x³)''");
    ref.expectClose(out.sine[0], x.map(Math.cos), { rtol: 0, atol: TRIG_ATOL }, "sin'");
    ref.expectClose(out.sine[1], x.map((v) => -Math.sin(v)), { rtol: 0, atol: TRIG_ATOL }, "sin''");
    // WGSL's exp is good to 3 + 2|x| ulp: under 1e-6 relative for |2x| ≤ 3.
    ref.expectClose(out.exp2[0], x.map((v) => 2 * Math.exp(2 * v)), { rtol: 1e-5, atol: 0 }, "(exp 2x)'");
    ref.expectClose(out.exp2[1], x.map((v) => 4 * Math.exp(2 * v)), { rtol: 1e-5, atol: 0 }, "(exp 2x)''");
    ref.expectClose(out.mixed[0], x.map((v, i) => 2 * v * y[i]), { rtol: 1e-6, atol: 0 }, '∂(x²y)/∂x');
    ref.expectClose(out.mixed[1], x.map((v) => 2 * v), { rtol: 1e-6, atol: 0 }, '∂²(x²y)/∂y∂x');
    expect(out.leaked).toBe(0);
  });

  it('noGrad records nothing, even inside record; ops outside record are not recorded either', async () => {
    const x = [0.5, -1, 2];
    const out = await gpu.run(async (wg, a) => {
      const x = wg.tensor(a.x);
      const tape = new wg.Tape();
      const flags: boolean[] = [wg.isRecording()];
      const y = tape.record(() => {
        flags.push(wg.isRecording());
        const constant = wg.noGrad(() => {
          flags.push(wg.isRecording());
          return wg.exp(wg.mul(x, 2));
        });
        flags.push(wg.isRecording());
        return wg.sum(wg.add(constant, x));
      });
      wg.exp(x).dispose();
      const recorded = tape.size;
      const [gx] = tape.gradient(y, [x]);

      const empty = new wg.Tape();
      const unrecorded = empty.record(() => wg.noGrad(() => wg.sum(wg.tanh(wg.matmul(wg.reshape(x, [1, 3]), wg.reshape(x, [3, 1]))))));
      return { flags, recorded, emptySize: empty.size, gx: Array.from(await gx.data()), unrecorded: (await unrecorded.data())[0] };
    }, { x });

    expect(out.flags).toEqual([false, true, false, true]);
    // Only add and sum: the exp and mul under noGrad are invisible, so exp(2x) counts as a constant.
    expect(out.recorded).toBe(2);
    expect(out.gx).toEqual([1, 1, 1]);
    expect(out.emptySize).toBe(0);
    ref.expectClose([out.unrecorded], [Math.tanh(x.reduce((s, v) => s + v * v, 0))], { rtol: 1e-6, atol: 0 }, 'value computed under noGrad');
  });

  it('toMermaid draws y = relu(x·w + b): one node per op with its output shape, leaf tensors, and the edges, also after gradient() released the tape', async () => {
    const out = await gpu.run(async (wg) => {
      const x = wg.zeros([2, 3]);
      const w = wg.ones([3, 4]);
      const b = wg.ones([4]);
      const tape = new wg.Tape();
      const first = tape.record(() => wg.relu(wg.add(wg.matmul(x, w), b)));
      const square = new wg.Tape();
      square.record(() => wg.sum(wg.mul(x, x)));
      const before = tape.toMermaid();
      // gradient() releases a one-shot tape's record; the drawing must not depend on it.
      const y = tape.record(() => wg.relu(wg.add(wg.matmul(x, w), b)));
      const [gw] = tape.gradient(y, [w]);
      const afterGradient = tape.toMermaid();
      const result = {
        ids: { x: x.id, w: w.id, b: b.id }, before, afterGradient, sizeAfterGradient: tape.size,
        squareText: square.toMermaid(), emptyText: new wg.Tape().toMermaid(),
      };
      [x, w, b, first, y, gw].forEach((t) => t.dispose());
      square.dispose();
      return result;
    });

    // Ops are numbered in recording order; tensors made outside the tape are rounded leaves named by id.
    const leaf = (id: number, shape: string) => [`  t${id}(["tensor #${id} ${shape}"])`];
    const { x, w, b } = out.ids;
    const expected = [
      'graph TD',
      '  op0["matmul [2,4]"]', ...leaf(x, '[2,3]'), `  t${x} --> op0`, ...leaf(w, '[3,4]'), `  t${w} --> op0`,
      '  op1["add [2,4]"]', '  op0 --> op1', ...leaf(b, '[4]'), `  t${b} --> op1`,
      '  op2["relu [2,4]"]', '  op1 --> op2',
    ];
    expect(out.before.split('\n')).toEqual(expected);
    // The second record (the same formula again) continues the numbering; its ops read op2's
    // leaves again, not op2's output.
    expect(out.afterGradient.split('\n')).toEqual([
      ...expected,
      '  op3["matmul [2,4]"]', `  t${x} --> op3`, `  t${w} --> op3`,
      '  op4["add [2,4]"]', '  op3 --> op4', `  t${b} --> op4`,
      '  op5["relu [2,4]"]', '  op4 --> op5',
    ]);
    expect(out.sizeAfterGradient).toBe(0);
    // x used twice by one op: declared once, two edges.
    expect(out.squareText.split('\n')).toEqual([
      'graph TD',
      '  op0["mul [2,3]"]', ...leaf(x, '[2,3]'), `  t${x} --> op0`, `  t${x} --> op0`,
      '  op1["sum []"]', '  op0 --> op1',
    ]);
    expect(out.emptyText).toBe('graph TD');
  });
});
