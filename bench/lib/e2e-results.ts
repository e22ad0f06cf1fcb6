/** What bench/http-e2e.ts measures per variant and in its sustained run: shared by its tables and report. */

/** CPU per request in one round, µs (main undefined off Linux). */
export interface RoundCpu {
  main: number | undefined;
  worker: number;
  process: number;
}

export interface E2eVariantResult {
  name: string;
  /** The variant the ratio is taken against (its group's first). */
  baseline: string;
  /** Tenants the group's requests name (results saved before 2026-12-07: 1,000, absent). */
  tenants?: number;
  requestsPerSecond: { median: number; min: number; max: number };
  /** Median over rounds of requests/s ÷ the baseline's, within each round. */
  ratioToBare: number;
  /** That ratio in each round, in round order (paired comparisons between variants use these). */
  roundRatios: number[];
  p50Millis: number;
  p99Millis: number;
  /** Median over rounds of p99 ÷ the baseline's p99, within each round. */
  p99RatioToBare?: number;
  /**
   * Main-thread CPU per request, µs (Linux), and the whole process's: all the rounds' CPU over all their requests, so
   * that an export (every 30 s: about one in the whole run's windows) counts at its share, where a median over
   * rounds would leave it out.
   */
  mainCpuMicrosPerRequest: number | undefined;
  processCpuMicrosPerRequest: number;
  /** The busiest other thread's CPU per request, µs (Linux): ringmeter's worker where there is one. */
  workerCpuMicrosPerRequest: number;
  /** CPU per request in each round, in round order (the paired gaps to the empty middleware use these). */
  roundCpu?: RoundCpu[];
}

export interface SustainedResult {
  seconds: number;
  served: number;
  exportedHttpRequests: number;
  ringDropped: number;
  requestsPerSecond: number;
  heapUsedBeforeMiB: number;
  heapUsedAfterMiB: number;
  rssBeforeMiB: number;
  rssAfterMiB: number;
  /** Mean of the app_cpu_usage_percent gauges ringmeter exported during the run. */
  cpuPercent: { process: number; main: number; metricsWorker: number };
}
