// Where the repository is and how to build the bundle, for the scripts that serve or run demos.
// @ts-check
import { execFileSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Runs scripts/build.mjs (dist/webgrad.js and its types); throws if the build fails. */
export function buildBundle() {
  execFileSync(process.execPath, [join(repoRoot, 'scripts', 'build.mjs')], { cwd: repoRoot, stdio: 'inherit' });
}
