// The shipped bundle carries every shader without its comments (scripts/lib/wgsl-comments.mjs).
// Here the stripped text is compared with the source by a different route: the source with every
// `//…` run cut out by one regular expression over the whole file, then both split into
// whitespace-separated tokens. Same tokens in the same order means the code is unchanged (WGSL has
// no string literals, so whitespace only separates tokens). The minified text (whitespace cut too)
// is compared token by token with the source under WGSL's longest-match tokenizing, written here
// as one regular expression, so a cut that fused two tokens (`- -` into `--`) would show. That every
// shipped shader compiles is checked by the GPU tests, which load dist/webgrad.js, the minified
// bundle that ships.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { minifyWgsl, stripWgslComments } from '../../scripts/lib/wgsl-comments.mjs';
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

// WGSL's tokens, longest match first (WGSL spec, "Tokens"): template placeholders ({{NAME}}, filled at
// run time), identifiers, numeric literals with suffixes, the multi-character operators, then any
// single character.
const WGSL_TOKEN = /\{\{\w+\}\}|[A-Za-z_]\w*|0[xX][\da-fA-F]+[iuhf]?|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?[iuhf]?|->|&&|\|\||==|!=|<<=|>>=|<=|>=|<<|>>|\+\+|--|[-+*/%&|^]=|\S/g;
const wgslTokens = (text: string): string[] => text.replace(/\/\/[^\n]*/g, ' ').match(WGSL_TOKEN) ?? [];

describe('WGSL minifying', () => {
  const files = wgslFiles(join(repoRoot, 'shaders'));

  it.each(files.map((file) => [relative(repoRoot, file), file]))('%s keeps every token and the spaces that separate them', (name, file) => {
    const source = readFileSync(file, 'utf8');
    const minified = minifyWgsl(source, name);
    expect(wgslTokens(minified)).toEqual(wgslTokens(source));
    // One line of code, single spaces only, shorter than the comment-stripped text.
    expect(minified.slice(0, -1)).not.toMatch(/\s\s|[\n\t]/);
    expect(minified.length).toBeLessThan(stripWgslComments(source, name).length);
  });

  it('keeps a space where cutting it would fuse two tokens, and beside a template placeholder', () => {
    expect(minifyWgsl('let a = b - -c;\nlet d = array<vec4<f32> >();\n', 'z.wgsl')).toBe('let a=b- -c;let d=array<vec4<f32> >();\n');
    expect(minifyWgsl('fn f() -> {{OUTPUT}} {\n  {{BODY}}\n}\n', 'z.wgsl')).toBe('fn f()-> {{OUTPUT}} { {{BODY}} }\n');
  });
});
