import { HttpAggregator } from '../workers/aggregation/http-aggregator.js';
import { MemoryBudget } from '../workers/aggregation/memory-budget.js';
import { Dictionary } from '../workers/dictionary.js';
import { StringTableWriter } from '../src/strings/string-table.js';
import { RingWriter } from '../src/ring/ring-writer.js';
import { KIND_HTTP, tag, RECORD_WORDS, HEADER_BYTES } from '../src/ring/layout.js';

const table = new StringTableWriter(100_000, 10_000_000);
const tenants = Array.from({ length: 1000 }, (_, i) => table.append(`tenant-${i}`));
const routes = Array.from({ length: 20 }, (_, i) => table.append(`/r${i}/:id\u001fapi`));
const dict = new Dictionary(table.buffer, 100_000);
const agg = new HttpAggregator(dict, {
  maxSeries: 1_000_000,
  budget: new MemoryBudget(1 << 30),
  nowMillis: Date.now(),
  idleMillis: 1e12,
  tenantMetrics: true,
});
const N = Number(process.env.PROBE_RECORDS ?? 1 << 20);
const ring = new RingWriter(N);
const statuses = [200, 201, 404, 500, 503];
for (let i = 0; i < N; i++) {
  const r = (Math.random() * 20) | 0,
    t = (Math.random() * 1000) | 0,
    s = statuses[(Math.random() * 5) | 0];
  ring.writeWithByteCounts(tag(KIND_HTTP, 1, s), routes[r], tenants[t], Math.random() * 0.5, 100, 1000);
}
const words = new Uint32Array(ring.buffer, HEADER_BYTES);
const floats = new Float64Array(ring.buffer, HEADER_BYTES);
const rates: number[] = [];
const ROUNDS = Number(process.env.PROBE_ROUNDS ?? 21);
for (let round = 0; round < ROUNDS; round++) {
  const t0 = performance.now();
  const now = Date.now();
  for (let slot = 0; slot < N; slot++) agg.consume(words, floats, slot, now);
  const ms = performance.now() - t0;
  if (round > 0) rates.push(N / ms / 1000);
}
rates.sort((a, b) => a - b);
console.log(`median ${rates[rates.length >> 1].toFixed(2)} M/s, min ${rates[0].toFixed(2)}, max ${rates[rates.length - 1].toFixed(2)}`);
void RECORD_WORDS;
