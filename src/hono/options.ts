import type { Context } from 'hono';
import type { CategoryRule } from '../strings/endpoint-categories.js';
import { type OptionNames, optionalFunction, refuseUnknownOptions, requireObject } from '../options/checks.js';

export interface HonoMetricsOptions {
  /**
   * Returns the request's tenant id. It may read headers or `c.get(…)` values set by middleware that runs after
   * this one: it is called once the handler has finished (and, for database attribution, when the first query
   * asks). A missing id is recorded as `unknown`; an id that is too long or holds control characters as
   * `invalid`; ids beyond `maxTenants` as `__overflow__`. [default: the `x-tenant-id` header]
   */
  tenant?: (c: Context) => string | null | undefined;
  /** Route → endpoint_category rules, tried in order before the built-in ones. [default: []] */
  categories?: CategoryRule[];
}

/** The filled-in options; `tenant` is undefined when the built-in header lookup is used (it has a fast path). */
export interface ResolvedHonoOptions {
  tenant: ((c: Context) => string | null | undefined) | undefined;
  categories: CategoryRule[];
}

const OPTION_NAMES: OptionNames<HonoMetricsOptions> = { tenant: true, categories: true };
const RULE_NAMES: OptionNames<CategoryRule> = { match: true, category: true };

/** The header read when no `tenant` function is given. */
export const DEFAULT_TENANT_HEADER = 'x-tenant-id';

export function resolveHonoOptions(options: HonoMetricsOptions = {}): ResolvedHonoOptions {
  requireObject('honoMetrics options', options);
  refuseUnknownOptions('options', options, OPTION_NAMES);
  const { categories = [] } = options;
  const tenant = optionalFunction<ResolvedHonoOptions['tenant']>('options.tenant', options.tenant, '(c) => string | undefined');
  if (!Array.isArray(categories)) throw new TypeError('options.categories must be an array of { match, category } rules');
  categories.forEach((rule, i) => {
    if (rule === null || typeof rule !== 'object') throw new TypeError(`options.categories[${i}] must be a { match, category } object`);
    refuseUnknownOptions(`options.categories[${i}]`, rule, RULE_NAMES);
    if (!(rule.match instanceof RegExp) && typeof rule.match !== 'string') {
      throw new TypeError(`options.categories[${i}].match must be a RegExp or a path prefix string`);
    }
    if (typeof rule.category !== 'string' || !/^[A-Za-z0-9_.-]{1,64}$/.test(rule.category)) {
      throw new RangeError(`options.categories[${i}].category must be 1 to 64 letters, digits, '_', '.' or '-'`);
    }
  });
  return { tenant, categories: categories.map((rule) => ({ match: rule.match, category: rule.category })) };
}
