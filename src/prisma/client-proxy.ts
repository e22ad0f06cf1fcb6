import { EMPTY_ID } from '../contract/strings-layout.js';
import { recordEndedTransaction } from '../database/records.js';
import { reportSettlement } from '../database/settlement.js';
import type { CollectorInternals } from '../internal.js';

const HOOK = 'prismaMetrics';

/** The parts of a Prisma client the proxy touches. */
export interface PrismaClientLike {
  $transaction(...args: unknown[]): Promise<unknown>;
  $extends(extension: unknown): unknown;
}

type Method = (...args: unknown[]) => unknown;

/**
 * Wraps an extended Prisma client so that its `$transaction` calls are counted: batch (`$transaction([…])`) and
 * interactive (`$transaction(async (tx) => …)`), committed when Prisma resolves the call, rolled back when it
 * rejects (Prisma has then sent ROLLBACK, or the server aborted the COMMIT). An interactive transaction whose
 * callback never ran (BEGIN failed, or no connection came within `maxWait`) counts nothing: no transaction
 * existed. The tenant is the one current at the call. `$extends` on the proxy extends the client and wraps the
 * result again, so that a further extension keeps the count. Every other property is the client's own; its
 * `$` methods run with the client itself as `this`.
 */
export function createClientProxy(hooks: CollectorInternals, client: PrismaClientLike, currentTenant: () => number): PrismaClientLike {
  const $transaction = function $transaction(...args: unknown[]): Promise<unknown> {
    const [work] = args;
    if (!hooks.families.db || (typeof work !== 'function' && !Array.isArray(work))) {
      return (client.$transaction as Method).apply(client, args) as Promise<unknown>;
    }
    let tenant: number;
    try {
      tenant = currentTenant();
    } catch (error) {
      hooks.writer.hookFailed(HOOK, error);
      return (client.$transaction as Method).apply(client, args) as Promise<unknown>;
    }
    // A batch has no callback to tell it started: its BEGIN failing counts as a rollback (documented in docs/prisma.md).
    let entered = typeof work !== 'function';
    const passed = args.slice();
    if (typeof work === 'function') {
      passed[0] = function interactive(this: unknown, ...callbackArgs: unknown[]) {
        entered = true;
        return Reflect.apply(work, this, callbackArgs);
      };
    }
    return reportSettlement(
      () => (client.$transaction as Method).apply(client, passed) as Promise<unknown>,
      (committed) => {
        if (entered) recordEndedTransaction(hooks, HOOK, committed, false, tenant, EMPTY_ID);
      },
    );
  };
  const $extends = function $extends(extension: unknown): unknown {
    return createClientProxy(hooks, client.$extends(extension) as PrismaClientLike, currentTenant);
  };
  const bound = new Map<string | symbol, { own: Method; bound: Method }>();
  return new Proxy(client, {
    get(target, property) {
      if (property === '$transaction') return $transaction;
      if (property === '$extends') return $extends;
      const value: unknown = Reflect.get(target, property);
      if (typeof value !== 'function' || typeof property !== 'string' || !property.startsWith('$')) return value;
      let entry = bound.get(property);
      if (entry === undefined || entry.own !== value) {
        entry = { own: value as Method, bound: (value as Method).bind(target) };
        bound.set(property, entry);
      }
      return entry.bound;
    },
  });
}
