// The synthetic task with a measurable answer: reverse a string of five digits. Sequences read
// "12345>54321."; the model learns them as a language model whose loss counts only the characters
// after '>' (those before it are random), and is scored by greedy generation on held-out strings.

export const DIGITS = 5;
export const TASK_CHARACTERS = '0123456789>.';
/** One sequence: the digits, '>', the digits reversed, '.'. */
export const SEQUENCE_LENGTH = 2 * DIGITS + 2;

function randomDigits(random) {
  return Array.from({ length: DIGITS }, () => Math.floor(random() * 10)).join('');
}

export function reversalSequence(digits) {
  return `${digits}>${[...digits].reverse().join('')}.`;
}

/** `count` distinct digit strings, none of which training will see. */
export function heldOutDigits(count, random) {
  const strings = new Set();
  while (strings.size < count) strings.add(randomDigits(random));
  return [...strings];
}

/**
 * A training batch as flat [batch, T] arrays with T = SEQUENCE_LENGTH − 1: inputs, next-character
 * targets, and weights that are 1 where the target comes after '>' (the answer and its '.').
 */
export function reversalBatch(vocabulary, batchSize, heldOut, random) {
  const length = SEQUENCE_LENGTH - 1;
  const inputs = new Int32Array(batchSize * length);
  const targets = new Int32Array(batchSize * length);
  const weights = new Float32Array(batchSize * length);
  for (let row = 0; row < batchSize; row++) {
    let digits = randomDigits(random);
    while (heldOut.has(digits)) digits = randomDigits(random);
    const ids = vocabulary.encode(reversalSequence(digits));
    inputs.set(ids.subarray(0, length), row * length);
    targets.set(ids.subarray(1), row * length);
    for (let t = DIGITS; t < length; t++) weights[row * length + t] = 1; // targets at t ≥ DIGITS follow '>'
  }
  return { inputs, targets, weights };
}
