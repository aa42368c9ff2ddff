// Checks, for every WGSL source a test page compiled, that webgrad's subset reflector
// (src/runtime/subsetReflector.ts, what the core bundle reflects its own kernels with) reads it
// exactly as wgsl_reflect does. gpu-page.ts runs it when a test file closes its page, so each
// kernel the suite generates (elementwise ones per op, input count and splat pattern, optimizer
// updates, fused kernels) is compared field by field, not a hand-picked sample.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { KernelError } from '../../src/errors';
import { signatureOf, type KernelSignature } from '../../src/runtime/reflection';
import { reflectSubset } from '../../src/runtime/subsetReflector';
import { reflectWithWgslReflect } from '../../src/runtime/wgslReflectChunk';

/**
 * Sources already found to agree, remembered across test files: wgsl_reflect takes ~40 ms a kernel
 * and most files compile the same common kernels. The key covers the source and every file the
 * outcome depends on (both reflectors and wgsl_reflect itself), so a change to any of them checks
 * everything again; only agreements are remembered.
 */
const agreedDir = join(tmpdir(), 'webgrad-reflection-agreements');
const runtimeDir = resolve(dirname(fileURLToPath(import.meta.url)), '../../src/runtime');
const reflectorVersion = createHash('sha256')
  .update(['subsetReflector.ts', 'reflection.ts', 'wgslReflectChunk.ts', 'uniforms.ts'].map((file) => readFileSync(join(runtimeDir, file), 'utf8')).join('\0'))
  .update(readFileSync(createRequire(import.meta.url).resolve('wgsl_reflect/wgsl_reflect.module.js'), 'utf8'))
  .digest('hex');
const agreementFile = (code: string): string => join(agreedDir, createHash('sha256').update(reflectorVersion).update(code).digest('hex'));

/** One `createShaderModule` call seen in the page (page.html records them). */
export interface CompiledSource { label: string; code: string }

/** A signature as plain data (the uniform fields' Map as entries), for comparing and printing. */
export function plainSignature(signature: KernelSignature): unknown {
  const uniform = signature.uniform && { ...signature.uniform, layout: { byteSize: signature.uniform.layout.byteSize, fields: [...signature.uniform.layout.fields] } };
  return { ...signature, uniform };
}

/**
 * Each source the subset reflector accepts whose signature differs from wgsl_reflect's, described.
 * A source it refuses is not webgrad's (a user's customOp, reflected by wgsl_reflect anyway), or
 * its op already failed with the refusal. `remembered: false` compares even sources that agreed before.
 */
export function reflectionMismatches(sources: readonly CompiledSource[], { remembered = true } = {}): string[] {
  const mismatches: string[] = [];
  mkdirSync(agreedDir, { recursive: true });
  for (const { label, code } of sources) {
    if (remembered && existsSync(agreementFile(code))) continue;
    let subset: unknown;
    try {
      subset = plainSignature(signatureOf(label, code, reflectSubset(label, code)));
    } catch (error) {
      if (error instanceof KernelError) continue;
      throw error;
    }
    const outcome = reflectWithWgslReflect(code);
    const full = 'failure' in outcome ? outcome.message : plainSignature(signatureOf(label, code, outcome.module));
    if (isDeepStrictEqual(subset, full)) {
      writeFileSync(agreementFile(code), '');
    } else {
      mismatches.push(`kernel '${label}':\n  subset reflector: ${JSON.stringify(subset)}\n  wgsl_reflect:     ${JSON.stringify(full)}\n  source:\n${code}`);
    }
  }
  return mismatches;
}
