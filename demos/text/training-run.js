// One training run of a model in the text demo: steps on batches, losses read back in groups and
// plotted, and the tokens per second of the training steps alone.
import * as wg from '../../dist/webgrad.js';
import { trainStep } from './char-model.js';

const LOG_EVERY = 10; // steps between loss readbacks (each is a GPU sync)

/**
 * Trains a model step by step, reading the loss back every LOG_EVERY steps. Tokens per second
 * count training steps only: not sampling or evaluation between them, and not the first step,
 * which compiles the kernels (read back on its own, so the GPU work after it is timed cleanly).
 */
export class TrainingRun {
  constructor({ model, learningRate, plot, tokensPerStep }) {
    this.model = model;
    this.optimizer = new wg.optimizers.Adam({ learningRate });
    this.plot = plot;
    this.tokensPerStep = tokensPerStep;
    this.pendingLosses = [];
    this.losses = []; // [step, loss] as read back
    this.trainingMs = 0;
    this.steps = 0;
    this.startedAt = performance.now();
    /** Set by the page: end the run after the current step / take a sample after it. */
    this.stopRequested = false;
    this.sampleRequested = false;
  }

  /** One step on a batch of flat int32 inputs/targets (and optional float weights), all [batch, T]. */
  async step({ inputs, targets, weights }, shape) {
    const started = performance.now();
    const x = wg.tensor(inputs, shape, 'int32');
    const y = wg.tensor(targets, shape, 'int32');
    const w = weights ? wg.tensor(weights, shape) : null;
    this.pendingLosses.push(trainStep(this.model, this.optimizer, x, y, w));
    for (const t of [x, y, w]) t?.dispose();
    this.steps++;
    if (this.steps > 1) this.trainingMs += performance.now() - started;
    // The first step's loss is read on its own so the curve starts where training does.
    if (this.steps === 1 || this.pendingLosses.length === LOG_EVERY) await this.readLosses();
  }

  /**
   * Reads the losses of the steps since the last read (one readback) and plots their mean. The
   * GPU runs those steps during this readback, so its time counts as training time.
   */
  async readLosses() {
    if (this.pendingLosses.length === 0) return;
    const started = performance.now();
    const stacked = wg.tidy(() => wg.concat(this.pendingLosses.map((loss) => loss.reshape([1])), 0));
    const values = await stacked.data();
    stacked.dispose();
    this.pendingLosses.forEach((loss) => loss.dispose());
    this.pendingLosses = [];
    if (this.steps > 1) this.trainingMs += performance.now() - started;
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    if (!Number.isFinite(mean)) throw new Error(`the loss became ${mean} at step ${this.steps}`);
    this.losses.push([this.steps, mean]);
    this.plot.push(this.steps, mean);
  }

  get tokensPerSecond() {
    return this.steps > 1 ? ((this.steps - 1) * this.tokensPerStep) / (this.trainingMs / 1000) : NaN;
  }

  /** Wall-clock seconds since the run began, sampling and evaluation included. */
  get seconds() {
    return (performance.now() - this.startedAt) / 1000;
  }

  get lastLoss() {
    return this.losses.length ? this.losses[this.losses.length - 1][1] : NaN;
  }

  /** Releases the optimizer's state and unread losses; the model stays with its owner. */
  dispose() {
    this.pendingLosses.forEach((loss) => loss.dispose());
    this.optimizer.dispose();
  }
}

/** Tokens per second, or a dash before there is a timed step. */
export function formatRate(tokensPerSecond) {
  return Number.isFinite(tokensPerSecond) ? tokensPerSecond.toFixed(0) : '–';
}
