// The shipped bundle carries every shader without its comments (scripts/lib/wgsl-comments.mjs).
// Here the stripped text is compared with the source by a different route: the source with every
// `//…` run cut out by one regular expression over the whole file, then both split into
// whitespace-separated tokens. Same tokens in the same order means the code is unchanged (WGSL has
// no string literals, so whitespace only separates tokens). That every stripped shader compiles is
// checked by the GPU tests, which load dist/webgrad.js, the minified bundle that ships.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stripWgslComments } from '../../scripts/lib/wgsl-comments.mjs';
import { repoRoot } from './packed-project';

function wgslFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? wgslFiles(join(dir, entry.name)) : entry.name.endsWith('.wgsl') ? [join(dir, entry.name)] : []);
}

const tokens = (text: string): string[] => text.split(/\s+/).filter((token) => token !== '');

describe('WGSL comment stripping', () => {
  const files = wgslFiles(join(repoRoot, 'shaders'));

  it('finds the shaders', () => {
    expect(files.length).toBeGreaterThan(30);
  });

  it.each(files.map((file) => [relative(repoRoot, file), file]))('%s keeps its code, loses its comments and blank lines', (name, file) => {
    const source = readFileSync(file, 'utf8');
    const stripped = stripWgslComments(source, name);
    expect(tokens(stripped)).toEqual(tokens(source.replace(/\/\/[^\n]*/g, ' ')));
    expect(stripped).not.toContain('//');
    expect(stripped.split('\n').slice(0, -1).filter((line) => line.trim() === '')).toEqual([]);
    expect(stripped.endsWith('\n')).toBe(true);
    // Lines without a comment come through byte for byte.
    const plainLines = source.split('\n').filter((line) => !line.includes('//') && line.trim() !== '');
    const strippedLines = new Set(stripped.split('\n'));
    expect(plainLines.filter((line) => !strippedLines.has(line))).toEqual([]);
  });

  it('refuses block comments instead of cutting one open', () => {
    expect(() => stripWgslComments('/* a // b */\nfn f() {}\n', 'x.wgsl')).toThrow(/x\.wgsl: block comments/);
  });

  it('keeps code before a trailing comment', () => {
    expect(stripWgslComments('// what it computes\n\nlet a = 1; // why\n  let b = a / 2;\n', 'y.wgsl')).toBe('let a = 1;\n  let b = a / 2;\n');
  });
});
