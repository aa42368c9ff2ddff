// Float64 references of Keras 3's learning-rate schedules, written from
// keras/src/optimizers/schedules/learning_rate_schedule.py (each __call__, its tensor ops done in
// double precision), and the configs the tests build them from.

export interface ScheduleCase {
  label: string;
  className: 'ExponentialDecay' | 'InverseTimeDecay' | 'PolynomialDecay' | 'CosineDecay' | 'PiecewiseConstantDecay';
  /** webgrad's options (Keras's arguments in camelCase). */
  options: Record<string, number | boolean | number[] | null>;
}

type Options = Record<string, number | boolean | number[] | null | undefined>;
const num = (options: Options, key: string, fallback?: number): number => (options[key] as number | undefined) ?? (fallback as number);

/** Keras's value of the schedule at `step` (the optimizer's iterations before the step). */
export function kerasSchedule(c: ScheduleCase, step: number): number {
  const o: Options = c.options;
  const initial = num(o, 'initialLearningRate');
  switch (c.className) {
    case 'ExponentialDecay': {
      // p = step / decay_steps, floored when staircase; initial * decay_rate ** p.
      let p = step / num(o, 'decaySteps');
      if (o.staircase === true) p = Math.floor(p);
      return initial * Math.pow(num(o, 'decayRate'), p);
    }
    case 'InverseTimeDecay': {
      let p = step / num(o, 'decaySteps');
      if (o.staircase === true) p = Math.floor(p);
      return initial / (1 + num(o, 'decayRate') * p);
    }
    case 'PolynomialDecay': {
      const end = num(o, 'endLearningRate', 0.0001);
      const power = num(o, 'power', 1);
      let decaySteps = num(o, 'decaySteps');
      let globalStep = step;
      if (o.cycle === true) {
        // multiplier = where(step == 0, 1, ceil(step / decay_steps))
        const multiplier = globalStep === 0 ? 1 : Math.ceil(globalStep / decaySteps);
        decaySteps *= multiplier;
      } else {
        globalStep = Math.min(globalStep, decaySteps);
      }
      const p = globalStep / decaySteps;
      return (initial - end) * Math.pow(1 - p, power) + end;
    }
    case 'CosineDecay': {
      const decaySteps = num(o, 'decaySteps');
      const alpha = num(o, 'alpha', 0);
      const decay = (s: number, from: number): number => {
        const cosineDecayed = 0.5 * (1 + Math.cos(Math.PI * (s / decaySteps)));
        return from * ((1 - alpha) * cosineDecayed + alpha);
      };
      const warmupTarget = o.warmupTarget ?? null;
      if (warmupTarget === null) return decay(Math.min(step, decaySteps), initial);
      const warmupSteps = num(o, 'warmupSteps', 0);
      const globalStep = Math.min(step, decaySteps + warmupSteps);
      if (globalStep < warmupSteps) return ((warmupTarget as number) - initial) * (globalStep / warmupSteps) + initial;
      return decay(globalStep - warmupSteps, warmupTarget as number);
    }
    case 'PiecewiseConstantDecay': {
      // The sum of value · indicator over the intervals, as Keras builds it.
      const boundaries = o.boundaries as number[];
      const values = o.values as number[];
      let result = (step <= boundaries[0] ? 1 : 0) * values[0];
      result += (step > boundaries[boundaries.length - 1] ? 1 : 0) * values[values.length - 1];
      for (let i = 0; i + 1 < boundaries.length; i++) result += (step > boundaries[i] && step <= boundaries[i + 1] ? 1 : 0) * values[i + 1];
      return result;
    }
  }
}

export const scheduleCases: ScheduleCase[] = [
  { label: 'ExponentialDecay', className: 'ExponentialDecay', options: { initialLearningRate: 0.1, decaySteps: 7, decayRate: 0.5 } },
  { label: 'ExponentialDecay staircase', className: 'ExponentialDecay', options: { initialLearningRate: 0.1, decaySteps: 4, decayRate: 0.3, staircase: true } },
  { label: 'InverseTimeDecay', className: 'InverseTimeDecay', options: { initialLearningRate: 0.2, decaySteps: 3, decayRate: 0.7 } },
  { label: 'InverseTimeDecay staircase', className: 'InverseTimeDecay', options: { initialLearningRate: 0.2, decaySteps: 3, decayRate: 0.7, staircase: true } },
  { label: 'PolynomialDecay', className: 'PolynomialDecay', options: { initialLearningRate: 0.1, decaySteps: 10, endLearningRate: 0.01, power: 0.5 } },
  { label: 'PolynomialDecay cycle', className: 'PolynomialDecay', options: { initialLearningRate: 0.1, decaySteps: 6, power: 2, cycle: true } },
  { label: 'CosineDecay', className: 'CosineDecay', options: { initialLearningRate: 0.1, decaySteps: 10, alpha: 0.1 } },
  { label: 'CosineDecay warm-up', className: 'CosineDecay', options: { initialLearningRate: 0.01, decaySteps: 12, alpha: 0.05, warmupTarget: 0.2, warmupSteps: 5 } },
  { label: 'PiecewiseConstantDecay', className: 'PiecewiseConstantDecay', options: { boundaries: [3, 7, 12], values: [1, 0.5, 0.25, 0.1] } },
];
