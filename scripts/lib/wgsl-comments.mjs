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
