import { DB_DURATION_BOUNDARIES, METRICS, type MetricDefinition } from '../../src/contract/metrics.js';
import { ExponentialHistogramStore } from '../../workers/aggregation/exponential-histogram-store.js';
import { MemoryBudget } from '../../workers/memory-budget.js';

/**
 * The typed-array columns an export reads, for `series` series of the shapes ringmeter exports: a counter with four
 * labels (method, route, status_code, tenant_id), an explicit histogram of 15 buckets with three (a 15-bound
 * histogram like db duration, labelled like http duration), and an exponential duration histogram with three.
 * Label values are string ids resolved through `labels`, as the worker's dictionary does.
 */
export interface EncodeFixture {
  series: number;
  startMillis: number;
  endMillis: number;
  /** Label ids per series. */
  method: Uint32Array;
  route: Uint32Array;
  status: Uint32Array;
  tenant: Uint32Array;
  /** The dictionary: id → string. */
  labels: string[];
  requests: Float64Array;
  histogram: HistogramColumns;
  exponential: ExponentialHistogramStore;
  counter: MetricDefinition;
  explicit: MetricDefinition;
  exponentialDefinition: MetricDefinition;
}

export interface HistogramColumns {
  buckets: number;
  counts: Uint32Array;
  count: Float64Array;
  sum: Float64Array;
  min: Float64Array;
  max: Float64Array;
}

/** How bench/encode runs an encoder: all of a fixture's points of one shape, into request bodies of BATCH_POINTS points. */
export type Shape = 'counter + histogram' | 'exponential histogram';
export type Encoder = (fixture: EncodeFixture, shape: Shape) => Uint8Array[];
export const BATCH_POINTS = 512;

const METHODS = ['GET', 'POST', 'PUT', 'DELETE'];
const STATUSES = ['200', '201', '404', '500', '503'];
const ROUTES = 20;
/** Values per exponential series and export: enough for a wide spread of buckets at the scale they settle at. */
const VALUES_PER_SERIES = 40;

function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

export function encodeFixture(series: number): EncodeFixture {
  const labels: string[] = [];
  const intern = (text: string) => labels.push(text) - 1;
  const methodIds = METHODS.map(intern);
  const statusIds = STATUSES.map(intern);
  const routeIds = Array.from({ length: ROUTES }, (_, i) => intern(`/api/v1/resource-${i}/:id`));
  const tenants = Math.max(1, Math.floor(series / ROUTES));
  const tenantIds = Array.from({ length: tenants }, (_, i) => intern(`tenant-${String(i).padStart(6, '0')}`));
  const random = seeded(series);
  const buckets = DB_DURATION_BOUNDARIES.length + 1;
  const fixture: EncodeFixture = {
    series,
    startMillis: 1_764_000_000_000,
    endMillis: 1_764_000_030_000,
    method: new Uint32Array(series),
    route: new Uint32Array(series),
    status: new Uint32Array(series),
    tenant: new Uint32Array(series),
    labels,
    requests: new Float64Array(series),
    histogram: {
      buckets,
      counts: new Uint32Array(series * buckets),
      count: new Float64Array(series),
      sum: new Float64Array(series),
      min: new Float64Array(series),
      max: new Float64Array(series),
    },
    exponential: new ExponentialHistogramStore(1, series, new MemoryBudget(2 ** 40), 1_764_000_000_000),
    counter: METRICS.httpRequests,
    explicit: { ...METRICS.httpDuration, boundaries: DB_DURATION_BOUNDARIES },
    exponentialDefinition: METRICS.httpDuration,
  };
  const { histogram } = fixture;
  for (let s = 0; s < series; s++) {
    fixture.method[s] = methodIds[s % METHODS.length];
    fixture.route[s] = routeIds[Math.floor(s / tenants) % ROUTES];
    fixture.status[s] = statusIds[s % STATUSES.length];
    fixture.tenant[s] = tenantIds[s % tenants];
    fixture.requests[s] = 1 + Math.floor(random() * 500);
    let count = 0;
    for (let b = 0; b < buckets; b++) {
      const n = random() < 0.5 ? Math.floor(random() * 50) : 0;
      histogram.counts[s * buckets + b] = n;
      count += n;
    }
    histogram.count[s] = count;
    histogram.sum[s] = count * 0.037;
    histogram.min[s] = 0.0004;
    histogram.max[s] = 3.2;
    const key = fixture.exponential.seriesOf(s + 1, 0, 0, fixture.startMillis);
    // Log-uniform from 1 ms to 2 s: the series settle at scale 3 (most) or 4, 93 buckets wide on average.
    for (let v = 0; v < VALUES_PER_SERIES; v++) fixture.exponential.record(key, Math.exp(Math.log(0.001) + random() * Math.log(2_000)));
    fixture.exponential.take(key);
  }
  return fixture;
}
