import cluster, { type Worker } from 'node:cluster';
import { fileURLToPath } from 'node:url';
import type { CollectorStats } from 'ringmeter';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pointsNamed, total, valuesByLabels } from './support/harness.js';
import { OtlpReceiver, type ReceivedPoint } from './support/otlp-receiver.js';

// A fleet of three processes under node:cluster, each with its own collector and worker, exporting to one
// receiver: what a backend gets from each process must be exact, carry that process's own service.instance.id,
// and add up to the fleet's totals. The test process is the cluster primary; test/fixtures/fleet-member.mjs is
// each member. Every process stays far below the default ring capacity (16,384), so nothing can be dropped.

const fixture = fileURLToPath(new URL('./fixtures/fleet-member.mjs', import.meta.url));
const PROCESSES = 3;
/** Generous: three processes start, each with a worker thread, on a shared 2-core machine; a run takes ~1.5 s. */
const FLEET_DEADLINE_MILLIS = 45_000;

interface Batch {
  tenant: string;
  count: number;
  statusCode: number;
  durationSeconds: number;
}

/** Process i's records: its own tenant and a tenant every process shares, some of them 5xx. */
function phasesOf(i: number): Batch[][] {
  const early = [
    { tenant: `tenant-${i}`, count: 1_000 + 250 * i, statusCode: 200, durationSeconds: 0.01 * (i + 1) },
    { tenant: 'shared', count: 600, statusCode: 200, durationSeconds: 0.02 },
    { tenant: 'shared', count: 50 * (i + 1), statusCode: 503, durationSeconds: 0.5 },
  ];
  const late = [
    { tenant: `tenant-${i}`, count: 300, statusCode: 500, durationSeconds: 0.1 },
    { tenant: 'shared', count: 400, statusCode: 200, durationSeconds: 0.02 },
  ];
  return [early, late];
}

/** The http_requests_total series a batch list gives, keyed as valuesByLabels keys them. */
function expectedRequests(batches: Batch[]): Record<string, number> {
  const result: Record<string, number> = {};
  for (const { tenant, count, statusCode } of batches) {
    const key = `method=GET,route=/fleet/:id,status_code=${statusCode},tenant_id=${tenant}`;
    result[key] = (result[key] ?? 0) + count;
  }
  return result;
}

type Report = { type: 'done'; stats: CollectorStats } | { type: 'failed'; error: string };

/** Forks one member and resolves with its report once it has exited; rejects if it fails or exits without one. */
function runMember(worker: Worker): Promise<CollectorStats> {
  return new Promise((resolve, reject) => {
    let report: Report | undefined;
    worker.on('message', (message: Report) => {
      report = message;
    });
    worker.once('exit', (code, signal) => {
      if (report?.type === 'done' && code === 0) resolve(report.stats);
      else if (report?.type === 'failed') reject(new Error(`fleet member ${worker.id} failed: ${report.error}`));
      else reject(new Error(`fleet member ${worker.id} exited (code ${code}, signal ${signal}) without a report`));
    });
  });
}

