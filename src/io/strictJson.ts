// JSON.parse keeps the last of two equal keys silently; a file with a duplicated tensor name or
// config key would then load half of what it says. This parses and refuses duplicates at any depth.
import { ModelFormatError } from '../errors';

/** Parses `text` as JSON; a syntax error or a key repeated within one object is a ModelFormatError. */
export function parseStrictJson(text: string, what: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ModelFormatError(`${what} is not valid JSON (${(error as Error).message})`);
  }
  const duplicate = findDuplicateKey(text);
  if (duplicate !== null) throw new ModelFormatError(`${what} names the key ${JSON.stringify(duplicate)} twice in one object`);
  return value;
}

/**
 * The first key that appears twice in one object of `text`, which must be valid JSON. A single
 * pass: a stack of the keys seen per open object; a string right after '{' or an object's ','
 * is a key.
 */
function findDuplicateKey(text: string): string | null {
  const open: (Set<string> | null)[] = []; // a Set per open object, null per open array
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '{') {
      open.push(new Set());
      expectKey = true;
    } else if (c === '[') {
      open.push(null);
    } else if (c === '}' || c === ']') {
      open.pop();
    } else if (c === ',') {
      expectKey = open[open.length - 1] instanceof Set;
    } else if (c === '"') {
      let end = i + 1;
      while (text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
      if (expectKey) {
        const key = JSON.parse(text.slice(i, end + 1)) as string;
        const keys = open[open.length - 1] as Set<string>;
        if (keys.has(key)) return key;
        keys.add(key);
        expectKey = false;
      }
      i = end;
    }
  }
  return null;
}
