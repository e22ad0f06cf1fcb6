/** Every benchmark script `npm run bench` runs, in order (each is bench/<name>.ts, run in its own process). */
export const BENCHMARKS = [
  'record-call',
  'hono-overhead',
  'node-server-overhead',
  'framework-overhead',
  'http-e2e',
  'idle-cost',
  'process-instructions',
  'aggregation',
  'series-memory',
  'export',
  'encode',
  'postgres-overhead',
  'pg-overhead',
] as const;
