// Shrinks shipped WGSL: scripts/build.mjs runs every .wgsl through this for dist/webgrad.js.
// @ts-check

/**
 * WGSL without its `//` comments and blank lines; the code is kept byte for byte, less the spaces
 * before a comment that ends a line. WGSL has no string literals, so `//` always starts a comment. Block comments nest and may hold `//`, so a
 * line-wise strip could cut one open: refuse them rather than ship a broken kernel.
 * @param {string} source
 * @param {string} file
 */
export function stripWgslComments(source, file) {
  if (source.includes('/*')) throw new Error(`${file}: block comments (/* */) are not stripped by scripts/build.mjs; use // comments`);
  const kept = [];
  for (const line of source.split('\n')) {
    const start = line.indexOf('//');
    const code = start === -1 ? line : line.slice(0, start).trimEnd();
    if (code.trim() !== '') kept.push(code);
  }
  // Kernels are concatenated from several files (helpers prepended): end on a newline.
  return `${kept.join('\n')}\n`;
}

// Whitespace only separates tokens in WGSL (no string literals, newlines end nothing): a run of it
// can go unless it stands between two characters that would then fuse into another token: two
// word characters (`fn main`, `let x`) or two operator characters (`a - -b` must not become the
// decrement `--`, `> >` must stay two tokens). Template lists are found the same with or without
// blankspace before `<` (WGSL's template-list discovery skips it), so `x < y` may become `x<y`.
// A `{{PLACEHOLDER}}` of a template (src/ops/elementwise.ts, src/optim/updateKernel.ts) becomes
// code only at run time, so the whitespace beside one is kept as one space whatever it touches.
const WORD = /[\w.]/;
const OPERATOR = /[-+*/%&|^<>=!~]/;

/**
 * WGSL without comments and with the least whitespace that keeps every token: what
 * scripts/build.mjs inlines into dist/webgrad.js. One line per file, so a compile error's line
 * number says nothing there: the readable dist/webgrad.debug.js keeps shaders as written.
 * @param {string} source
 * @param {string} file
 */
export function minifyWgsl(source, file) {
  const code = stripWgslComments(source, file).trim();
  const kept = code.replace(/\s+/g, (run, offset) => {
    const before = code[offset - 1];
    const after = code[offset + run.length];
    if (code.startsWith('}}', offset - 2) || code.startsWith('{{', offset + run.length)) return ' ';
    return (WORD.test(before) && WORD.test(after)) || (OPERATOR.test(before) && OPERATOR.test(after)) ? ' ' : '';
  });
  // Kernels are concatenated from several files (helpers prepended): end on a newline.
  return `${kept}\n`;
}
