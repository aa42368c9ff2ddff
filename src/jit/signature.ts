// What selects a compiled program: the shapes and dtypes of the tensor arguments (and which of them
// share a buffer), the values of the other arguments, and the nesting of arrays and plain objects.
import { Tensor } from '../tensor';

export interface Signature {
  key: string;
  /** The distinct argument buffers' tensors, in order of first appearance (the program's inputs). */
  tensors: Tensor[];
}

/** Objects that are neither arrays nor plain objects (a model, a function) count by identity. */
const identities = new WeakMap<object, number>();
let nextIdentity = 0;

function identity(value: object): number {
  let id = identities.get(value);
  if (id === undefined) {
    id = nextIdentity++;
    identities.set(value, id);
  }
  return id;
}

export function signatureOf(args: readonly unknown[]): Signature {
  const tensors: Tensor[] = [];
  const buffers: GPUBuffer[] = [];
  const keyOf = (value: unknown): string => {
    if (value instanceof Tensor) {
      // Reading the buffer checks the tensor is alive (DisposedTensorError otherwise).
      const buffer = value.buffer;
      let slot = buffers.indexOf(buffer);
      if (slot < 0) {
        slot = buffers.push(buffer) - 1;
        tensors.push(value);
      }
      return `T${value.dtype}[${value.shape.join(',')}]@${slot}`;
    }
    if (typeof value === 'number') return Object.is(value, -0) ? 'n-0' : `n${value}`;
    if (typeof value === 'string') return JSON.stringify(value);
    if (value === null || typeof value !== 'object') return String(value);
    if (Array.isArray(value)) return `[${value.map(keyOf).join(',')}]`;
    if (Object.getPrototypeOf(value) === Object.prototype) {
      return `{${Object.entries(value).map(([name, item]) => `${JSON.stringify(name)}:${keyOf(item)}`).join(',')}}`;
    }
    return `#${identity(value)}`;
  };
  const key = args.map(keyOf).join(';');
  return { key, tensors };
}

/** The tensors in a result (a tensor, or nested arrays and plain objects of them), in order, deduplicated. */
export function tensorsIn(value: unknown, into: Tensor[] = []): Tensor[] {
  if (value instanceof Tensor) {
    if (!into.includes(value)) into.push(value);
  } else if (Array.isArray(value)) {
    for (const item of value) tensorsIn(item, into);
  } else if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    for (const item of Object.values(value)) tensorsIn(item, into);
  }
  return into;
}

/** `template` with its tensors replaced, in tensorsIn order, by `tensors`. */
export function rebuild(template: unknown, found: readonly Tensor[], tensors: readonly Tensor[]): unknown {
  if (template instanceof Tensor) return tensors[found.indexOf(template)];
  if (Array.isArray(template)) return template.map((item) => rebuild(item, found, tensors));
  if (template !== null && typeof template === 'object' && Object.getPrototypeOf(template) === Object.prototype) {
    return Object.fromEntries(Object.entries(template).map(([name, item]) => [name, rebuild(item, found, tensors)]));
  }
  return template;
}
