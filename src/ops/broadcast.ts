// Broadcasting machinery shared by every elementwise kernel: the stride uniforms a kernel reads
// inputs through. (Summing a broadcast gradient back is the tape's: src/autograd/unbroadcast.ts.)
import { ShapeError, formatShape } from '../errors';
import { broadcastStrides, type Shape } from '../shape';

/** The highest rank a kernel's shape uniforms hold (two vec4<u32>). */
export const MAX_RANK = 8;

/**
 * Uniform values that let a kernel read inputs of other shapes as if broadcast to `outShape`:
 * `rank`, `outShape`, and per input its strides over the output (0 on broadcast dims). Dims are
 * first collapsed — size-1 dims dropped, neighbours merged where every input steps through them
 * contiguously — because each remaining dim costs the kernel a division per element.
 */
export function broadcastUniforms(op: string, outShape: Shape, inputShapes: Record<string, Shape>): Record<string, number[] | number> {
  const names = Object.keys(inputShapes);
  const strides = names.map((name) => broadcastStrides(inputShapes[name], outShape));
  const dims: { size: number; strides: number[] }[] = [];
  outShape.forEach((size, axis) => {
    if (size === 1) return;
    const axisStrides = strides.map((perInput) => perInput[axis]);
    const previous = dims[dims.length - 1];
    if (previous && previous.strides.every((stride, k) => stride === axisStrides[k] * size)) {
      previous.size *= size;
      previous.strides = axisStrides;
    } else {
      dims.push({ size, strides: axisStrides });
    }
  });
  if (dims.length > MAX_RANK) throw new ShapeError(`${op}: rank ${outShape.length} exceeds the supported ${MAX_RANK} (shape ${formatShape(outShape)})`);
  const uniforms: Record<string, number[] | number> = { rank: dims.length, outShape: dims.map((dim) => dim.size) };
  names.forEach((name, k) => { uniforms[name] = dims.map((dim) => dim.strides[k]); });
  return uniforms;
}
