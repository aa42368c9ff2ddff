// Finds import cycles among src/ modules: exits 1 listing each cycle, 0 when there are none.
// Only value imports count: `import type` and imports whose every name is `type X` are erased by
// the compiler, so they cannot order module evaluation. Run: node scripts/check-import-cycles.mjs
// @ts-check
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const IMPORT = /^\s*(import|export)\s+(type\s+)?([^;]*?)\s*from\s*['"]([^'"]+)['"]|^\s*import\s*['"]([^'"]+)['"]/gm;

/** @param {string} dir @returns {string[]} */
function sourceFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sourceFiles(join(dir, entry.name)) : /\.tsx?$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [join(dir, entry.name)] : []);
}

/** Whether an import clause brings in only types (`type` on the statement or on every name). */
function typeOnly(/** @type {string | undefined} */ typeKeyword, /** @type {string} */ clause) {
  if (typeKeyword) return true;
  const named = /^\{([\s\S]*)\}$/.exec(clause.trim());
  if (!named) return false;
  const names = named[1].split(',').map((name) => name.trim()).filter((name) => name !== '');
  return names.length > 0 && names.every((name) => name.startsWith('type '));
}

/** The .ts file a relative specifier names, or null (a shader, a package). */
function resolveImport(/** @type {string} */ from, /** @type {string} */ specifier) {
  if (!specifier.startsWith('.')) return null;
  const base = resolve(dirname(from), specifier.replace(/\.js$/, ''));
  for (const candidate of [`${base}.ts`, `${base}.tsx`, join(base, 'index.ts')]) {
    if (existsSync(candidate)) return candidate;
  }
  return null;
}

/**
 * Each set of modules that import one another (a strongly connected component of the value-import
 * graph with more than one module, or a module importing itself), as paths relative to `root`,
 * sorted; the list sorted by its first path.
 * @param {string} root the repository root
 * @returns {string[][]}
 */
export function findImportCycles(root) {
  const files = sourceFiles(join(root, 'src'));
  /** @type {Map<string, string[]>} */
  const edges = new Map();
  for (const file of files) {
    const targets = [];
    for (const match of readFileSync(file, 'utf8').matchAll(IMPORT)) {
      if (match[5] === undefined && typeOnly(match[2], match[3])) continue;
      const target = resolveImport(file, match[4] ?? match[5]);
      if (target) targets.push(target);
    }
    edges.set(file, targets);
  }
  // Tarjan's algorithm.
  let counter = 0;
  /** @type {Map<string, number>} */ const index = new Map();
  /** @type {Map<string, number>} */ const low = new Map();
  /** @type {string[]} */ const stack = [];
  const onStack = new Set();
  /** @type {string[][]} */ const cycles = [];
  const visit = (/** @type {string} */ file) => {
    index.set(file, counter);
    low.set(file, counter++);
    stack.push(file);
    onStack.add(file);
    for (const target of edges.get(file) ?? []) {
      if (!index.has(target)) {
        visit(target);
        low.set(file, Math.min(/** @type {number} */ (low.get(file)), /** @type {number} */ (low.get(target))));
      } else if (onStack.has(target)) {
        low.set(file, Math.min(/** @type {number} */ (low.get(file)), /** @type {number} */ (index.get(target))));
      }
    }
    if (low.get(file) !== index.get(file)) return;
    const component = [];
    let member;
    do {
      member = /** @type {string} */ (stack.pop());
      onStack.delete(member);
      component.push(member);
    } while (member !== file);
    if (component.length > 1 || (edges.get(file) ?? []).includes(file)) {
      cycles.push(component.map((path) => relative(root, path).split('\\').join('/')).sort());
    }
  };
  for (const file of files) if (!index.has(file)) visit(file);
  return cycles.sort((a, b) => a[0].localeCompare(b[0]));
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const cycles = findImportCycles(resolve(dirname(fileURLToPath(import.meta.url)), '..'));
  if (cycles.length === 0) {
    console.log('no import cycles among src/ modules');
  } else {
    console.error(`${cycles.length} import cycle(s) among src/ modules (value imports):`);
    for (const cycle of cycles) console.error(`  ${cycle.join(' <-> ')}`);
    process.exit(1);
  }
}
