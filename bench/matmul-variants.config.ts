// vitest config for the matmul variant benchmark: the tests' setup (browser, static server), the bench file only.
import { defineConfig } from 'vitest/config';
import base from '../vitest.config';

export default defineConfig({ ...base, test: { ...base.test, include: ['bench/matmul-variants.bench.ts'], testTimeout: 3_600_000 } });
