// What happens to a gradient before an optimizer's rule sees it, as Keras 3's base optimizer does
// it (keras/src/optimizers/base_optimizer.py): accumulation over micro-batches (apply every N steps
// with the mean), then one of clipnorm, globalClipnorm, clipvalue. All on the GPU: norms are reduced
// by ops into scalar tensors the update kernel reads, and whether a step applies is a uniform, so
// every step launches the same kernels and nothing is read back.
import { ValueError, formatValue } from '../errors';
import { add, div } from '../ops/binary';
import { sum } from '../ops/reduce';
import { square } from '../ops/unary';
import type { Tensor } from '../tensor';

/** The options every optimizer takes for its gradients (Keras's names, camelCase). */
export interface GradientOptions {
  /** Clip each gradient to this L2 norm: g·c / max(‖g‖, c). 0 or null: off. */
  clipnorm?: number | null;
  /** Clip every element into [−c, c]. 0 or null: off. */
  clipvalue?: number | null;
  /** Scale all gradients together so that their joint L2 norm is at most c. 0 or null: off. */
  globalClipnorm?: number | null;
  /** Sum gradients over this many steps (an integer ≥ 2) and apply their mean on the last. null: off. */
  gradientAccumulationSteps?: number | null;
}

/** The checked options, with what the kernel needs. */
export interface GradientTransform {
  readonly clipnorm: number | null;
  readonly clipvalue: number | null;
  readonly globalClipnorm: number | null;
  readonly gradientAccumulationSteps: number | null;
}

/** Throws ValueError for a bad option or for two clipping options at once (Keras refuses that too). */
export function checkGradientOptions(optimizer: string, options: GradientOptions): GradientTransform {
  const clip = (option: 'clipnorm' | 'clipvalue' | 'globalClipnorm'): number | null => {
    const value = options[option] ?? null;
    if (value !== null && (typeof value !== 'number' || !Number.isFinite(value) || value < 0)) {
      throw new ValueError(`${optimizer}: ${option} must be a finite number ≥ 0 or null, got ${formatValue(value)}`);
    }
    return value;
  };
  const [clipnorm, clipvalue, globalClipnorm] = [clip('clipnorm'), clip('clipvalue'), clip('globalClipnorm')];
  if ([clipnorm, clipvalue, globalClipnorm].filter((value) => value !== null).length > 1) {
    throw new ValueError(`${optimizer}: only one of clipnorm, clipvalue and globalClipnorm can be set, got clipnorm ${clipnorm}, clipvalue ${clipvalue}, globalClipnorm ${globalClipnorm}`);
  }
  const steps = options.gradientAccumulationSteps ?? null;
  if (steps !== null && !(Number.isSafeInteger(steps) && steps >= 2)) {
    throw new ValueError(`${optimizer}: gradientAccumulationSteps must be an integer ≥ 2 or null, got ${formatValue(steps)}`);
  }
  return { clipnorm, clipvalue, globalClipnorm, gradientAccumulationSteps: steps };
}

/** The options set, for getConfig (unset ones are left out, so existing configs read as before). */
export function gradientConfig(transform: GradientTransform): Record<string, number> {
  return Object.fromEntries(Object.entries(transform).filter(([, value]) => value !== null)) as Record<string, number>;
}

/** Which clipping a step does: Keras skips an option of 0 (`if self.clipnorm and self.clipnorm > 0`). */
function clipping(transform: GradientTransform): 'norm' | 'globalNorm' | 'value' | null {
  if (transform.clipnorm) return 'norm';
  if (transform.globalClipnorm) return 'globalNorm';
  if (transform.clipvalue) return 'value';
  return null;
}

/** The kernel's part: extra storage bindings, extra uniforms, and WGSL that defines `g` from `grad[i]`. */
export interface GradientKernelPart {
  /**
   * Bound beside param and grad; `type` is the array's element type; `shared`: one buffer for every
   * tensor of a grouped update (bound once), else one per tensor.
   */
  storage: { name: string; access: 'read' | 'read_write'; type: 'f32' | 'vec4<f32>'; shared: boolean }[];
  uniforms: string[];
  code: string;
}

export function gradientKernelPart(transform: GradientTransform): GradientKernelPart {
  const storage: GradientKernelPart['storage'] = [];
  const uniforms: string[] = [];
  const lines: string[] = [];
  if (transform.gradientAccumulationSteps !== null) {
    storage.push({ name: 'gradientAccumulator', access: 'read_write', type: 'vec4<f32>', shared: false });
    uniforms.push('applyStep', 'accumulationSteps');
    // Keras: on all but every N-th step the accumulator takes g and nothing else changes; on the
    // N-th, the rule gets (accumulator + g) / N and the accumulator is zeroed. `applyStep` is 0 or 1.
    lines.push(
      '  let total = gradientAccumulator[i] + grad[i];',
      '  if (params.applyStep == 0.0) {',
      '    gradientAccumulator[i] = total;',
      '    return;',
      '  }',
      '  gradientAccumulator[i] = vec4<f32>(0.0);',
      '  let gradient = total / params.accumulationSteps;',
    );
  } else {
    lines.push('  let gradient = grad[i];');
  }
  const clip = clipping(transform);
  if (clip === 'norm' || clip === 'globalNorm') {
    storage.push({ name: 'squaredNorm', access: 'read', type: 'f32', shared: clip === 'globalNorm' });
    uniforms.push('clipNorm');
    lines.push(`  let g = gradient * ${clip === 'norm' ? 'clipNormScale' : 'globalClipNormScale'}(squaredNorm[0], params.clipNorm);`);
  } else if (clip === 'value') {
    uniforms.push('clipValue');
    lines.push('  let g = clipByValue(gradient, params.clipValue);');
  } else {
    lines.push('  let g = gradient;');
  }
  return { storage, uniforms, code: lines.join('\n') };
}

/** This step's uniforms of the gradient part (`apply`: whether the rule runs this step). */
export function gradientUniforms(transform: GradientTransform, apply: boolean): Record<string, number> {
  const uniforms: Record<string, number> = {};
  if (transform.gradientAccumulationSteps !== null) {
    uniforms.applyStep = apply ? 1 : 0;
    uniforms.accumulationSteps = transform.gradientAccumulationSteps;
  }
  const clip = clipping(transform);
  if (clip === 'norm') uniforms.clipNorm = transform.clipnorm as number;
  if (clip === 'globalNorm') uniforms.clipNorm = transform.globalClipnorm as number;
  if (clip === 'value') uniforms.clipValue = transform.clipvalue as number;
  return uniforms;
}

/**
 * The squared-norm tensor each parameter's kernel reads, or null when no norm clipping is on: the
 * sum of squares of its gradient (clipnorm) or of all gradients (globalClipnorm), taken of the
 * averaged gradient (accumulator + g) / N when accumulating, as Keras clips after averaging. The
 * caller disposes them.
 */
export function squaredNorms(transform: GradientTransform, grads: readonly Tensor[], accumulators: readonly Tensor[] | null): Tensor[] | null {
  const clip = clipping(transform);
  if (clip !== 'norm' && clip !== 'globalNorm') return null;
  const steps = transform.gradientAccumulationSteps;
  const sums = grads.map((grad, k) => {
    const gradient = accumulators && steps !== null ? div(add(accumulators[k], grad), steps) : grad;
    return sum(square(gradient));
  });
  if (clip === 'norm' || sums.length === 0) return sums;
  const total = sums.slice(1).reduce((acc, s) => add(acc, s), sums[0]);
  return grads.map(() => total);
}
