// ReduceLROnPlateau against a simulation of Keras's callback (keras/src/callbacks/
// reduce_lr_on_plateau.py, transcribed below) on known loss sequences: driven directly, inside fit
// (the simulation fed fit's own epoch losses), and with a schedule, which Keras refuses to reduce.
import { describe, expect, it } from 'vitest';
import { useGpuPage } from '../harness/gpu-page';

const gpu = useGpuPage();

interface PlateauOptions { monitor?: string; factor?: number; patience?: number; mode?: 'auto' | 'min' | 'max'; minDelta?: number; cooldown?: number; minLr?: number }

/**
 * Keras's on_train_begin/_reset and on_epoch_end, line by line; the optimizer's learning rate is a
 * float32 variable in Keras, so reading it gives float32 values and assigning rounds to float32.
 * Returns the learning rate after each epoch.
 */
function kerasPlateau(options: PlateauOptions, initialLr: number, values: number[]): number[] {
  const monitor = options.monitor ?? 'val_loss';
  const { factor = 0.1, patience = 10, mode = 'auto', minDelta = 1e-4, cooldown = 0, minLr = 0 } = options;
  const minimize = mode === 'min' || (mode === 'auto' && !monitor.includes('acc'));
  const monitorOp = minimize ? (a: number, b: number) => a < b - minDelta : (a: number, b: number) => a > b + minDelta;
  let best = minimize ? Infinity : -Infinity;
  let cooldownCounter = 0;
  let wait = 0;
  let lr = Math.fround(initialLr);
  return values.map((current) => {
    if (cooldownCounter > 0) {
      cooldownCounter -= 1;
      wait = 0;
    }
    if (monitorOp(current, best)) {
      best = current;
      wait = 0;
    } else if (!(cooldownCounter > 0)) {
      wait += 1;
      if (wait >= patience) {
        const oldLr = lr;
        if (oldLr > Math.fround(minLr)) {
          lr = Math.fround(Math.max(oldLr * factor, minLr));
          cooldownCounter = cooldown;
          wait = 0;
        }
      }
    }
    return lr;
  });
}

