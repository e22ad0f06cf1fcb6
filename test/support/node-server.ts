import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';

/** A Hono app served by @hono/node-server on a free localhost port, as the tests run one. */
export interface LocalServer {
  port: number;
  /** `http://127.0.0.1:<port>` */
  base: string;
  /** Closes the server, keep-alive connections included (a test's agent may hold some). */
  close(): Promise<void>;
}

export async function serveLocally(app: {
  fetch: (request: Request, env?: unknown) => Response | Promise<Response>;
}): Promise<LocalServer> {
  const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }) as Server;
  // Clients here reuse keep-alive connections. Node closes an idle one after 5 s, and on a loaded machine that can
  // happen just as the client sends on it ('socket hang up', 'other side closed'): a test's server keeps them open
  // for as long as the test runs, and close() ends them.
  server.keepAliveTimeout = 120_000;
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    base: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
