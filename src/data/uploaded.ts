// The host values a batch tensor was uploaded from, kept beside it so fit's checks of class
// indices and token ids read them here: reading the tensor back would wait for every queued
// training step, once per streamed batch. A tensor changed in place (assign) after batching would
// be checked as batched; nothing in webgrad assigns into batch tensors.
import type { Tensor } from '../tensor';

const uploaded = new WeakMap<Tensor, Float32Array | Int32Array>();

export function rememberUploaded(tensor: Tensor, values: Float32Array | Int32Array): void {
  uploaded.set(tensor, values);
}

/** The values `tensor` was made from by batch(), if it was. */
export function uploadedValues(tensor: Tensor): Float32Array | Int32Array | undefined {
  return uploaded.get(tensor);
}