describe('ReduceLROnPlateau', () => {
  const sequences: { options: PlateauOptions; values: number[] }[] = [
    // Plateaus, an improvement smaller than minDelta, cooldown, and the floor at minLr.
    { options: { monitor: 'loss', factor: 0.5, patience: 2, cooldown: 1, minLr: 0.02, minDelta: 1e-3 }, values: [1, 0.9, 0.9, 0.8995, 0.95, 0.5, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.49, 0.6, 0.6] },
    // 'auto' maximizes a monitor named *acc*; NaN never improves.
    { options: { monitor: 'val_accuracy', factor: 0.2, patience: 1 }, values: [0.5, 0.6, 0.6, Number.NaN, 0.7, 0.65, 0.7001, 0.7] },
    // Keras's defaults (patience 10, factor 0.1) on a slowly worsening loss, mode 'min' by name.
    { options: { monitor: 'val_loss', mode: 'min' }, values: Array.from({ length: 25 }, (_, e) => 1 + e / 100) },
  ];

  it('matches the Keras callback epoch by epoch on known sequences, adding learning_rate to the logs', async () => {
    const out = await gpu.run((wg, cases) => cases.map(({ options, values }) => {
      const optimizer = new wg.optimizers.SGD({ learningRate: 0.1 });
      const callback = new wg.ReduceLROnPlateau(options);
      callback.setModel({ stopTraining: false, optimizer });
      callback.onTrainBegin();
      const rates: number[] = [];
      const logged: number[] = [];
      values.forEach((value, epoch) => {
        const logs = { loss: 0, [options.monitor ?? 'val_loss']: value };
        callback.onEpochEnd(epoch, logs);
        // The rate the update kernel gets, a float32 uniform (Keras's float32 variable).
        rates.push(Math.fround(optimizer.learningRate));
        logged.push(logs.learning_rate);
      });
      return { rates, logged };
    }), sequences);
    sequences.forEach(({ options, values }, k) => {
      const expected = kerasPlateau(options, 0.1, values);
      expect(out[k].rates, JSON.stringify(options)).toEqual(expected);
      // Keras logs the rate in force during the epoch, before this epoch's reduction.
      expect(out[k].logged).toEqual([Math.fround(0.1), ...expected.slice(0, -1)]);
      // Each sequence reduces at least once, so a callback that never reduces would fail.
      expect(new Set(expected).size).toBeGreaterThan(1);
    });
  });

  it('reduces the rate fit trains with, and a schedule is refused when a reduction comes (TypeError, as Keras)', async () => {
    const out = await gpu.run(async (wg) => {
      const x = wg.tensor([[0.5], [-1], [2], [0.25]]);
      const y = wg.tensor([[1], [0], [1], [0]]);
      const model = new wg.Sequential([new wg.layers.Dense(1, { inputShape: [1], activation: 'sigmoid' })]);
      model.compile({ optimizer: new wg.optimizers.SGD({ learningRate: 0.5 }), loss: 'binary_crossentropy' });
      const seen: { lr: number; logged: number }[] = [];
      // minDelta 10: no epoch after the first counts as an improvement, so the rate halves every
      // second epoch down to minLr.
      const plateau = new wg.ReduceLROnPlateau({ monitor: 'loss', factor: 0.5, patience: 2, minDelta: 10, minLr: 0.1 });
      const history = await model.fit(x, y, {
        epochs: 8, batchSize: 2, verbose: 0,
        callbacks: [plateau, { onEpochEnd: (_epoch, logs) => void seen.push({ lr: model.optimizer!.learningRate, logged: logs.learning_rate }) }],
      });
      const scheduled = new wg.Sequential([new wg.layers.Dense(1, { inputShape: [1], activation: 'sigmoid' })]);
      const schedule = new wg.optimizers.schedules.ExponentialDecay({ initialLearningRate: 0.5, decaySteps: 2, decayRate: 0.5 });
      scheduled.compile({ optimizer: new wg.optimizers.SGD({ learningRate: schedule }), loss: 'binary_crossentropy' });
      const scheduleLogs: number[] = [];
      // Patience 5 in 3 epochs: no reduction, so training runs and the logs carry the schedule's rate.
      await scheduled.fit(x, y, { epochs: 3, batchSize: 2, verbose: 0, callbacks: [new wg.ReduceLROnPlateau({ monitor: 'loss', patience: 5 }), { onEpochEnd: (_e, logs) => void scheduleLogs.push(logs.learning_rate) }] });
      let refused = '';
      try {
        await scheduled.fit(x, y, { epochs: 3, batchSize: 2, verbose: 0, callbacks: [new wg.ReduceLROnPlateau({ monitor: 'loss', patience: 1, minDelta: 10 })] });
      } catch (error) {
        refused = `${(error as Error).name}: ${(error as Error).message}`;
      }
      [x, y].forEach((t) => t.dispose());
      model.dispose();
      scheduled.dispose();
      return { seen, losses: history.history.loss, historyRates: history.history.learning_rate, scheduleLogs, refused };
    });
    const expected = kerasPlateau({ monitor: 'loss', factor: 0.5, patience: 2, minDelta: 10, minLr: 0.1 }, 0.5, out.losses);
    expect(out.seen.map((s) => s.lr)).toEqual(expected);
    expect(expected).toEqual([0.5, 0.5, 0.25, 0.25, Math.fround(0.125), Math.fround(0.125), Math.fround(0.1), Math.fround(0.1)].map(Math.fround));
    expect(out.seen.map((s) => s.logged)).toEqual([0.5, ...expected.slice(0, -1)]);
    // History records after the callbacks (Keras runs it last), so it keeps what they logged.
    expect(out.historyRates).toEqual(out.seen.map((s) => s.logged));
    // Two batches per epoch: after epoch e the schedule stands at step 2(e + 1), 0.5 · 0.5^(e + 1).
    expect(out.scheduleLogs).toEqual([0.25, 0.125, 0.0625]);
    expect(out.refused).toMatch(/^TypeError: sgd: .*ExponentialDecay schedule/);
  });

  it('refuses a factor ≥ 1 (as Keras) and other bad options', async () => {
    const errors = await gpu.run((wg) => {
      const caught = (fn: () => unknown): string => {
        try {
          fn();
          return 'no error';
        } catch (error) {
          return `${(error as Error).name}: ${(error as Error).message}`;
        }
      };
      return {
        factor: caught(() => new wg.ReduceLROnPlateau({ factor: 1 })),
        mode: caught(() => new wg.ReduceLROnPlateau({ mode: 'up' as 'min' })),
        missing: caught(() => {
          const callback = new wg.ReduceLROnPlateau({ monitor: 'val_loss' });
          callback.setModel({ stopTraining: false, optimizer: new wg.optimizers.SGD() });
          callback.onEpochEnd(0, { loss: 1 });
        }),
      };
    });
    expect(errors.factor).toMatch(/^ValueError: ReduceLROnPlateau: factor 1 is out of range \(Keras refuses a factor ≥ 1\)/);
    expect(errors.mode).toMatch(/^ValueError: ReduceLROnPlateau: mode must be 'auto', 'min' or 'max', got 'up'/);
    expect(errors.missing).toMatch(/^ValueError: ReduceLROnPlateau: monitored quantity 'val_loss' is not in the logs \(loss, learning_rate\)/);
  });
});
