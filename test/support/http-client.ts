import { type Agent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';

export interface Exchange {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/**
 * A raw node:http client: counts exactly the body bytes it sends and receives. `chunks` are sent without a
 * Content-Length (node:http then sends Transfer-Encoding: chunked).
 */
export function exchange(
  port: number,
  method: string,
  path: string,
  options: { headers?: Record<string, string>; chunks?: string[]; body?: string; agent?: Agent } = {},
): Promise<Exchange> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method, path, headers: options.headers, agent: options.agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (options.body !== undefined) req.end(options.body);
    else if (options.chunks !== undefined) {
      for (const chunk of options.chunks) req.write(chunk);
      req.end();
    } else req.end();
  });
}

/** Every record the collector's rings took (written, spilled or dropped): a request is recorded at its response's finish. */
export function recordsTaken(collector: { stats(): { ring: { written: number; spilled: number; dropped: number } } }): number {
  const { written, spilled, dropped } = collector.stats().ring;
  return written + spilled + dropped;
}
