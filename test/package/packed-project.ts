// Packs the repository as `npm publish` would (the dist/ that `npm test` just built) and installs
// the tarball into a fresh project in a temp dir, offline, as a user's `npm install webgrad` would.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** One entry of `npm pack --json`. */
interface PackReport {
  filename: string;
  size: number;
  unpackedSize: number;
  files: { path: string; size: number }[];
}

export interface PackedProject {
  /** The tarball's report: file list, packed (gzipped tarball) and unpacked sizes. */
  pack: PackReport;
  /** A project with the tarball installed: node_modules/webgrad. */
  projectDir: string;
  /** Runs a command in the project; resolves to its stdout. */
  exec(command: string, args: string[]): Promise<string>;
  cleanup(): Promise<void>;
}

/** `npm pack` into a temp dir, then `npm install --offline` of the tarball into a new project there. */
export async function packAndInstall(): Promise<PackedProject> {
  const root = await mkdtemp(join(tmpdir(), 'webgrad-pack-'));
  try {
    // --ignore-scripts: pack the dist/ already built instead of rebuilding it under tests that are
    // loading it in the browser.
    const { stdout } = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', root], { cwd: repoRoot });
    const pack = (JSON.parse(stdout) as PackReport[])[0];
    if (!pack) throw new Error(`npm pack reported nothing: ${stdout}`);
    const projectDir = join(root, 'consumer');
    await run('mkdir', [projectDir]);
    await writeFile(join(projectDir, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
    const exec = async (command: string, args: string[]): Promise<string> => (await run(command, args, { cwd: projectDir })).stdout;
    // webgrad's one dependency, @webgpu/types (types only), packed from our own node_modules so the
    // install needs no registry.
    const { stdout: typesPack } = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', root, join(repoRoot, 'node_modules', '@webgpu', 'types')], { cwd: root });
    const typesTarball = (JSON.parse(typesPack) as PackReport[])[0]?.filename ?? '';
    await exec('npm', ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', join(root, pack.filename), join(root, typesTarball)]);
    return { pack, projectDir, exec, cleanup: () => rm(root, { recursive: true, force: true }) };
  } catch (error) {
    await rm(root, { recursive: true, force: true });
    throw error;
  }
}
