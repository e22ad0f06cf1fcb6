/**
 * Which of the workers' tenant entries a caller is shown, once caller-access.ts knows what it may see:
 *
 * - A pseudo-tenant (`unknown`, `invalid`, `__overflow__`, `system`: PSEUDO_TENANTS) pools many callers' traffic,
 *   so it is shown only to a caller allowed every tenant ('*'), never to one allowed a tenant of that name.
 * - A real tenant bearing a reserved name is shown to nobody: the name stands for the pooled traffic. (Only a
 *   recorder from before reserved names were refused as tenant ids can have made one.)
 * - A name is shown once. One tenant has two entries only while retention hands its slot over (its old profile is
 *   being forgotten as it comes back); the more recently seen is shown.
 */
import type { ShardAnalytics, TenantAnalytics } from '../contract/analytics.js';
import { isPseudoTenant } from '../contract/strings-layout.js';

/** Whether `entry` may be shown; `everyTenant`: the caller may see every tenant. */
function shown(entry: TenantAnalytics, everyTenant: boolean): boolean {
  return entry.pseudo ? everyTenant : !isPseudoTenant(entry.tenant);
}

/** The entries of `shards` the caller is shown, one per name, sorted by name. */
export function shownTenants(shards: readonly ShardAnalytics[], everyTenant: boolean): TenantAnalytics[] {
  const byName = new Map<string, TenantAnalytics>();
  for (const shard of shards) {
    for (const entry of shard.tenants) {
      if (!shown(entry, everyTenant)) continue;
      const other = byName.get(entry.tenant);
      if (other === undefined || entry.lastSeenMillis > other.lastSeenMillis) byName.set(entry.tenant, entry);
    }
  }
  return [...byName.values()].sort((a, b) => a.tenant.localeCompare(b.tenant));
}

/** The entry named `tenant` the caller is shown, or undefined. */
export function shownTenant(shards: readonly ShardAnalytics[], tenant: string, everyTenant: boolean): TenantAnalytics | undefined {
  let found: TenantAnalytics | undefined;
  for (const shard of shards) {
    for (const entry of shard.tenants) {
      if (entry.tenant !== tenant || !shown(entry, everyTenant)) continue;
      if (found === undefined || entry.lastSeenMillis > found.lastSeenMillis) found = entry;
    }
  }
  return found;
}
