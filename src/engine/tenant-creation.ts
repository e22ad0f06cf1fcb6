import type { TenantCreatedAt } from '../options/table.js';

/** Where a creation date goes: the worker of the tenant's shard (supervisor's tenantCreated). */
export type CreationSender = (id: number, tenant: string, createdMillis: number) => void;

/**
 * Asks the application's `tenantCreatedAt` for the creation date of each tenant new to this process, and hands the
 * answers to the tenant's worker, so that `onboarding` follows the tenant's creation rather than the first record
 * this process saw.
 *
 * Never on the request path: the tenant interner only notes a new tenant (one array push, on its rare miss path);
 * the calls run from a macrotask after it, so a slow, blocking or throwing function delays nothing but itself. At
 * most one call per tenant id is in flight; answers (dates and "unknown") are cached, up to `maxEntries` tenants
 * (the oldest answer goes first), so a tenant that retention forgot and that comes back is not asked again. A
 * function that throws, rejects or answers what is no date is counted in stats() / health() under
 * `tenantCreatedAt`, and the tenant keeps first-seen.
 */
export class TenantCreationDates {
  /** Tenant id → epoch ms, or NaN for "the application does not know". */
  private readonly answers = new Map<string, number>();
  private readonly asking = new Set<string>();
  private pending: Array<{ tenant: string; id: number }> = [];
  private scheduled = false;

  constructor(
    private readonly createdAt: TenantCreatedAt,
    private readonly send: CreationSender,
    private readonly failed: (error: unknown) => void,
    private readonly maxEntries: number,
  ) {}

  /** A tenant just took slot id `id`: its date is asked (or found in the cache) after the current task. */
  noteNewTenant(tenant: string, id: number): void {
    this.pending.push({ tenant, id });
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.askPending());
  }

  private askPending(): void {
    const batch = this.pending;
    this.pending = [];
    this.scheduled = false;
    for (const { tenant, id } of batch) {
      const known = this.answers.get(tenant);
      if (known !== undefined) {
        if (!Number.isNaN(known)) this.send(id, tenant, known);
      } else if (!this.asking.has(tenant)) {
        this.ask(tenant, id);
      }
    }
  }

  private ask(tenant: string, id: number): void {
    this.asking.add(tenant);
    let answer: unknown;
    try {
      answer = this.createdAt(tenant);
    } catch (error) {
      this.asking.delete(tenant);
      this.failed(error);
      return;
    }
    Promise.resolve(answer).then(
      (value) => {
        this.asking.delete(tenant);
        const millis = creationMillis(value);
        if (millis === undefined) {
          this.failed(new TypeError(`tenantCreatedAt must return a Date, epoch milliseconds or undefined (got ${describe(value)})`));
          return;
        }
        this.remember(tenant, millis);
        if (!Number.isNaN(millis)) this.send(id, tenant, millis);
      },
      (error: unknown) => {
        this.asking.delete(tenant);
        this.failed(error);
      },
    );
  }

  private remember(tenant: string, millis: number): void {
    if (this.answers.size >= this.maxEntries) {
      const oldest = this.answers.keys().next().value as string;
      this.answers.delete(oldest);
    }
    this.answers.set(tenant, millis);
  }
}

/** Epoch ms of an answer, NaN for "unknown" (undefined or null), undefined for what is no date. */
function creationMillis(value: unknown): number | undefined {
  if (value === undefined || value === null) return Number.NaN;
  const millis = value instanceof Date ? value.getTime() : typeof value === 'number' ? value : Number.NaN;
  return Number.isFinite(millis) && millis >= 0 ? millis : undefined;
}

/** The kind of a wrong answer, never its content (it could be anything the application holds). */
function describe(value: unknown): string {
  if (value instanceof Date) return 'an invalid Date';
  return typeof value === 'number' ? 'a number that is no epoch time' : `a ${typeof value}`;
}
