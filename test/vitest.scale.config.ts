import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';

// `npm run test:scale`: the tests of a million records or tenants (test/*.scale.test.ts). Each takes 15–20 s of a
// core, so they run in CI (.ci/run) after `npm test`, which stays under two minutes on 2 cores without them.
export default defineConfig({ ...base, test: { ...base.test, include: ['test/**/*.scale.test.ts'], exclude: [], isolate: true } });
