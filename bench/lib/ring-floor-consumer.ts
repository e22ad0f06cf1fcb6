/**
 * The consumer thread of the ring floor (ring-floor.ts): every `intervalMillis`, counts each published record into
 * flat arrays indexed by tenant and route, then hands the slots back. Answers 'stop' with the records consumed.
 */
import { parentPort, workerData } from 'node:worker_threads';
import {
  FLOOR_HEADER_BYTES,
  FLOOR_READ_SLOT,
  FLOOR_RECORD_FLOATS,
  FLOOR_RECORD_WORDS,
  FLOOR_ROUTE,
  FLOOR_SECONDS_FLOAT,
  FLOOR_TENANT,
  FLOOR_WRITE_SLOT,
} from './ring-floor-layout.js';

const { buffer, capacity, intervalMillis } = workerData as { buffer: SharedArrayBuffer; capacity: number; intervalMillis: number };
const header = new Int32Array(buffer, 0, FLOOR_HEADER_BYTES / 4);
const words = new Uint32Array(buffer, FLOOR_HEADER_BYTES);
const floats = new Float64Array(buffer, FLOOR_HEADER_BYTES);
/** Cells: 1,024 tenants × 32 routes (the bench has 1,000 and 20); more wrap, which the floor does not mind. */
const CELLS = 1024 * 32;
const BUCKETS = 24;
const counts = new Float64Array(CELLS * BUCKETS);
const durationSums = new Float64Array(CELLS);
let readIndex = 0;
let consumed = 0;

function drain(): void {
  const published = Atomics.load(header, FLOOR_WRITE_SLOT);
  for (; readIndex !== published; readIndex = (readIndex + 1) | 0) {
    const slot = readIndex & (capacity - 1);
    const word = slot * FLOOR_RECORD_WORDS;
    const cell = ((words[word + FLOOR_TENANT] & 1023) << 5) | (words[word + FLOOR_ROUTE] & 31);
    const seconds = floats[slot * FLOOR_RECORD_FLOATS + FLOOR_SECONDS_FLOAT];
    const micros = seconds * 1e6;
    const bucket = micros < 1 ? 0 : Math.min(BUCKETS - 1, Math.floor(Math.log2(micros)));
    counts[cell * BUCKETS + bucket]++;
    durationSums[cell] += seconds;
    consumed++;
  }
  // Hand the slots back only once they are read.
  Atomics.store(header, FLOOR_READ_SLOT, readIndex);
}

const timer = setInterval(drain, intervalMillis);
parentPort?.on('message', () => {
  clearInterval(timer);
  drain();
  parentPort?.postMessage({ consumed });
});
