// Training callbacks (Keras's hooks), EarlyStopping, ReduceLROnPlateau, TerminateOnNaN, and the
// History fit returns.
import { ValueError } from '../errors';
import type { Optimizer } from '../optim';

/**
 * Per-epoch or per-batch figures as plain numbers: loss, metrics, val_ versions. `loss` is always
 * there, so it reads as a number also under noUncheckedIndexedAccess.
 */
export interface Logs { loss: number; [name: string]: number }

/** The hooks fit calls; each may be async (fit awaits it). */
export interface CallbackHandlers {
  /** `logs` is empty, as in Keras. */
  onTrainBegin?(logs: Record<string, number>): void | Promise<void>;
  /** The last epoch's logs; empty when no epoch ran. */
  onTrainEnd?(logs: Record<string, number>): void | Promise<void>;
  /** `logs` is empty, as in Keras. */
  onEpochBegin?(epoch: number, logs: Record<string, number>): void | Promise<void>;
  onEpochEnd?(epoch: number, logs: Logs): void | Promise<void>;
  onBatchEnd?(batch: number, logs: Logs): void | Promise<void>;
}

/** What a callback can see and steer of the model being trained. */
export interface TrainingTarget {
  stopTraining: boolean;
  /** The compiled optimizer (ReduceLROnPlateau sets its learning rate). */
  readonly optimizer: Optimizer | null;
}

/** Base class for callbacks that need the model (to stop training, for example). */
export interface Callback extends CallbackHandlers {}
export abstract class Callback {
  protected model: TrainingTarget | null = null;
  setModel(model: TrainingTarget): void {
    this.model = model;
  }
}

export interface EarlyStoppingOptions {
  monitor?: string;
  minDelta?: number;
  patience?: number;
  mode?: 'auto' | 'min' | 'max';
  baseline?: number;
}

/** Stops training when `monitor` has not improved by `minDelta` for `patience` epochs (as Keras). */
export class EarlyStopping extends Callback {
  readonly monitor: string;
  private readonly minDelta: number;
  private readonly patience: number;
  private readonly sign: 1 | -1;
  private readonly baseline: number;
  private best: number;
  private wait = 0;
  stoppedEpoch: number | null = null;

  constructor(options: EarlyStoppingOptions = {}) {
    super();
    this.monitor = options.monitor ?? 'val_loss';
    this.minDelta = Math.abs(options.minDelta ?? 0);
    this.patience = options.patience ?? 0;
    const mode = options.mode ?? 'auto';
    const maximize = mode === 'max' || (mode === 'auto' && /acc/.test(this.monitor));
    this.sign = maximize ? -1 : 1;
    this.baseline = options.baseline ?? Infinity * this.sign;
    this.best = this.baseline;
  }

  override onTrainBegin(): void {
    this.best = this.baseline;
    this.wait = 0;
    this.stoppedEpoch = null;
  }

  override onEpochEnd(epoch: number, logs: Logs): void {
    const value = logs[this.monitor];
    if (value === undefined) {
      throw new ValueError(`EarlyStopping: monitored quantity '${this.monitor}' is not in the logs (${Object.keys(logs).join(', ')})`);
    }
    if (this.sign * (value - this.best) < -this.minDelta) {
      this.best = value;
      this.wait = 0;
      return;
    }
    this.wait++;
    // Keras and TF.js stop once `patience` epochs in a row brought no improvement.
    if (this.wait >= this.patience && this.model) {
      this.model.stopTraining = true;
      this.stoppedEpoch = epoch;
    }
  }
}

export interface ReduceLROnPlateauOptions {
  /** Default 'val_loss'. */
  monitor?: string;
  /** New rate = rate · factor, in [0, 1). Default 0.1. */
  factor?: number;
  /** Epochs without improvement before a reduction. Default 10. */
  patience?: number;
  /** 1 prints each reduction. Default 0. */
  verbose?: number;
  /** 'auto' maximizes a monitor whose name contains 'acc' and minimizes any other. Default 'auto'. */
  mode?: 'auto' | 'min' | 'max';
  /** An improvement must beat the best by more than this. Default 1e-4. */
  minDelta?: number;
  /** Epochs after a reduction during which no epoch counts as a wait. Default 0. */
  cooldown?: number;
  /** The rate is never reduced below this. Default 0. */
  minLr?: number;
}

/**
 * keras.callbacks.ReduceLROnPlateau, step for step as keras/src/callbacks/reduce_lr_on_plateau.py:
 * after `patience` epochs without improvement (and outside a cooldown) the optimizer's learning
 * rate becomes max(rate · factor, minLr), if it is above minLr. Keras keeps the rate in a float32
 * variable, so the rate is read and stored rounded to float32 here too. Adds `learning_rate` to the
 * epoch logs later callbacks see. An optimizer whose rate follows a schedule cannot be reduced:
 * the first reduction throws a TypeError, as in Keras.
 */
