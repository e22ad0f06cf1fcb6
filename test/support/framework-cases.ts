import { expect } from 'vitest';
import type { Collector } from 'ringmeter';
import { pointsNamed, valuesByLabels, waitFor } from './harness.js';
import { exchange, recordsTaken } from './http-client.js';
import type { OtlpReceiver } from './otlp-receiver.js';

/**
 * The cases every framework's middleware test runs on its own app (Express, Fastify), so that each is held to the
 * same expectations. An app for ROUTE_PLAN serves: GET /api/orders/:id and GET /api (a router or prefix `/api`),
 * GET /v1/tenants/:tenantId/projects/:projectId (a parameterised mount or prefix under `/v1`), /sync-throw and
 * /async-throw (handlers that throw), and /health (marked untracked()).
 */
const acme = { 'x-tenant-id': 'acme' };

/** [method, path, status the app answers, request headers] */
export const ROUTE_PLAN: Array<[string, string, number, Record<string, string> | undefined]> = [
  ['GET', '/api/orders/1', 200, acme],
  ['GET', '/api/orders/2', 200, acme],
  ['GET', '/api/orders/3', 200, { 'x-tenant-id': 'globex' }],
  ['GET', '/api', 200, acme],
  ['GET', '/v1/tenants/acme/projects/7', 200, acme],
  ['GET', '/v1/tenants/globex/projects/8', 200, acme],
  ['GET', '/nowhere', 404, acme],
  ['GET', '/api/nowhere', 404, acme],
  ['GET', '/sync-throw', 500, acme],
  ['GET', '/async-throw', 500, acme],
  ['GET', '/health', 200, acme],
  ['GET', '/api/orders/4', 200, undefined],
  ['GET', '/api/orders/5', 200, { 'x-tenant-id': '' }],
  ['GET', '/api/orders/6', 200, { 'x-tenant-id': 'system' }],
  ['GET', '/api/orders/7', 200, { 'x-tenant-id': 'tab\there' }],
];

/** /health is untracked: every other request of ROUTE_PLAN is recorded. */
export const ROUTE_PLAN_RECORDS = ROUTE_PLAN.length - 1;

export const series = (method: string, route: string, status: number, tenant: string) =>
  `method=${method},route=${route},status_code=${status},tenant_id=${tenant}`;

/** http_requests_total after ROUTE_PLAN, by valuesByLabels. */
export const ROUTE_PLAN_COUNTS = {
  [series('GET', '/api/orders/:id', 200, 'acme')]: 2,
  [series('GET', '/api/orders/:id', 200, 'globex')]: 1,
  [series('GET', '/api', 200, 'acme')]: 1,
  [series('GET', '/v1/tenants/:tenantId/projects/:projectId', 200, 'acme')]: 2,
  [series('GET', 'unmatched', 404, 'acme')]: 2,
  [series('GET', '/sync-throw', 500, 'acme')]: 1,
  [series('GET', '/async-throw', 500, 'acme')]: 1,
  // No header, and an empty one.
  [series('GET', '/api/orders/:id', 200, 'unknown')]: 2,
  // A reserved name, and a control character.
  [series('GET', '/api/orders/:id', 200, 'invalid')]: 2,
};

/**
 * For a tenant resolver reading `user.orgId` set by a later middleware, from the `x-user` header: `t` makes the
 * resolver throw. RESOLVER_USERS in order give RESOLVER_COUNTS on GET /items.
 */
export const RESOLVER_ORGS: Record<string, unknown> = { a: 'acme', n: 42, o: { id: 'x' }, e: '', r: 'unknown', u: undefined };
export const RESOLVER_USERS = ['a', 'a', 'n', 'o', 'e', 'r', 't', 'u'];
export const RESOLVER_COUNTS = {
  [series('GET', '/items', 200, 'acme')]: 2,
  // A number, an object, '', a throwing resolver, a reserved name.
  [series('GET', '/items', 200, 'invalid')]: 5,
  [series('GET', '/items', 200, 'unknown')]: 1,
};

/** Concurrent requests GET /api/orders/:i of these tenants, each making one query; then one query outside any. */
export const QUERY_TENANTS = ['acme', 'globex', 'acme', 'initech', 'acme', 'globex'];
export const QUERY_COUNTS = {
  'query_type=SELECT,success=true,tenant_id=acme': 3,
  'query_type=SELECT,success=true,tenant_id=globex': 2,
  'query_type=SELECT,success=true,tenant_id=initech': 1,
  'query_type=SELECT,success=true,tenant_id=system': 1,
};
export const QUERY_REQUEST_COUNTS = {
  [series('GET', '/api/orders/:id', 200, 'acme')]: 3,
  [series('GET', '/api/orders/:id', 200, 'globex')]: 2,
  [series('GET', '/api/orders/:id', 200, 'initech')]: 1,
};

/**
 * Sends ROUTE_PLAN to an app serving it (above) and checks what it recorded: ROUTE_PLAN_COUNTS, the reserved name
 * and the control character refused under the middleware's name `hook` (expressMetrics, fastifyMetrics), no failure.
 */
