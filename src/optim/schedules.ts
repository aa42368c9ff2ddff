// Learning-rate schedules, as keras.optimizers.schedules (keras/src/optimizers/schedules/
// learning_rate_schedule.py): a function of the optimizer's step count, evaluated on the CPU in
// double precision once per step and handed to the update kernel as a uniform, so a schedule never
// changes a kernel and never reads anything back. `step` is Keras's: the number of steps applied
// before this one (the first step sees 0).
import { ValueError, formatValue } from '../errors';
import { readConfigForm } from './configForm';

/** A schedule's JSON form, as Keras's schedules.serialize writes it (keys in camelCase). */
export interface SerializedSchedule {
  className: string;
  config: Record<string, number | boolean | string | number[] | null>;
}

/** Base of every schedule: `call(step)` gives the learning rate of the step after `step` steps. */
export abstract class LearningRateSchedule {
  /** Keras's class name, the key of serialize/deserialize. */
  abstract readonly className: string;
  abstract call(step: number): number;
  abstract getConfig(): SerializedSchedule['config'];
}

/** Throws ValueError unless `value` is a finite number (and, with `positive`, above 0). */
function checkNumber(schedule: string, option: string, value: unknown, positive = false): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || (positive && !(value > 0))) {
    throw new ValueError(`${schedule}: ${option} must be a finite number${positive ? ' > 0' : ''}, got ${formatValue(value)}`);
  }
  return value;
}

function checkBoolean(schedule: string, option: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw new ValueError(`${schedule}: ${option} must be true or false, got ${formatValue(value)}`);
  return value;
}

function checkName(schedule: string, value: unknown): string {
  if (typeof value !== 'string') throw new ValueError(`${schedule}: name must be a string, got ${formatValue(value)}`);
  return value;
}

export interface ExponentialDecayOptions {
  initialLearningRate: number;
  /** > 0. */
  decaySteps: number;
  decayRate: number;
  /** Decay in whole multiples of decaySteps (floor of step / decaySteps). Default false. */
  staircase?: boolean;
  name?: string;
}

export type InverseTimeDecayOptions = ExponentialDecayOptions;

/** What ExponentialDecay and InverseTimeDecay share: the same options, a progress step / decaySteps floored when staircase. */
abstract class StepDecay extends LearningRateSchedule {
  readonly className: string;
  readonly initialLearningRate: number;
  readonly decaySteps: number;
  readonly decayRate: number;
  readonly staircase: boolean;
  readonly name: string;

  constructor(className: string, options: ExponentialDecayOptions) {
    super();
    this.className = className;
    this.initialLearningRate = checkNumber(className, 'initialLearningRate', options.initialLearningRate);
    this.decaySteps = checkNumber(className, 'decaySteps', options.decaySteps, true);
    this.decayRate = checkNumber(className, 'decayRate', options.decayRate);
    this.staircase = checkBoolean(className, 'staircase', options.staircase ?? false);
    this.name = checkName(className, options.name ?? className);
  }

  protected progress(step: number): number {
    const p = step / this.decaySteps;
    return this.staircase ? Math.floor(p) : p;
  }

  getConfig(): SerializedSchedule['config'] {
    const { initialLearningRate, decaySteps, decayRate, staircase, name } = this;
    return { initialLearningRate, decaySteps, decayRate, staircase, name };
  }
}

/** initialLearningRate · decayRate^(step / decaySteps), the exponent floored when staircase. */
export class ExponentialDecay extends StepDecay {
  constructor(options: ExponentialDecayOptions) {
    super('ExponentialDecay', options);
  }

  call(step: number): number {
    return this.initialLearningRate * this.decayRate ** this.progress(step);
  }
}

/** initialLearningRate / (1 + decayRate · step / decaySteps), the quotient floored when staircase. */
export class InverseTimeDecay extends StepDecay {
  constructor(options: InverseTimeDecayOptions) {
    super('InverseTimeDecay', options);
  }

  call(step: number): number {
    return this.initialLearningRate / (1 + this.decayRate * this.progress(step));
  }
}

