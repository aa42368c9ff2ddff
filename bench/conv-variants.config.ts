// vitest config for the convolution plan benchmark: the tests' setup (browser, static server), the bench file only.
import { defineConfig } from 'vitest/config';
import base from '../vitest.config';

export default defineConfig({ ...base, test: { ...base.test, include: ['bench/conv-variants.bench.ts'], testTimeout: 1_800_000 } });
