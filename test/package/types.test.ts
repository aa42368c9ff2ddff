// The published types from a consumer's side: a strict project with skipLibCheck off (so every
// .d.ts of ours is checked, not only what the consumer touches) and noUncheckedIndexedAccess,
// under moduleResolution bundler (Vite, esbuild) and NodeNext (Node's own ESM resolution, which
// wants explicit '.js' specifiers). tsc is the repository's own TypeScript.
import { writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packAndInstall, type PackedProject } from './packed-project';

const tscPath = createRequire(import.meta.url).resolve('typescript/bin/tsc');

// Touches the API a user starts with, GPU types included, and the logs of fit/evaluate.
const consumerSource = `
import * as wg from 'webgrad';
import { Sequential, layers, type Logs, type Tensor } from 'webgrad';

export async function train(): Promise<number> {
  await wg.init();
  const x: Tensor = wg.tensor([[0, 0], [0, 1], [1, 0], [1, 1]]);
  const y = wg.tensor([[0], [1], [1], [0]]);
  const model = new Sequential([new layers.Dense(4, { activation: 'tanh', inputShape: [2] }), new layers.Dense(1, { activation: 'sigmoid' })]);
  model.compile({ optimizer: 'adam', loss: 'binary_crossentropy', metrics: ['accuracy'] });
  let lastLoss = 0;
  const history = await model.fit(x, y, {
    epochs: 2,
    callbacks: [{ onEpochEnd: (_epoch: number, logs: Logs) => { lastLoss = logs.loss; } }],
  });
  const evaluated: Logs = await model.evaluate(x, y);
  const losses: number[] = history.history.loss ?? [];
  const buffer: GPUBuffer = wg.add(x, 1).buffer;
  buffer.size.toFixed();
  return evaluated.loss + lastLoss + losses.length;
}
`;

function tsconfig(moduleResolution: 'bundler' | 'nodenext'): object {
  return {
    compilerOptions: {
      target: 'ES2022',
      module: moduleResolution === 'bundler' ? 'ESNext' : 'NodeNext',
      moduleResolution,
      lib: ['ES2022', 'DOM'],
      strict: true,
      noUncheckedIndexedAccess: true,
      skipLibCheck: false,
      noEmit: true,
    },
    files: ['consumer.ts'],
  };
}

describe('published types in a consumer project', () => {
  let packed: PackedProject;
  beforeAll(async () => {
    packed = await packAndInstall();
    await writeFile(join(packed.projectDir, 'consumer.ts'), consumerSource);
  });
  afterAll(async () => { await packed?.cleanup(); });

  it.each(['bundler', 'nodenext'] as const)('pass strict tsc with skipLibCheck false and noUncheckedIndexedAccess, moduleResolution %s', async (resolution) => {
    const config = `tsconfig.${resolution}.json`;
    await writeFile(join(packed.projectDir, config), JSON.stringify(tsconfig(resolution)));
    const output = await packed.exec(process.execPath, [tscPath, '-p', config]).catch((error: { stdout?: string }) => error.stdout ?? String(error));
    expect(output).toBe('');
  });
});
