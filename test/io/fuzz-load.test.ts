// Fuzzing loadWeights: a valid file mutated thousands of seeded ways (bit flips, truncations,
// header-length edits, header edits of offsets, dtypes, shapes, names and metadata, data edits).
// Each case must either load exactly the weights the independent reader (safetensors-reader.ts)
// finds in the file, or throw a ModelFormatError and leave the model bit-identical; and no case
// may leave a tensor or a byte behind in memory().
import { beforeAll, describe, expect, it } from 'vitest';
import { useGpuPage } from '../harness/gpu-page';
import { mulberry32 } from '../reference/random';
import { joinFile, splitFile } from './file-edits';
import { loadModelCases, loadWeightsCases, saveSmallModel, type SavedArtifacts } from './load-in-page';
import { parseSafetensors } from './safetensors-reader';

const gpu = useGpuPage();
const CASES = 3000;
const JSON_CASES = 600;
let saved: SavedArtifacts;
beforeAll(async () => {
  saved = await gpu.run(saveSmallModel);
});

type Random = () => number;
const below = (random: Random, n: number) => Math.floor(random() * n);
const pick = <T>(random: Random, items: readonly T[]): T => items[below(random, items.length)];

/** Bits of the stored model's header that a mutation may set a field to. */
const ODD_VALUES: unknown[] = [null, [], {}, 0, -1, 1.5, '3', 'x', true, 2 ** 53, [0], [0, 4, 8], ['0', '4'], [-4, 0], [1e300]];

function flipBit(bytes: Uint8Array, random: Random): Uint8Array {
  const out = bytes.slice();
  if (out.length === 0) return out;
  if (out.length < 8) {
    out[below(random, out.length)] ^= 1 << below(random, 8);
    return out;
  }
  const headerEnd = Math.min(out.length, 8 + Number(new DataView(out.buffer).getBigUint64(0, true) & 0xffffn));
  const at = random() < 0.7 && headerEnd > 8 ? 8 + below(random, headerEnd - 8) : below(random, out.length);
  out[at] ^= 1 << below(random, 8);
  return out;
}

function truncate(bytes: Uint8Array, random: Random): Uint8Array {
  return bytes.slice(0, below(random, bytes.length));
}

function editLength(bytes: Uint8Array, random: Random): Uint8Array {
  if (bytes.length < 8) return bytes;
  const out = bytes.slice();
  const view = new DataView(out.buffer);
  const length = view.getBigUint64(0, true);
  const total = BigInt(out.length);
  view.setBigUint64(0, pick(random, [0n, 1n, 7n, length - 1n, length + 1n, length + 8n, total - 8n, total - 7n, total, 2n ** 53n, 2n ** 53n + 1n, 2n ** 32n, 2n ** 64n - 1n]) & (2n ** 64n - 1n), true);
  return out;
}

function editData(bytes: Uint8Array, random: Random): Uint8Array {
  if (bytes.length < 8 || new DataView(bytes.buffer).getBigUint64(0, true) > BigInt(bytes.length - 8)) return flipBit(bytes, random);
  const { header, data } = splitFile(bytes);
  const out = data.slice();
  for (let k = 1 + below(random, 4); k > 0 && out.length > 0; k--) out[below(random, out.length)] = below(random, 256);
  return joinFile(header, out);
}