export interface PolynomialDecayOptions {
  initialLearningRate: number;
  /** > 0. */
  decaySteps: number;
  /** Default 0.0001. */
  endLearningRate?: number;
  /** Default 1. */
  power?: number;
  /** Restart from the top every decaySteps (Keras stretches decaySteps to the next multiple). Default false. */
  cycle?: boolean;
  name?: string;
}

/** (initial − end)·(1 − step/decaySteps)^power + end, step held at decaySteps (or decaySteps stretched, with cycle). */
export class PolynomialDecay extends LearningRateSchedule {
  readonly className = 'PolynomialDecay';
  readonly initialLearningRate: number;
  readonly decaySteps: number;
  readonly endLearningRate: number;
  readonly power: number;
  readonly cycle: boolean;
  readonly name: string;

  constructor(options: PolynomialDecayOptions) {
    super();
    this.initialLearningRate = checkNumber(this.className, 'initialLearningRate', options.initialLearningRate);
    this.decaySteps = checkNumber(this.className, 'decaySteps', options.decaySteps, true);
    this.endLearningRate = checkNumber(this.className, 'endLearningRate', options.endLearningRate ?? 0.0001);
    this.power = checkNumber(this.className, 'power', options.power ?? 1);
    this.cycle = checkBoolean(this.className, 'cycle', options.cycle ?? false);
    this.name = checkName(this.className, options.name ?? 'PolynomialDecay');
  }

  call(step: number): number {
    let decaySteps = this.decaySteps;
    let at = step;
    // Keras: with cycle, the first multiple of decaySteps at or above step (decaySteps itself at step 0).
    if (this.cycle) decaySteps *= step === 0 ? 1 : Math.ceil(step / decaySteps);
    else at = Math.min(step, decaySteps);
    const p = at / decaySteps;
    return (this.initialLearningRate - this.endLearningRate) * (1 - p) ** this.power + this.endLearningRate;
  }

  getConfig(): SerializedSchedule['config'] {
    const { initialLearningRate, decaySteps, endLearningRate, power, cycle, name } = this;
    return { initialLearningRate, decaySteps, endLearningRate, power, cycle, name };
  }
}

export interface CosineDecayOptions {
  initialLearningRate: number;
  /** Steps of the cosine decay (after the warm-up), > 0. */
  decaySteps: number;
  /** The floor, as a fraction of the rate the decay starts from. Default 0. */
  alpha?: number;
  /** Where a linear warm-up from initialLearningRate ends; null (the default) means no warm-up. */
  warmupTarget?: number | null;
  /** Steps of the warm-up. Default 0. */
  warmupSteps?: number;
  name?: string;
}

/**
 * Keras 3's CosineDecay with its warm-up: below warmupSteps, initial + (target − initial)·step/warmupSteps;
 * after it, target·((1 − alpha)·½(1 + cos(π·t/decaySteps)) + alpha) with t = min(step − warmupSteps,
 * decaySteps). Without a warmupTarget the decay starts from initialLearningRate at step 0.
 */
export class CosineDecay extends LearningRateSchedule {
  readonly className = 'CosineDecay';
  readonly initialLearningRate: number;
  readonly decaySteps: number;
  readonly alpha: number;
  readonly warmupTarget: number | null;
  readonly warmupSteps: number;
  readonly name: string;

  constructor(options: CosineDecayOptions) {
    super();
    this.initialLearningRate = checkNumber(this.className, 'initialLearningRate', options.initialLearningRate);
    this.decaySteps = checkNumber(this.className, 'decaySteps', options.decaySteps, true);
    this.alpha = checkNumber(this.className, 'alpha', options.alpha ?? 0);
    const target = options.warmupTarget ?? null;
    this.warmupTarget = target === null ? null : checkNumber(this.className, 'warmupTarget', target);
    this.warmupSteps = checkNumber(this.className, 'warmupSteps', options.warmupSteps ?? 0);
    if (this.warmupSteps < 0) throw new ValueError(`${this.className}: warmupSteps must be ≥ 0, got ${this.warmupSteps}`);
    this.name = checkName(this.className, options.name ?? 'CosineDecay');
  }

