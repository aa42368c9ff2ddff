// Broadcasting machinery shared by every elementwise kernel: the stride uniforms a kernel reads
// inputs through. (Summing a broadcast gradient back is the tape's: src/autograd/unbroadcast.ts.)
import { ShapeError, formatShape } from '../errors';
import { broadcastStrides, type Shape } from '../shape';

/** The highest rank a kernel's shape uniforms hold (two vec4<u32>). */
export const MAX_RANK = 8;

/**
 * Elements one invocation of a strided kernel (shaders/movement.wgsl, elementwise.wgsl: their
 * PER_INVOCATION) handles along the innermost axis of the shape it walks: 4 where that axis
 * holds whole fours, so the index walk and its divisions are paid once for four, else 1. On
 * SwiftShader a head-split transpose and a broadcast subtraction each ran in about half the time at 4.
 */
export function elementsPerInvocation(walkedShape: readonly number[]): 1 | 4 {
  return walkedShape.length > 0 && walkedShape[walkedShape.length - 1] % 4 === 0 ? 4 : 1;
}

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
