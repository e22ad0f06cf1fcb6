import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';

// `npm run test:long`: the tests that take tens of seconds each whatever is done to them (test/*.long.test.ts):
// floods through real sockets measured against the memory bound and the export schedule, the demo processes, the
// packed package installed, every docs sample compiled, the dashboard in a headless browser, heap measurements of
// the worker's structures. CI (.ci/run) runs them right after `npm test`, on Node 20 and again on Node 24. A fresh
// process per file, as the scale tests and the benchmark smoke test have, one file at a time: these measure memory,
// floods and schedules, which a second heavy file beside them would disturb.
export default defineConfig({
  ...base,
  test: { ...base.test, include: ['test/**/*.long.test.ts'], exclude: [], isolate: true, maxWorkers: 1 },
});
