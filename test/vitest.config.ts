import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const dist = (path: string) => fileURLToPath(new URL(`../dist/src/${path}`, import.meta.url));

// Tests exercise the compiled package (dist/), exactly what `npm pack` ships: its workers are plain JS files
// that piscina loads without any TypeScript loader.
export default defineConfig({
  resolve: {
    alias: [
      { find: /^ringmeter$/, replacement: dist('index.js') },
      { find: /^ringmeter\/internal$/, replacement: dist('internal.js') },
      { find: /^ringmeter\/hono$/, replacement: dist('hono/index.js') },
      { find: /^ringmeter\/postgres$/, replacement: dist('postgres/index.js') },
      { find: /^ringmeter\/drizzle$/, replacement: dist('drizzle/index.js') },
      { find: /^ringmeter\/pglite$/, replacement: dist('pglite/index.js') },
      { find: /^ringmeter\/pg$/, replacement: dist('pg/index.js') },
      { find: /^ringmeter\/prisma$/, replacement: dist('prisma/index.js') },
      { find: /^ringmeter\/express$/, replacement: dist('express/index.js') },
      { find: /^ringmeter\/fastify$/, replacement: dist('fastify/index.js') },
    ],
  },
  test: {
    root: fileURLToPath(new URL('..', import.meta.url)),
    include: ['test/**/*.test.ts'],
    // The benchmark smoke test, the scale tests and the long tests run on their own (npm run test:bench,
    // test:scale and test:long, all in CI: .ci/run), so that this suite stays under two minutes on 2 cores.
    exclude: ['test/bench/**', 'test/**/*.scale.test.ts', 'test/**/*.long.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // The compiled package is loaded by Node itself, as an application would load it, not transformed again by
    // Vite in every test process: that halves what each test file spends importing it.
    server: { deps: { external: [/\/dist\//] } },
    pool: 'forks',
    // Each fork runs its files one after the other without re-importing the package, Hono, the drivers and the
    // rest for every file (which took a quarter of the suite's time): every file is independent (below), and every
    // one ends what it starts (collectors, servers, pools) in its own hooks.
    isolate: false,
    // Memory bounds are asserted after a full GC.
    execArgv: ['--expose-gc'],
    // Two files at a time, one per core: most files wait on workers, exports and child processes rather than
    // compute, and every file is independent (random ports, a schema of its own per database test, its own
    // collectors). Heap assertions are per process (each fork measures its own), so they are not disturbed.
    fileParallelism: true,
    maxWorkers: 2,
  },
});
