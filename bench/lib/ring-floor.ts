import { Worker } from 'node:worker_threads';
import type { MiddlewareHandler } from 'hono';
import { MAX_DRAIN_INTERVAL_MILLIS } from '../../workers/drain-pacing.js';
import {
  FLOOR_HEADER_BYTES,
  FLOOR_READ_SLOT,
  FLOOR_RECORD_FLOATS,
  FLOOR_RECORD_WORDS,
  FLOOR_ROUTE,
  FLOOR_SECONDS_FLOAT,
  FLOOR_STATUS,
  FLOOR_TENANT,
  FLOOR_WRITE_SLOT,
} from './ring-floor-layout.js';

/**
 * The floor of any ring-based metrics middleware with a consumer thread, for the end-to-end benchmark: what #11's
 * "minimal ring prototype" did (raw tenant header, matched route, one 32-byte record per request, no response byte
 * counting, no waiting for the response to finish), plus the least a consumer can do (the ring drained on a timer,
 * each record counted into flat arrays: a count and a duration sum per tenant and route, one log2 bucket).
 * No collector, no string table, no OTLP, no tenant analytics, no runtime metrics. Against the empty middleware it
 * says what the design itself costs on this machine, before anything ringmeter adds to it.
 */

/** Records in the prototype's ring (a power of two): more than 50 ms of traffic at any rate the bench reaches. */
export const FLOOR_RING_CAPACITY = 1 << 16;

export interface RingFloor {
  middleware: MiddlewareHandler;
  /** Stops the consumer; resolves with the records it consumed and those the full ring dropped. */
  close(): Promise<{ consumed: number; dropped: number }>;
}

export function ringFloor(): RingFloor {
  const buffer = new SharedArrayBuffer(FLOOR_HEADER_BYTES + FLOOR_RING_CAPACITY * FLOOR_RECORD_WORDS * 4);
  const header = new Int32Array(buffer, 0, FLOOR_HEADER_BYTES / 4);
  const words = new Uint32Array(buffer, FLOOR_HEADER_BYTES);
  const floats = new Float64Array(buffer, FLOOR_HEADER_BYTES);
  const tenants = new Map<string | undefined, number>();
  const routes = new Map<string, number>();
  const mask = FLOOR_RING_CAPACITY - 1;
  let writeIndex = 0;
  /** The read index last seen: re-read only when the ring looks full, so a request reads no consumer line. */
  let readIndexSeen = 0;
  let dropped = 0;
  const consumer = new Worker(new URL('./ring-floor-consumer.js', import.meta.url), {
    workerData: { buffer, capacity: FLOOR_RING_CAPACITY, intervalMillis: MAX_DRAIN_INTERVAL_MILLIS },
  });

  const middleware: MiddlewareHandler = async function ringFloorMiddleware(c, next) {
    const start = performance.now();
    await next();
    const incoming = (c.env as { incoming: { headers: Record<string, string | undefined> } }).incoming;
    const route = c.req.matchedRoutes[c.req.routeIndex].path;
    let routeId = routes.get(route);
    if (routeId === undefined) {
      routeId = routes.size;
      routes.set(route, routeId);
    }
    const tenant = incoming.headers['x-tenant-id'];
    let tenantId = tenants.get(tenant);
    if (tenantId === undefined) {
      tenantId = tenants.size;
      tenants.set(tenant, tenantId);
    }
    // Only this thread writes the slots and the write index; the consumer writes only the read index.
    if (((writeIndex - readIndexSeen) | 0) >= FLOOR_RING_CAPACITY) {
      readIndexSeen = Atomics.load(header, FLOOR_READ_SLOT);
      if (((writeIndex - readIndexSeen) | 0) >= FLOOR_RING_CAPACITY) {
        dropped++;
        return;
      }
    }
    const slot = writeIndex & mask;
    const word = slot * FLOOR_RECORD_WORDS;
    words[word + FLOOR_STATUS] = c.res.status;
    words[word + FLOOR_ROUTE] = routeId;
    words[word + FLOOR_TENANT] = tenantId;
    floats[slot * FLOOR_RECORD_FLOATS + FLOOR_SECONDS_FLOAT] = (performance.now() - start) / 1000;
    writeIndex = (writeIndex + 1) | 0;
    // Publish after the record's stores (the consumer's Atomics.load of the index then sees them).
    Atomics.store(header, FLOOR_WRITE_SLOT, writeIndex);
  };

  return {
    middleware,
    close: async () => {
      const consumed = await new Promise<number>((resolve) => {
        consumer.once('message', (message: { consumed: number }) => resolve(message.consumed));
        consumer.postMessage('stop');
      });
      await consumer.terminate();
      return { consumed, dropped };
    },
  };
}
