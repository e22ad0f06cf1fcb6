/** A rule that puts routes into an endpoint category (the endpoint_category label of tenant_api_calls_total). */
export interface CategoryRule {
  /** Tested against the route pattern (`/auth/login`, `/api/users/:id`). A string matches as a path prefix. */
  match: RegExp | string;
  category: string;
}

/** The built-in rules, tried after the user's own, in this order; a route that matches none is 'other'. */
export const DEFAULT_CATEGORY_RULES: readonly CategoryRule[] = [
  { match: /^\/(auth|login|logout|signin|signup|register|oauth|token|session)s?(\/|$)/i, category: 'auth' },
  { match: /^\/(metrics|prometheus)(\/|$)/i, category: 'metrics' },
  { match: /^\/(health|healthz|livez|readyz|ready|live|ping|status)(\/|$)/i, category: 'health' },
  { match: /^\/admin(\/|$)/i, category: 'admin' },
  { match: /^\/dashboards?(\/|$)/i, category: 'dashboard' },
  { match: /^\/(static|assets|public|favicon\.ico|robots\.txt)(\/|$)|\.(js|css|png|jpe?g|gif|svg|ico|woff2?|map)$/i, category: 'static' },
  { match: /^\/(api|v\d+|graphql|rpc)(\/|$)/i, category: 'api' },
];

/** Builds the route → category function: user rules first, then the defaults, else 'other'. */
export function categorizer(rules: readonly CategoryRule[] = []): (route: string) => string {
  const all = [...rules, ...DEFAULT_CATEGORY_RULES];
  return (route) => {
    for (const rule of all) {
      if (typeof rule.match === 'string' ? route.startsWith(rule.match) : testRule(rule.match, route)) return rule.category;
    }
    return 'other';
  };
}

export const defaultCategory = categorizer();

function testRule(pattern: RegExp, route: string): boolean {
  // A global or sticky RegExp keeps state between calls; reset it so every route is tested from the start.
  pattern.lastIndex = 0;
  return pattern.test(route);
}
