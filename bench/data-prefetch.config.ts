// vitest config for the streaming-data benchmark: the tests' setup (browser, static server), the bench file only.
import { defineConfig } from 'vitest/config';
import base from '../vitest.config';

export default defineConfig({ ...base, test: { ...base.test, include: ['bench/data-prefetch.bench.ts'], testTimeout: 600_000 } });
