// Training callbacks (Keras's hooks), EarlyStopping, TerminateOnNaN, and the History fit returns.
import { ValueError } from '../errors';

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
