/**
 * HTTP methods as small ids (a record carries one byte). The known methods of the OpenTelemetry semantic
 * conventions, case-sensitive; anything else is `_OTHER`, so a client cannot create series by inventing methods.
 */
export const HTTP_METHODS = ['_OTHER', 'GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH', 'QUERY'] as const;
export const OTHER_METHOD_ID = 0;

const METHOD_IDS = new Map<string, number>(HTTP_METHODS.map((name, id) => [name, id]));

const GET_METHOD_ID = HTTP_METHODS.indexOf('GET');

/**
 * The method's id. Node's and the Fetch API's method strings are constants, so the common one is told by one
 * comparison before the Map lookup (this runs on every request).
 */
export function methodId(method: string): number {
  if (method === 'GET') return GET_METHOD_ID;
  return METHOD_IDS.get(method) ?? OTHER_METHOD_ID;
}

export function methodName(id: number): string {
  return HTTP_METHODS[id] ?? '_OTHER';
}
