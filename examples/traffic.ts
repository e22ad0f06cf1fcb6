/** One request the generator sends: method, path, JSON body. */
type Call = readonly [method: string, path: string, body?: string];

interface TenantPattern {
  tenant: string;
  /** What the dashboard should show for it. */
  pattern: string;
  /** Requests per second at `seconds` since the start. */
  rate(seconds: number): number;
  /** The calls it makes, picked at random. */
  calls: readonly Call[];
}

const READ: Call = ['GET', '/api/orders'];
const ONE: Call = ['GET', '/api/orders/1'];
const BUY: Call = ['POST', '/api/orders', '{"sku":"A-1","qty":2}'];
const BAD_BUY: Call = ['POST', '/api/orders', '{"sku":"A-1","qty":0}'];
const REPORT: Call = ['GET', '/api/reports/monthly'];
const FLAKY: Call = ['GET', '/api/flaky'];
const LOGIN: Call = ['POST', '/auth/login', '{"user":"demo"}'];
const MISSING: Call = ['GET', '/nope'];
const BROWSE: readonly Call[] = [READ, READ, ONE, BUY, LOGIN];

/** Twelve tenants, each with a pattern of its own, so that every panel of the dashboard has something to tell. */
export function demoTenants(newcomerAfterSeconds: number): TenantPattern[] {
  return [
    { tenant: 'acme', pattern: 'steady', rate: () => 8, calls: BROWSE },
    { tenant: 'globex', pattern: 'bursty: 60 req/s for 3 s every 20 s', rate: (s) => (s % 20 < 3 ? 60 : 0.5), calls: BROWSE },
    { tenant: 'initech', pattern: 'heavy: reports and writes', rate: () => 20, calls: [READ, BUY, BUY, REPORT, REPORT] },
    {
      tenant: 'umbrella',
      pattern: 'error-prone: flaky upstream, refused orders',
      rate: () => 4,
      calls: [FLAKY, FLAKY, BAD_BUY, MISSING, READ],
    },
    { tenant: 'hooli', pattern: 'light', rate: () => 0.5, calls: BROWSE },
    { tenant: 'stark', pattern: 'slow: mostly reports', rate: () => 3, calls: [REPORT, REPORT, REPORT, READ] },
    { tenant: 'wayne', pattern: 'on and off: 30 s on, 30 s off', rate: (s) => (s % 60 < 30 ? 6 : 0), calls: BROWSE },
    { tenant: 'tyrell', pattern: 'write-heavy: transactions', rate: () => 6, calls: [BUY, BUY, BUY, READ] },
    { tenant: 'cyberdyne', pattern: 'growing: +1 req/s every 10 s, up to 15', rate: (s) => Math.min(15, 1 + s / 10), calls: BROWSE },
    { tenant: 'soylent', pattern: 'light, read-only', rate: () => 1, calls: [READ, ONE] },
    { tenant: 'wonka', pattern: 'database errors: refused orders', rate: () => 2, calls: [BAD_BUY, BAD_BUY, BUY, READ] },
    {
      tenant: 'oscorp',
      pattern: `newcomer: appears after ${newcomerAfterSeconds} s`,
      rate: (s) => (s < newcomerAfterSeconds ? 0 : 5),
      calls: BROWSE,
    },
  ];
}

/** Requests in flight beyond this are not sent (counted in `shed`): the generator never swamps the demo. */
const MAX_IN_FLIGHT = 64;
const TICK_MILLIS = 100;

/**
 * Sends each tenant's requests at its own rate to the demo API, on a 100 ms tick: a tenant's rate adds credit
 * each tick, and each whole unit of credit is one request (so 0.5 req/s is one request every two seconds).
 */
export class TrafficGenerator {
  sent = 0;
  failed = 0;
  shed = 0;
  private readonly credit: number[];
  private readonly inFlight = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private started = 0;

  /** `rateScale` multiplies every tenant's rate (2: twice the requests, in the same patterns). */
  constructor(
    private readonly base: string,
    private readonly tenants: readonly TenantPattern[],
    private readonly rateScale = 1,
    private readonly random: () => number = Math.random,
  ) {
    this.credit = tenants.map(() => 0);
  }

  start(): void {
    this.started = performance.now();
    this.timer = setInterval(() => this.tick(), TICK_MILLIS);
  }

  /** Stops sending and waits for the requests in flight. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await Promise.all(this.inFlight);
  }

  private tick(): void {
    const seconds = (performance.now() - this.started) / 1000;
    this.tenants.forEach((tenant, index) => {
      this.credit[index] += (tenant.rate(seconds) * this.rateScale * TICK_MILLIS) / 1000;
      for (; this.credit[index] >= 1; this.credit[index]--) {
        if (this.inFlight.size >= MAX_IN_FLIGHT) {
          this.shed++;
          continue;
        }
        const call = tenant.calls[Math.floor(this.random() * tenant.calls.length)];
        const request = this.send(tenant.tenant, call);
        this.inFlight.add(request);
        void request.finally(() => this.inFlight.delete(request));
      }
    });
  }

  private async send(tenant: string, [method, path, body]: Call): Promise<void> {
    this.sent++;
    try {
      const response = await fetch(this.base + path, {
        method,
        body,
        headers: { 'x-tenant-id': tenant, 'content-type': 'application/json' },
      });
      await response.arrayBuffer();
    } catch {
      this.failed++;
    }
  }
}