  call(step: number): number {
    const decayed = (t: number, from: number): number => from * ((1 - this.alpha) * 0.5 * (1 + Math.cos(Math.PI * (t / this.decaySteps))) + this.alpha);
    if (this.warmupTarget === null) return decayed(Math.min(step, this.decaySteps), this.initialLearningRate);
    const at = Math.min(step, this.decaySteps + this.warmupSteps);
    if (at < this.warmupSteps) return (this.warmupTarget - this.initialLearningRate) * (at / this.warmupSteps) + this.initialLearningRate;
    return decayed(at - this.warmupSteps, this.warmupTarget);
  }

  getConfig(): SerializedSchedule['config'] {
    const { initialLearningRate, decaySteps, alpha, warmupTarget, warmupSteps, name } = this;
    return { initialLearningRate, decaySteps, alpha, warmupTarget, warmupSteps, name };
  }
}

export interface PiecewiseConstantDecayOptions {
  /** Strictly increasing step counts. */
  boundaries: number[];
  /** One more than boundaries: values[i] while step ≤ boundaries[i], the last after the last boundary. */
  values: number[];
  name?: string;
}

/** values[0] for step ≤ boundaries[0], values[i] for boundaries[i−1] < step ≤ boundaries[i], values[n] beyond. */
export class PiecewiseConstantDecay extends LearningRateSchedule {
  readonly className = 'PiecewiseConstantDecay';
  readonly boundaries: readonly number[];
  readonly values: readonly number[];
  readonly name: string;

  constructor(options: PiecewiseConstantDecayOptions) {
    super();
    const { boundaries, values } = options;
    if (!Array.isArray(boundaries) || !Array.isArray(values) || boundaries.length !== values.length - 1) {
      throw new ValueError(`${this.className}: boundaries must be a list one shorter than values, got boundaries ${formatValue(boundaries)} and values ${formatValue(values)}`);
    }
    boundaries.forEach((boundary, i) => {
      checkNumber(this.className, `boundaries[${i}]`, boundary);
      if (i > 0 && !(boundary > boundaries[i - 1])) throw new ValueError(`${this.className}: boundaries must increase strictly, got ${formatValue(boundaries)}`);
    });
    values.forEach((value, i) => checkNumber(this.className, `values[${i}]`, value));
    this.boundaries = [...boundaries];
    this.values = [...values];
    this.name = checkName(this.className, options.name ?? 'PiecewiseConstant');
  }

  call(step: number): number {
    const interval = this.boundaries.findIndex((boundary) => step <= boundary);
    return this.values[interval < 0 ? this.values.length - 1 : interval];
  }

  getConfig(): SerializedSchedule['config'] {
    return { boundaries: [...this.boundaries], values: [...this.values], name: this.name };
  }
}

/** Each built-in schedule by its Keras class name, built from a config object. */
const schedulesByName: Record<string, (config: Record<string, unknown>) => LearningRateSchedule> = {
  ExponentialDecay: (config) => new ExponentialDecay(config as unknown as ExponentialDecayOptions),
  InverseTimeDecay: (config) => new InverseTimeDecay(config as unknown as InverseTimeDecayOptions),
  PolynomialDecay: (config) => new PolynomialDecay(config as unknown as PolynomialDecayOptions),
  CosineDecay: (config) => new CosineDecay(config as unknown as CosineDecayOptions),
  PiecewiseConstantDecay: (config) => new PiecewiseConstantDecay(config as unknown as PiecewiseConstantDecayOptions),
};

/** keras.optimizers.schedules.serialize: `{ className, config }`. */
export function serialize(schedule: LearningRateSchedule): SerializedSchedule {
  return { className: schedule.className, config: schedule.getConfig() };
}

/**
 * keras.optimizers.schedules.deserialize: the schedule `{ className, config }` describes. The config
 * must hold exactly the options its class takes (as getConfig writes them); anything else is a ValueError.
 */
export function deserialize(value: unknown): LearningRateSchedule {
  const { className, make, config } = readConfigForm('schedules.deserialize', value, schedulesByName);
  const schedule = make(config);
  const known = Object.keys(schedule.getConfig());
  const unknown = Object.keys(config).find((key) => !known.includes(key));
  if (unknown !== undefined) throw new ValueError(`schedules.deserialize: ${className} has no option ${formatValue(unknown)}; its options are ${known.join(', ')}`);
  return schedule;
}
