// Activations 'gelu' (exact, as Keras 3's activation='gelu') and 'geluTanh' (Keras's
// gelu(approximate=True)) in layers, and model files: format 1 meant the tanh form by 'gelu', so such
// files still load with it; files saved now say 'gelu' for the exact form and reload as such.
import { describe, expect, it } from 'vitest';
import { useGpuPage } from '../harness/gpu-page';
import { geluExact, geluTanh } from '../reference/erf';

const gpu = useGpuPage();

describe('gelu activations', () => {
  it('Dense and Activation apply the exact form for "gelu" and the tanh form for "geluTanh"; version-1 files keep tanh', async () => {
    const x = [[-2.5, 0.3, 1.2], [0.7, -1.9, 2.6]];
    const out = await gpu.run(async (wg, args) => {
      const { Dense, Activation } = wg.layers;
      const model = new wg.Sequential([new Dense(4, { activation: 'gelu', inputShape: [3] })]);
      const input = wg.tensor(args.x);
      const dense = model.predict(input);
      const [kernel, bias] = await Promise.all(model.getWeights().map(async (w) => {
        const values = Array.from(await w.data());
        w.dispose();
        return values;
      }));
      const saved = await model.save();
      const asVersion = (formatVersion: number) => wg.loadModel({ ...saved, modelJson: { ...saved.modelJson, formatVersion } });
      const reloaded = asVersion(saved.modelJson.formatVersion);
      const old = asVersion(1);
      const reloadedOut = reloaded.predict(input);
      const oldOut = old.predict(input);
      const activations = new wg.Sequential([new Activation('geluTanh', { inputShape: [3] })]);
      const tanhOut = activations.predict(input);
      const result = {
        dense: Array.from(await dense.data()), reloaded: Array.from(await reloadedOut.data()), old: Array.from(await oldOut.data()),
        tanh: Array.from(await tanhOut.data()), kernel, bias,
        savedActivation: saved.modelJson.layers[0].config.activation, savedVersion: saved.modelJson.formatVersion,
        oldActivation: old.layers[0].serialize().config.activation,
      };
      [input, dense, reloadedOut, oldOut, tanhOut].forEach((t) => t.dispose());
      [model, reloaded, old, activations].forEach((m) => m.dispose());
      return result;
    }, { x });
    expect([out.savedActivation, out.savedVersion, out.oldActivation]).toEqual(['gelu', 2, 'geluTanh']);
    // float64 x·kernel + bias on the weights read back, then each form.
    const z = x.flatMap((row) => [0, 1, 2, 3].map((j) => row.reduce((total, v, k) => total + v * out.kernel[k * 4 + j], out.bias[j])));
    // A 3-term float32 dot product (a few ulp of the terms' magnitude, < 1e-6 here) times gelu's slope
    // (≤ 1.13), plus gelu's own error: 1e-6 absolute bounds both forms (the forms differ by up to 4.7e-4).
    const close = (actual: number[], expected: number[], label: string) =>
      actual.forEach((v, i) => expect(Math.abs(v - expected[i]), `${label}[${i}]`).toBeLessThan(1e-6));
    close(out.dense, z.map(geluExact), 'Dense gelu');
    close(out.reloaded, z.map(geluExact), 'reloaded');
    close(out.old, z.map(geluTanh), 'version-1 file');
    close(out.tanh, x.flat().map(geluTanh), 'Activation geluTanh');
    // And the forms are told apart here: some output differs by more than twice that bound.
    expect(out.old.some((v, i) => Math.abs(v - out.dense[i]) > 2e-6)).toBe(true);
  });
});
