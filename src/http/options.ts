import type { CategoryRule } from '../strings/endpoint-categories.js';
import { type OptionNames, optionalFunction, refuseUnknownOptions, requireObject } from '../options/checks.js';

/** The options every HTTP middleware takes; `R` is what its tenant resolver receives (a Context, a request). */
export interface HttpMetricsOptions<R> {
  /**
   * Returns the request's tenant id, once the handler has finished (and, for database attribution, when the
   * first query asks). A missing id is recorded as `unknown`; anything else that is no tenant id as `invalid`,
   * counted; ids beyond `maxTenants` as `__overflow__`. [default: the `x-tenant-id` header]
   */
  tenant?: (request: R) => string | null | undefined;
  /** Route → endpoint_category rules, tried in order before the built-in ones. [default: []] */
  categories?: CategoryRule[];
}

/** The filled-in options; `tenant` is undefined when the built-in header lookup is used (it has a fast path). */
export interface ResolvedHttpOptions<R> {
  tenant: ((request: R) => string | null | undefined) | undefined;
  categories: CategoryRule[];
}

const OPTION_NAMES: OptionNames<HttpMetricsOptions<unknown>> = { tenant: true, categories: true };
const RULE_NAMES: OptionNames<CategoryRule> = { match: true, category: true };

/** The header read when no `tenant` function is given. */
export const DEFAULT_TENANT_HEADER = 'x-tenant-id';

/**
 * Checks a middleware's options (`what`: how errors name them, e.g. 'honoMetrics options'; `tenantShape`: the
 * resolver's signature, as errors show it) and fills them in. Extra names (`extra`) are the caller's to check.
 */
export function resolveHttpOptions<R>(
  what: string,
  options: HttpMetricsOptions<R> = {},
  tenantShape: string,
  extra: readonly string[] = [],
): ResolvedHttpOptions<R> {
  requireObject(what, options);
  refuseUnknownOptions('options', options, [...Object.keys(OPTION_NAMES), ...extra]);
  const { categories = [] } = options;
  const tenant = optionalFunction<ResolvedHttpOptions<R>['tenant']>('options.tenant', options.tenant, tenantShape);
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
