// ZeroPadding2D: rows of zeros above and below, columns left and right of NHWC images (no weights).
import { ShapeError, ValueError, formatShape, formatValue } from '../../errors';
import type { Tensor } from '../../tensor';
import { zeros } from '../../ops/creation';
import { concat } from '../../ops/movement';
import { explicitPadding, type PadPair } from '../../ops/windows';
import { Layer, type CallOptions, type LayerArgs, type SampleShape } from '../layer';

export interface ZeroPadding2DArgs extends LayerArgs {
  /** A number (every side), [height, width] (both sides of each axis), or [[top, bottom], [left, right]]; default 1. */
  padding?: number | readonly [number, number] | readonly [PadPair, PadPair];
}

export class ZeroPadding2D extends Layer {
  readonly className = 'ZeroPadding2D';
  /** [[top, bottom], [left, right]]. */
  readonly padding: [PadPair, PadPair];

  constructor(args: ZeroPadding2DArgs = {}) {
    super(args, 'zero_padding2d');
    const value: unknown = args.padding === undefined ? 1 : args.padding;
    if (typeof value !== 'number' && !Array.isArray(value)) {
      throw new ValueError(`ZeroPadding2D: padding must be a number, [height, width] or [[top, bottom], [left, right]], got ${formatValue(value)}`);
    }
    const pairs = explicitPadding('ZeroPadding2D', value as number | readonly [number, number] | readonly [PadPair, PadPair]);
    this.padding = [[pairs[0][0], pairs[0][1]], [pairs[1][0], pairs[1][1]]];
  }

  computeOutputShape(inputShape: SampleShape): number[] {
    if (inputShape.length !== 3) {
      throw new ShapeError(`${this.name}: ZeroPadding2D needs samples shaped [height, width, channels], got ${formatShape(inputShape)}`);
    }
    const [[top, bottom], [left, right]] = this.padding;
    return [inputShape[0] + top + bottom, inputShape[1] + left + right, inputShape[2]];
  }

  call(x: Tensor, _options: CallOptions): Tensor {
    if (x.rank !== 4) throw new ShapeError(`${this.name}: expected a batch [batch, height, width, channels], got ${formatShape(x.shape)}`);
    // Two concatenations with zero blocks: each one's gradient is a slice, so no new kernel is needed.
    const padAxis = (t: Tensor, axis: 1 | 2, [before, after]: PadPair): Tensor => {
      if (before === 0 && after === 0) return t;
      const block = (size: number): Tensor[] => (size === 0 ? [] : [zeros(t.shape.map((dim, a) => (a === axis ? size : dim)))]);
      return concat([...block(before), t, ...block(after)], axis);
    };
    return padAxis(padAxis(x, 1, this.padding[0]), 2, this.padding[1]);
  }

  getConfig(): Record<string, unknown> {
    return { padding: this.padding.map((pair) => [...pair]) };
  }
}
