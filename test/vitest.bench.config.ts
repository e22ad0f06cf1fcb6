import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';

// `npm run test:bench`: the benchmark smoke test (every bench script with tiny durations). It takes about two
// minutes on 2 cores, so it runs in CI (.ci/run), not in every `npm test`.
export default defineConfig({ ...base, test: { ...base.test, include: ['test/bench/**/*.test.ts'], exclude: [], isolate: true } });