export class ReduceLROnPlateau extends Callback {
  readonly monitor: string;
  readonly factor: number;
  readonly patience: number;
  readonly verbose: number;
  readonly mode: 'auto' | 'min' | 'max';
  readonly minDelta: number;
  readonly cooldown: number;
  readonly minLr: number;
  private best = Infinity;
  private wait = 0;
  private cooldownCounter = 0;

  constructor(options: ReduceLROnPlateauOptions = {}) {
    super();
    this.monitor = options.monitor ?? 'val_loss';
    this.factor = options.factor ?? 0.1;
    this.patience = options.patience ?? 10;
    this.verbose = options.verbose ?? 0;
    this.mode = options.mode ?? 'auto';
    this.minDelta = options.minDelta ?? 1e-4;
    this.cooldown = options.cooldown ?? 0;
    this.minLr = options.minLr ?? 0;
    const numbers: [string, number, boolean][] = [['factor', this.factor, this.factor >= 0 && this.factor < 1], ['patience', this.patience, this.patience >= 0],
      ['minDelta', this.minDelta, true], ['cooldown', this.cooldown, this.cooldown >= 0], ['minLr', this.minLr, this.minLr >= 0], ['verbose', this.verbose, true]];
    for (const [option, value, inRange] of numbers) {
      if (typeof value !== 'number' || !Number.isFinite(value) || !inRange) {
        throw new ValueError(`ReduceLROnPlateau: ${option} ${value} is out of range${option === 'factor' ? ' (Keras refuses a factor ≥ 1)' : ''}`);
      }
    }
    if (!['auto', 'min', 'max'].includes(this.mode)) throw new ValueError(`ReduceLROnPlateau: mode must be 'auto', 'min' or 'max', got '${this.mode}'`);
    this.reset();
  }

  private get maximize(): boolean {
    return this.mode === 'max' || (this.mode === 'auto' && this.monitor.includes('acc'));
  }

  private reset(): void {
    this.best = this.maximize ? -Infinity : Infinity;
    this.wait = 0;
    this.cooldownCounter = 0;
  }

  override onTrainBegin(): void {
    this.reset();
  }

  override onEpochEnd(epoch: number, logs: Logs): void {
    const optimizer = this.model?.optimizer;
    if (!optimizer) throw new ValueError('ReduceLROnPlateau: the model has no compiled optimizer');
    logs.learning_rate = Math.fround(optimizer.learningRate);
    const current = logs[this.monitor];
    if (current === undefined) {
      throw new ValueError(`ReduceLROnPlateau: monitored quantity '${this.monitor}' is not in the logs (${Object.keys(logs).join(', ')})`);
    }
    if (this.cooldownCounter > 0) {
      this.cooldownCounter--;
      this.wait = 0;
    }
    const improved = this.maximize ? current > this.best + this.minDelta : current < this.best - this.minDelta;
    if (improved) {
      this.best = current;
      this.wait = 0;
      return;
    }
    if (this.cooldownCounter > 0) return;
    this.wait++;
    if (this.wait < this.patience) return;
    const oldLr = Math.fround(optimizer.learningRate);
    if (!(oldLr > Math.fround(this.minLr))) return;
    const newLr = Math.fround(Math.max(oldLr * this.factor, this.minLr));
    optimizer.learningRate = newLr;
    if (this.verbose > 0) console.log(`Epoch ${epoch + 1}: ReduceLROnPlateau reducing learning rate to ${newLr}.`);
    this.cooldownCounter = this.cooldown;
    this.wait = 0;
  }
}

/** Stops training right after a batch whose loss is NaN or infinite (reads each batch's loss). */
export class TerminateOnNaN extends Callback {
  terminatedAt: { batch: number } | null = null;

  override onBatchEnd(batch: number, logs: Logs): void {
    if (!Number.isFinite(logs.loss) && this.model) {
      this.terminatedAt = { batch };
      this.model.stopTraining = true;
    }
  }
}

/** What fit returns: `history.history.loss` (Keras/TF.js), also `history.loss` and friends. */
export class History {
  readonly epoch: number[] = [];
  readonly history: Record<string, number[]> = {};

  record(epoch: number, logs: Logs): void {
    this.epoch.push(epoch);
    for (const [key, value] of Object.entries(logs)) (this.history[key] ??= []).push(value);
  }

  get loss(): number[] { return this.history.loss ?? []; }
  get accuracy(): number[] { return this.history.accuracy ?? []; }
  get val_loss(): number[] { return this.history.val_loss ?? []; }
  get val_accuracy(): number[] { return this.history.val_accuracy ?? []; }
}