describe('a fleet of 3 processes under node:cluster, one receiver', () => {
  const receiver = new OtlpReceiver();
  /** Per member: its pid, planned records and final stats. */
  const members: { pid: number; batches: Batch[]; stats: CollectorStats }[] = [];

  beforeAll(async () => {
    await receiver.start();
    // execArgv: the members need none of the test runner's flags.
    cluster.setupPrimary({ exec: fixture, execArgv: [], args: [] });
    const workers = Array.from({ length: PROCESSES }, (_, i) =>
      cluster.fork({ FLEET_PLAN: JSON.stringify({ endpoint: receiver.url, phases: phasesOf(i) }) }),
    );
    let timer: NodeJS.Timeout | undefined;
    // A member that hangs fails the test with this message, and the finally below still ends every member.
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the fleet did not finish within ${FLEET_DEADLINE_MILLIS} ms`)), FLEET_DEADLINE_MILLIS);
    });
    try {
      const stats = await Promise.race([Promise.all(workers.map(runMember)), deadline]);
      workers.forEach((worker, i) => {
        members.push({ pid: worker.process.pid as number, batches: phasesOf(i).flat(), stats: stats[i] });
      });
    } finally {
      clearTimeout(timer);
      for (const worker of workers) if (!worker.isDead()) worker.process.kill('SIGKILL');
    }
  }, 60_000);

  afterAll(() => receiver.stop());

  /** The points one member exported, told apart by the process.pid resource attribute it set. */
  const pointsOf = (pid: number): ReceivedPoint[] =>
    receiver.accepted.filter((request) => request.resource['process.pid'] === pid).flatMap((request) => request.points);

  it('every member wrote all its records into its ring and dropped none', () => {
    for (const { batches, stats } of members) {
      expect(stats.ring.written).toBe(batches.reduce((sum, batch) => sum + batch.count, 0));
      expect(stats.ring.dropped).toBe(0);
      expect(stats.rejected).toBe(0);
      expect(stats.export.failed).toBe(0);
    }
  });

  it('every export request comes from one of the members, and each member has its own service.instance.id', () => {
    const pids = members.map((member) => member.pid);
    for (const request of receiver.accepted) {
      expect(pids).toContain(request.resource['process.pid']);
      expect(request.resource['service.name']).toBe('ringmeter-fleet');
    }
    const idsByPid = new Map(pids.map((pid) => [pid, new Set<unknown>()]));
    for (const request of receiver.accepted)
      idsByPid.get(request.resource['process.pid'] as number)?.add(request.resource['service.instance.id']);
    const ids = [...idsByPid.values()].map((set) => [...set]);
    for (const own of ids) {
      expect(own).toHaveLength(1);
      expect(own[0]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    }
    expect(new Set(ids.flat()).size).toBe(PROCESSES);
  });

  it("each member's export is exact per tenant and status, delta, with no other series", () => {
    for (const { pid, batches } of members) {
      const points = pointsOf(pid);
      expect(valuesByLabels(points, 'http_requests_total')).toEqual(expectedRequests(batches));
      expect(total(points, 'http_request_duration_seconds')).toBe(batches.reduce((sum, batch) => sum + batch.count, 0));
      expect(total(points, 'ringmeter.records.written')).toBe(batches.reduce((sum, batch) => sum + batch.count, 0));
      for (const point of points.filter((p) => p.type !== 'gauge')) expect(point.temporality, point.metric).toBe(1); // DELTA
    }
  });

  it('summed across instances, the exports give the fleet totals, and the fleet-wide ratios from the counters', () => {
    const all = members.flatMap((member) => member.batches);
    const points = receiver.points;
    expect(valuesByLabels(points, 'http_requests_total')).toEqual(expectedRequests(all));
    for (let i = 0; i < PROCESSES; i++) {
      expect(total(points, 'http_requests_total', { tenant_id: `tenant-${i}` })).toBe(1_000 + 250 * i + 300);
    }
    const shared = all.filter((batch) => batch.tenant === 'shared');
    const sharedCount = shared.reduce((sum, batch) => sum + batch.count, 0);
    expect(total(points, 'http_requests_total', { tenant_id: 'shared' })).toBe(sharedCount);

    // What docs/operations.md says to query instead of combining the per-instance gauges.
    const failed = shared.filter((batch) => batch.statusCode >= 500).reduce((sum, batch) => sum + batch.count, 0);
    const failedReceived = pointsNamed(points, 'http_requests_total')
      .filter((point) => point.attributes.tenant_id === 'shared' && Number(point.attributes.status_code) >= 500)
      .reduce((sum, point) => sum + (point.value ?? 0), 0);
    expect(failedReceived).toBe(failed);
    const histograms = pointsNamed(points, 'http_request_duration_seconds').filter((point) => point.attributes.tenant_id === 'shared');
    const durationSum = histograms.reduce((sum, point) => sum + (point.sum ?? 0), 0);
    const durationCount = histograms.reduce((sum, point) => sum + (point.count ?? 0), 0);
    const expectedSum = shared.reduce((sum, batch) => sum + batch.count * batch.durationSeconds, 0);
    expect(durationCount).toBe(sharedCount);
    expect(durationSum / durationCount).toBeCloseTo(expectedSum / sharedCount, 9);
  });
});