export async function checkRoutePlan(port: number, collector: Collector, receiver: OtlpReceiver, hook: string): Promise<void> {
  const before = recordsTaken(collector);
  for (const [method, path, status, headers] of ROUTE_PLAN) {
    const response = await exchange(port, method, path, { headers });
    expect(response.status, `${method} ${path}`).toBe(status);
  }
  await waitFor(() => recordsTaken(collector) - before === ROUTE_PLAN_RECORDS, 10_000, 'records');
  await collector.flush();
  expect(valuesByLabels(receiver.points, 'http_requests_total')).toEqual(ROUTE_PLAN_COUNTS);
  expect(collector.stats().rejectedBy).toEqual({ [`${hook}.tenant`]: 1, [`${hook}.tenant.reserved`]: 1 });
  expect(collector.stats().hookFailures).toEqual({});
}

/**
 * Sends QUERY_TENANTS' requests at once to an app whose GET /api/orders/:id answers `{ id }` from one query on
 * `sql` (after a random pause of up to 5 ms, so that requests overlap), then makes a query outside any request,
 * and checks that each query went to its request's tenant, the last to `system`.
 */
export async function checkQueryTenants(
  port: number,
  collector: Collector,
  receiver: OtlpReceiver,
  sql: (strings: TemplateStringsArray) => PromiseLike<unknown>,
): Promise<void> {
  const responses = await Promise.all(
    QUERY_TENANTS.map((tenant, i) => exchange(port, 'GET', `/api/orders/${i}`, { headers: { 'x-tenant-id': tenant } })),
  );
  expect(responses.map((r) => JSON.parse(r.body.toString()).id)).toEqual([0, 1, 2, 3, 4, 5]);
  await sql`select 1 as outside`;
  await waitFor(() => collector.stats().ring.written >= 6 + 7, 10_000, 'records');
  await collector.flush();
  expect(valuesByLabels(receiver.points, 'db_queries_total')).toEqual(QUERY_COUNTS);
  expect(valuesByLabels(receiver.points, 'http_requests_total')).toEqual(QUERY_REQUEST_COUNTS);
}

/**
 * Sends RESOLVER_USERS' requests to an app whose tenant resolver reads RESOLVER_ORGS (above) and whose GET /items
 * answers `ok`: every request answered, RESOLVER_COUNTS recorded, the refusals counted under `hook`, no failure.
 */
export async function checkResolver(port: number, collector: Collector, receiver: OtlpReceiver, hook: string): Promise<void> {
  for (const user of RESOLVER_USERS) {
    const response = await exchange(port, 'GET', '/items', { headers: { 'x-user': user } });
    expect(response.status).toBe(200);
    expect(response.body.toString()).toBe('ok');
  }
  await waitFor(() => recordsTaken(collector) === 8, 10_000, '8 records');
  await collector.flush();
  expect(valuesByLabels(receiver.points, 'http_requests_total')).toEqual(RESOLVER_COUNTS);
  expect(collector.stats().rejectedBy).toEqual({ [`${hook}.tenant`]: 4, [`${hook}.tenant.reserved`]: 1 });
  expect(collector.stats().hookFailures).toEqual({});
}

/**
 * Sends one request of each kind of body to an app serving POST /json (echoes the JSON), GET /text, GET /stream (a
 * chunked body), POST /upload (answers `got <bytes>` for a text body), GET /empty (204), and checks that the sizes
 * recorded are the body bytes the client sent and received, exactly. The collector must have recorded nothing else.
 */
export async function checkExactBytes(port: number, collector: Collector, receiver: OtlpReceiver): Promise<void> {
  const tenant = { 'x-tenant-id': 'acme' };
  const jsonBody = JSON.stringify({ order: 42, note: 'ßø' });
  const json = await exchange(port, 'POST', '/json', { body: jsonBody, headers: { ...tenant, 'content-type': 'application/json' } });
  expect(json.status).toBe(200);
  const text = await exchange(port, 'GET', '/text', { headers: tenant });
  const streamed = await exchange(port, 'GET', '/stream', { headers: tenant });
  expect(streamed.headers['transfer-encoding']).toBe('chunked');
  const chunks = ['first|', 'ü'.repeat(400), '|last'];
  const upload = await exchange(port, 'POST', '/upload', { chunks, headers: { ...tenant, 'content-type': 'text/plain' } });
  expect(upload.body.toString()).toBe(`got ${Buffer.byteLength(chunks.join(''))}`);
  const empty = await exchange(port, 'GET', '/empty', { headers: tenant });
  expect(empty.status).toBe(204);
  const head = await exchange(port, 'HEAD', '/text', { headers: tenant });
  expect(head.body.length).toBe(0);
  await waitFor(() => recordsTaken(collector) === 6, 10_000, '6 records');
  await collector.flush();
  const sizes = (metric: string) =>
    Object.fromEntries(pointsNamed(receiver.points, metric).map((p) => [`${p.attributes.method} ${p.attributes.route}`, p.sum]));
  expect(sizes('http_response_size_bytes')).toEqual({
    'POST /json': json.body.length,
    'GET /text': text.body.length,
    'GET /stream': streamed.body.length,
    'POST /upload': upload.body.length,
    'GET /empty': 0,
    'HEAD /text': 0,
  });
  expect(sizes('http_request_size_bytes')).toEqual({
    'POST /json': Buffer.byteLength(jsonBody),
    'GET /text': 0,
    'GET /stream': 0,
    'POST /upload': Buffer.byteLength(chunks.join('')),
    'GET /empty': 0,
    'HEAD /text': 0,
  });
}
