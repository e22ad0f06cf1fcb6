import { Duplex } from 'node:stream';
import type { Server } from 'node:http';
import type { LoadRequest } from './load.js';

/**
 * HTTP/1.1 keep-alive connections to a Node `http.Server` held in memory: each is a Duplex handed to the server's
 * 'connection' event, so every request goes through Node's real parser, IncomingMessage, ServerResponse, 'finish'
 * and `http.server.response.finish` publication, @hono/node-server and Hono, with no socket and no kernel. What
 * stays out is what costs every variant alike (system calls, which are half of a real server's CPU), so a
 * middleware's share of a request becomes several times larger and its CPU time steadier than over loopback.
 *
 * Each connection has one request in flight, like a wrk connection: the next is written when the previous
 * response has fully arrived. Responses must carry a Content-Length (the benchmark app's JSON answers do).
 */
class MemorySocket extends Duplex {
  // What Node's http server reads from a net.Socket (the rest of its socket calls are the no-ops below).
  readonly remoteAddress = '127.0.0.1';
  readonly remotePort = 50_000;
  readonly remoteFamily = 'IPv4';
  readonly encrypted = false;
  private pending = '';
  private wanted = -1;

  constructor(private readonly onResponse: () => void) {
    super({ allowHalfOpen: true, decodeStrings: false });
  }

  override _read(): void {}

  override _write(chunk: Buffer | string, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.received(chunk);
    callback();
  }

  override _writev(chunks: Array<{ chunk: Buffer | string }>, callback: (error?: Error | null) => void): void {
    for (const { chunk } of chunks) this.received(chunk);
    callback();
  }

  setTimeout(): this {
    return this;
  }

  setNoDelay(): this {
    return this;
  }

  setKeepAlive(): this {
    return this;
  }

  /** Counts complete responses: header block, then Content-Length bytes of body (all ASCII here). */
  private received(chunk: Buffer | string): void {
    this.pending += typeof chunk === 'string' ? chunk : chunk.toString('latin1');
    for (;;) {
      if (this.wanted < 0) {
        const end = this.pending.indexOf('\r\n\r\n');
        if (end < 0) return;
        const match = /\r\ncontent-length: *(\d+)/i.exec(this.pending.slice(0, end));
        if (match === null) throw new Error('memory connection: a response without Content-Length');
        this.wanted = end + 4 + Number(match[1]);
      }
      if (this.pending.length < this.wanted) return;
      this.pending = this.pending.slice(this.wanted);
      this.wanted = -1;
      this.onResponse();
    }
  }
}

export interface MemoryLoad {
  /** Sends `requests` requests over the connections (round-robin through the list) and resolves when all are answered. */
  run(requests: number): Promise<void>;
  close(): void;
}

/** Opens `connections` in-memory keep-alive connections to `server` (which need not listen). */
export function memoryConnections(server: Server, connections: number, list: readonly LoadRequest[]): MemoryLoad {
  const raw = list.map(
    (r) =>
      `${r.method} ${r.path} HTTP/1.1\r\nHost: localhost\r\n${Object.entries(r.headers)
        .map(([name, value]) => `${name}: ${value}\r\n`)
        .join('')}\r\n`,
  );
  let cursor = 0;
  let left = 0;
  let inFlight = 0;
  let done: (() => void) | undefined;
  const sockets: MemorySocket[] = [];
  const send = (socket: MemorySocket) => {
    left--;
    inFlight++;
    socket.push(raw[cursor]);
    cursor = (cursor + 1) % raw.length;
  };
  for (let i = 0; i < connections; i++) {
    const socket: MemorySocket = new MemorySocket(() => {
      inFlight--;
      if (left > 0) send(socket);
      else if (inFlight === 0) done?.();
    });
    sockets.push(socket);
    server.emit('connection', socket);
  }
  return {
    run(requests: number): Promise<void> {
      return new Promise((resolve) => {
        done = resolve;
        left = requests;
        for (const socket of sockets) if (left > 0) send(socket);
      });
    },
    close(): void {
      for (const socket of sockets) socket.destroy();
    },
  };
}