/** One structural edit of the header JSON (falls back to a bit flip when it no longer parses). */
function editHeader(bytes: Uint8Array, random: Random): Uint8Array {
  let split: { header: string; data: Uint8Array };
  let header: Record<string, Record<string, unknown>>;
  try {
    split = splitFile(bytes);
    header = JSON.parse(split.header) as typeof header;
    if (typeof header !== 'object' || header === null || Array.isArray(header)) return flipBit(bytes, random);
  } catch {
    return flipBit(bytes, random);
  }
  let { data } = split;
  const names = Object.keys(header).filter((name) => name !== '__metadata__');
  if (names.length === 0) return flipBit(bytes, random);
  const name = pick(random, names);
  const target = header[name];
  const entryOf = (value: unknown) => (typeof value === 'object' && value !== null ? value as Record<string, unknown> : null);
  const offsetsOf = (value: unknown): number[] | null => {
    const offsets = entryOf(value)?.data_offsets;
    return Array.isArray(offsets) && offsets.length === 2 ? offsets as number[] : null;
  };
  let text: string | null = null;
  switch (below(random, 14)) {
    case 0: { // nudge an offset
      const offsets = offsetsOf(target);
      if (offsets) offsets[below(random, 2)] += pick(random, [-1, -4, -8, 4, 8, 1, -1e6, 2 ** 53]);
      break;
    }
    case 1: { // swap, negate, or borrow another tensor's offsets
      const offsets = offsetsOf(target);
      const other = offsetsOf(header[pick(random, names)]);
      if (offsets) entryOf(target)!.data_offsets = pick(random, [[offsets[1], offsets[0]], [-offsets[0], offsets[1] - 2 * offsets[0]], other ? [...other] : offsets]);
      break;
    }
    case 2: // a field set to an odd value
      if (entryOf(target)) entryOf(target)![pick(random, ['dtype', 'shape', 'data_offsets'])] = pick(random, ODD_VALUES);
      break;
    case 3: // another dtype
      if (entryOf(target)) entryOf(target)!.dtype = pick(random, ['F16', 'F64', 'I32', 'I64', 'BOOL', 'U8', '', 'f32', 'constructor', '__proto__']);
      break;
    case 4: { // another shape with the same or a different element count
      const shape = entryOf(target)?.shape;
      if (Array.isArray(shape)) entryOf(target)!.shape = pick(random, [[...shape].reverse(), [...shape, 1], shape.slice(1), shape.map((d: number) => -d), [shape.reduce((a: number, b: number) => a * b, 1)], [...shape.slice(0, -1), (shape.at(-1) as number) + 1]]);
      break;
    }
    case 5: // a field deleted, or an unknown one added
      if (entryOf(target)) {
        if (random() < 0.5) delete entryOf(target)![pick(random, ['dtype', 'shape', 'data_offsets'])];
        else entryOf(target)![pick(random, ['extra', 'offsets', 'constructor'])] = 1;
      }
      break;
    case 6: // the entry replaced by a non-object
      header[name] = pick(random, [null, [], 5, 'x', true]) as never;
      break;
    case 7: { // renamed: to another tensor's name (a duplicate key), a prototype name, or a stranger
      const to = pick(random, [...names, '__proto__', 'constructor', 'toString', `${name}x`, name.replace(/_1|$/, '_2')]);
      text = split.header.replace(JSON.stringify(name), JSON.stringify(to));
      break;
    }
    case 8: // an entry written twice
      text = split.header.replace(/^\{/, `{${JSON.stringify(name)}:${JSON.stringify(target)},`);
      break;
    case 9: { // an entry removed, with or without its bytes
      const offsets = offsetsOf(target);
      delete header[name];
      if (offsets && random() < 0.7 && offsets[1] === data.length) data = data.slice(0, offsets[0]);
      break;
    }
    case 10: { // an extra tensor, with or without bytes behind it
      const count = 1 + below(random, 3);
      header[pick(random, [`extra_${count}`, '__proto__', names[0]])] = { dtype: 'F32', shape: [count], data_offsets: [data.length, data.length + 4 * count] };
      if (random() < 0.7) data = Uint8Array.from([...data, ...new Uint8Array(4 * count).fill(0x3f)]);
      break;
    }
    case 11: // entries listed in another order (still valid)
      header = Object.fromEntries(Object.entries(header).sort(() => random() - 0.5));
      break;
    case 12: { // the metadata changed
      const metadata = pick(random, [undefined, null, {}, { format: 'webgrad-sequential' }, { formatVersion: '1' }, { formatVersion: '3' }, { formatVersion: 2 }, { format: 'x', formatVersion: '2' }, 'x']);
      if (metadata === undefined) delete header.__metadata__;
      else header.__metadata__ = metadata as never;
      break;
    }
    default: { // the last tensor shifted, the data cut or grown to match (or not)
      const offsets = offsetsOf(target);
      if (offsets) {
        const shift = pick(random, [4, 8, -4]);
        entryOf(target)!.data_offsets = [offsets[0] + shift, offsets[1] + shift];
        if (random() < 0.5) data = shift > 0 ? Uint8Array.from([...data, ...new Uint8Array(shift)]) : data.slice(0, shift);
      }
    }
  }
  // Padding spaces after the JSON are allowed (the reference writer aligns with them).
  return joinFile((text ?? JSON.stringify(header)) + ' '.repeat(below(random, 3) === 0 ? below(random, 9) : 0), data);
}

const MUTATIONS = [flipBit, flipBit, truncate, editLength, editData, editHeader, editHeader, editHeader, editHeader];

/** The weights the file holds for the model, in model order, by the independent reader; null if it must be refused. */
function expectedWeights(bytes: Uint8Array, positionNames: string[], layerNames: string[], shapes: number[][]): number[][] | null {
  let parsed;
  try {
    parsed = parseSafetensors(bytes);
  } catch {
    return null;
  }
  // Files with formatVersion ≥ 2 in their metadata name weights by position, older ones by layer name.
  const prefixes = [...new Set(positionNames.map((name) => name.split('/')[0]))];
  const byPosition = Number(parsed.metadata?.formatVersion ?? 1) >= 2;
  const names = byPosition ? positionNames : positionNames.map((name) => {
    const [prefix, ...rest] = name.split('/');
    return [layerNames[prefixes.indexOf(prefix)], ...rest].join('/');
  });
  if (parsed.tensors.length !== names.length) return null;
  const byName = new Map(parsed.tensors.map((t) => [t.name, t]));
  const found = names.map((name, i) => {
    const t = byName.get(name);
    return t && t.dtype === 'F32' && JSON.stringify(t.shape) === JSON.stringify(shapes[i]) ? Array.from(t.values) : null;
  });
  return found.every((w) => w !== null) ? found as number[][] : null;
}

describe('fuzzed weight files', () => {
  it(`${CASES} seeded mutations: each loads exactly what the file holds or throws a ModelFormatError leaving the model bit-identical; nothing leaks`, async () => {
    const random = mulberry32(20261206);
    const files: Uint8Array[] = [];
    for (let i = 0; i < CASES; i++) {
      let bytes = saved.bytes;
      for (let k = 1 + below(random, 3); k > 0; k--) bytes = pick(random, MUTATIONS)(bytes, random);
      files.push(bytes);
    }
    const weights = saved.modelJson.weights as { name: string; shape: number[] }[];
    const layerNames = (saved.modelJson.layers as { config: { name: string } }[]).map((layer) => layer.config.name);
    const expectations = files.map((file) => expectedWeights(file, weights.map((w) => w.name), layerNames, weights.map((w) => w.shape)));
    const { outcomes } = await gpu.run(loadWeightsCases, { saved, files, expectLoad: expectations.map((e) => e !== null) });
    const problems: string[] = [];
    let loaded = 0;
    outcomes.forEach((outcome, i) => {
      const expected = expectations[i];
      if (outcome.leakedTensors !== 0 || outcome.leakedBytes !== 0) problems.push(`case ${i}: leaked ${outcome.leakedTensors} tensors, ${outcome.leakedBytes} bytes`);
      if (expected === null) {
        if (!outcome.error?.startsWith('ModelFormatError: ')) problems.push(`case ${i}: expected a ModelFormatError, got ${outcome.error ?? 'a load'}`);
        if (!outcome.unchanged) problems.push(`case ${i}: the failed load changed the model (${outcome.error})`);
      } else {
        loaded++;
        if (outcome.error !== null) problems.push(`case ${i}: the reader accepts the file but loadWeights threw ${outcome.error}`);
        else {
          try {
            expect(outcome.weights).toEqual(expected);
          } catch {
            problems.push(`case ${i}: loaded weights differ from the file's`);
          }
        }
      }
    });
    expect(problems.slice(0, 10)).toEqual([]);
    // The mutations must exercise both sides: files that still load, and many that must not.
    expect(loaded).toBeGreaterThan(CASES / 20);
    expect(CASES - loaded).toBeGreaterThan(CASES / 2);
    console.log(`fuzz: ${CASES} cases, ${loaded} loaded, ${CASES - loaded} refused`);
  }, 60_000);

  it(`${JSON_CASES} seeded edits of the model JSON: each loads the file's weights or throws a ModelFormatError; nothing leaks`, async () => {
    const random = mulberry32(7);
    const odd: unknown[] = [...ODD_VALUES, Number.NaN, Infinity, -3, 1e9, 0.5, 'relu', 'same', 'Dense', 'constructor', '__proto__', [3, 3], [-3, 3], { units: 1 }];
    const cases = Array.from({ length: JSON_CASES }, () => {
      const json = structuredClone(saved.modelJson) as Record<string, unknown>;
      for (let k = 1 + below(random, 2); k > 0; k--) {
        // A random object or array inside the JSON, then one of its keys set, deleted or added.
        let node: Record<string, unknown> = json;
        for (let depth = below(random, 5); depth > 0; depth--) {
          const children = Object.values(node).filter((v) => typeof v === 'object' && v !== null) as Record<string, unknown>[];
          if (children.length === 0) break;
          node = pick(random, children);
        }
        const keys = Object.keys(node);
        const roll = random();
        if (roll < 0.6 && keys.length > 0) node[pick(random, keys)] = pick(random, odd);
        else if (roll < 0.8 && keys.length > 0) delete node[pick(random, keys)];
        else Object.defineProperty(node, pick(random, ['__proto__', 'constructor', 'units', 'extra', 'kernelSize']), { value: pick(random, odd), enumerable: true, writable: true, configurable: true });
      }
      return { modelJson: json, bytes: saved.bytes };
    });
    const outcomes = await gpu.run(loadModelCases, cases);
    const file = parseSafetensors(saved.bytes);
    const fileWeights = (saved.modelJson.weights as { name: string }[]).map(({ name }) => Array.from(file.tensors.find((t) => t.name === name)!.values));
    const problems: string[] = [];
    let loaded = 0;
    outcomes.forEach((outcome, i) => {
      if (outcome.leakedTensors !== 0 || outcome.leakedBytes !== 0) problems.push(`case ${i}: leaked ${outcome.leakedTensors} tensors, ${outcome.leakedBytes} bytes`);
      if (outcome.error === null) {
        loaded++;
        if (JSON.stringify(outcome.weights) !== JSON.stringify(fileWeights)) problems.push(`case ${i}: loaded weights differ from the file's`);
      } else if (!outcome.error.startsWith('ModelFormatError: ')) {
        problems.push(`case ${i}: ${outcome.error} for ${JSON.stringify(cases[i].modelJson).slice(0, 300)}`);
      }
    });
    expect(problems.slice(0, 10)).toEqual([]);
    expect(loaded).toBeGreaterThan(JSON_CASES / 50);
    console.log(`fuzz: ${JSON_CASES} model JSON edits, ${loaded} loaded, ${JSON_CASES - loaded} refused`);
  }, 60_000);
});
